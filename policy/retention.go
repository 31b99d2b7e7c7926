package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
)

// Period is an ISO 8601 duration in whole years, months, weeks and days —
// all a retention period needs.
type Period struct {
	Years, Months, Weeks, Days int
}

// maxPeriodDays bounds a period: a hundred years is "keep".
const maxPeriodDays = 100 * 366

// ParsePeriod reads an ISO 8601 duration of the form PnYnMnWnD: "P12M",
// "P2Y", "P30D", "P1Y6M", "P4W". Each unit at most once, in that order,
// with a whole number; no sign, fraction or time part. It must be at least
// a day and at most a hundred years. The error says what is wrong.
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Period{}, errors.New("is empty; write a duration like P12M (12 months), P2Y or P30D")
	case s[0] == 'p':
		return Period{}, fmt.Errorf("%q: write the letters in upper case, like %s", s, strings.ToUpper(s))
	case s[0] != 'P':
		return Period{}, fmt.Errorf("%q is not an ISO 8601 duration; write one like P12M (12 months), P2Y or P30D", s)
	case len(s) == 1:
		return Period{}, fmt.Errorf("%q has no number; write one like P12M", s)
	}
	var p Period
	units := "YMWD"
	for rest := s[1:]; rest != ""; {
		n := 0
		digits := 0
		for digits < len(rest) && '0' <= rest[digits] && rest[digits] <= '9' {
			if digits++; digits > 5 {
				return Period{}, fmt.Errorf("%q: a number is too long", s)
			}
			n = n*10 + int(rest[digits-1]-'0')
		}
		if digits == len(rest) {
			return Period{}, fmt.Errorf("%q: the number %s has no unit; end it with Y, M, W or D", s, rest)
		}
		u := rest[digits]
		switch {
		case u == 'T':
			return Period{}, fmt.Errorf("%q has a time part; retention is counted in years, months, weeks and days", s)
		case u == '.' || u == ',':
			return Period{}, fmt.Errorf("%q: use whole numbers", s)
		case u == ' ' || u == '\t':
			return Period{}, fmt.Errorf("%q contains a space", s)
		case u == '-' || u == '+':
			return Period{}, fmt.Errorf("%q: a period cannot have a sign", s)
		case digits == 0:
			return Period{}, fmt.Errorf("%q: %q needs a number before it", s, string(u))
		case 'a' <= u && u <= 'z':
			return Period{}, fmt.Errorf("%q: write the letters in upper case, like %s", s, strings.ToUpper(s))
		}
		i := strings.IndexByte(units, u)
		switch {
		case i < 0 && strings.IndexByte("YMWD", u) >= 0:
			return Period{}, fmt.Errorf("%q: the units must come once each, in the order Y, M, W, D", s)
		case i < 0:
			return Period{}, fmt.Errorf("%q: %q is not a unit; use Y, M, W or D", s, string(u))
		}
		switch u {
		case 'Y':
			p.Years = n
		case 'M':
			p.Months = n
		case 'W':
			p.Weeks = n
		case 'D':
			p.Days = n
		}
		units = units[i+1:]
		rest = rest[digits+1:]
	}
	switch days := p.approxDays(); {
	case days == 0:
		return Period{}, fmt.Errorf("%q is zero; the shortest retention is a day (P1D), and none at all keeps emails for ever", s)
	case days > maxPeriodDays:
		return Period{}, fmt.Errorf("%q is longer than a hundred years; leave it empty to keep emails for ever", s)
	}
	return p, nil
}

// approxDays is the period's length in days, months and years at their
// longest, for bounds only.
func (p Period) approxDays() int { return p.Years*366 + p.Months*31 + p.Weeks*7 + p.Days }

// String is the canonical ISO 8601 form ("P1Y6M"); ParsePeriod reads it
// back to p.
func (p Period) String() string {
	var b strings.Builder
	b.WriteByte('P')
	for _, u := range []struct {
		n    int
		unit byte
	}{{p.Years, 'Y'}, {p.Months, 'M'}, {p.Weeks, 'W'}, {p.Days, 'D'}} {
		if u.n > 0 {
			fmt.Fprintf(&b, "%d%c", u.n, u.unit)
		}
	}
	if b.Len() == 1 {
		return "P0D"
	}
	return b.String()
}

// AddTo is t plus p, in UTC. Years and months are added first and the day
// kept within the month (31 January plus P1M is 28 or 29 February, not 2
// or 3 March), then weeks and days.
func (p Period) AddTo(t time.Time) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	months := int(m) - 1 + p.Months + 12*(y+p.Years)
	y, m = months/12, time.Month(months%12+1)
	if last := daysIn(y, m); d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d, hh, mm, ss, t.Nanosecond(), time.UTC).AddDate(0, 0, 7*p.Weeks+p.Days)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// ExpiryNotice is how far ahead owners are shown what will expire.
const ExpiryNotice = 30 // days

// Retention is a compiled retention setting. It is immutable. A nil
// *Retention keeps everything.
type Retention struct {
	org   [3]*Period // private, team, public; nil keeps
	teams map[string][3]*Period
}

var visibilities = [3]discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic}

// CompileRetention checks and compiles the org setting `retention`. An
// error is a *discreet.Error naming the field at fault, like
// "retention.teams.ch.private".
func CompileRetention(r discreet.Retention) (*Retention, error) {
	c := &Retention{teams: make(map[string][3]*Period, len(r.Teams))}
	org, err := compilePeriods("retention", r.Periods())
	if err != nil {
		return nil, err
	}
	c.org = org
	teams := make([]string, 0, len(r.Teams))
	for id := range r.Teams {
		teams = append(teams, id)
	}
	slices.Sort(teams) // the same error for the same setting
	for _, id := range teams {
		if strings.TrimSpace(id) == "" {
			return nil, discreet.FieldError("retention.teams", "a team id is empty")
		}
		ps, err := compilePeriods("retention.teams."+id, r.Teams[id])
		if err != nil {
			return nil, err
		}
		// A team's unset period is the org's.
		for i := range ps {
			if ps[i] == nil {
				ps[i] = org[i]
			}
		}
		c.teams[id] = ps
	}
	return c, nil
}

func compilePeriods(field string, ps discreet.RetentionPeriods) ([3]*Period, error) {
	var out [3]*Period
	for i, v := range visibilities {
		s := ps.Of(v)
		if s == "" {
			continue
		}
		p, err := ParsePeriod(s)
		if err != nil {
			return out, discreet.FieldError(field+"."+string(v), "%v", err)
		}
		out[i] = &p
	}
	return out, nil
}

// PeriodOf is how long an email of team and visibility v is kept; false
// when it is kept for ever. An unknown visibility gets the longest of the
// three periods (for ever if one is unset): a record that cannot be read
// is never deleted sooner than the policy allows.
func (r *Retention) PeriodOf(team string, v discreet.Visibility) (Period, bool) {
	if r == nil {
		return Period{}, false
	}
	ps, ok := r.teams[team]
	if !ok {
		ps = r.org
	}
	for i, x := range visibilities {
		if x == v {
			if ps[i] == nil {
				return Period{}, false
			}
			return *ps[i], true
		}
	}
	return Period{}, false // unknown: Expiry takes the longest
}

// RetentionStart is the date retention counts from: the message date, but
// never later than when it was logged (a Date header in the future would
// otherwise keep an email for ever), and when logged if it has none. Zero
// when neither is known.
func RetentionStart(e discreet.Email) time.Time {
	start := e.Date
	if !e.LoggedAt.IsZero() && (start.IsZero() || start.After(e.LoggedAt)) {
		start = e.LoggedAt
	}
	return start
}

// Expiry is when e is due for deletion; false when it is kept for ever
// (no period for its team and visibility, or no date to count from).
// Legal holds are not considered here: see LegalHolds.HeldBy.
func (r *Retention) Expiry(e discreet.Email) (time.Time, bool) {
	start := RetentionStart(e)
	if r == nil || start.IsZero() {
		return time.Time{}, false
	}
	if e.Visibility.Valid() {
		p, ok := r.PeriodOf(e.Team, e.Visibility)
		if !ok {
			return time.Time{}, false
		}
		return p.AddTo(start), true
	}
	var latest time.Time
	for _, v := range visibilities {
		p, ok := r.PeriodOf(e.Team, v)
		if !ok {
			return time.Time{}, false
		}
		if t := p.AddTo(start); t.After(latest) {
			latest = t
		}
	}
	return latest, true
}

// Expired reports whether e is due for deletion at now.
func (r *Retention) Expired(e discreet.Email, now time.Time) bool {
	t, ok := r.Expiry(e)
	return ok && !t.After(now)
}

// ExpiresSoon reports whether e is due within ExpiryNotice days of now
// (or is already due and not yet deleted), and when: what an owner is
// shown on the homepage.
func (r *Retention) ExpiresSoon(e discreet.Email, now time.Time) (time.Time, bool) {
	t, ok := r.Expiry(e)
	if !ok || t.After(now.AddDate(0, 0, ExpiryNotice)) {
		return time.Time{}, false
	}
	return t, true
}

// shortestDays is the fewest days p can last: months of 28 days, years
// of 365.
func (p Period) shortestDays() int { return p.Years*365 + p.Months*28 + p.Weeks*7 + p.Days }

// DueBy is the latest message date an email may have and still be due
// for deletion by t under r: no email dated later expires by then (its
// period is at least the shortest r sets). False when r deletes nothing.
// It bounds the store read that finds an owner's soon-expiring emails;
// Expiry then decides each one.
func (r *Retention) DueBy(t time.Time) (time.Time, bool) {
	if r == nil {
		return time.Time{}, false
	}
	shortest := -1
	for _, ps := range append([][3]*Period{r.org}, mapValues(r.teams)...) {
		for _, p := range ps {
			if p != nil && (shortest < 0 || p.shortestDays() < shortest) {
				shortest = p.shortestDays()
			}
		}
	}
	if shortest < 0 {
		return time.Time{}, false
	}
	return t.AddDate(0, 0, -shortest), true
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
