package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
)

func TestParsePeriod(t *testing.T) {
	ok := []struct {
		in    string
		want  Period
		canon string
	}{
		{"P12M", Period{Months: 12}, "P12M"},
		{"P2Y", Period{Years: 2}, "P2Y"},
		{"P30D", Period{Days: 30}, "P30D"},
		{"P4W", Period{Weeks: 4}, "P4W"},
		{"P1Y6M", Period{Years: 1, Months: 6}, "P1Y6M"},
		{"P1Y2M3W4D", Period{1, 2, 3, 4}, "P1Y2M3W4D"},
		{"P0Y1D", Period{Days: 1}, "P1D"},
		{"P012M", Period{Months: 12}, "P12M"},
		{" P36M ", Period{Months: 36}, "P36M"},
		{"P100Y", Period{Years: 100}, "P100Y"},
	}
	for _, tt := range ok {
		got, err := ParsePeriod(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if got.String() != tt.canon {
			t.Errorf("%q.String() = %q, want %q", tt.in, got.String(), tt.canon)
		}
		if again, err := ParsePeriod(got.String()); err != nil || again != got {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
	bad := []struct{ in, says string }{
		{"", "is empty"},
		{"   ", "is empty"},
		{"12M", "not an ISO 8601 duration"},
		{"12 months", "not an ISO 8601 duration"},
		{"p12m", "upper case, like P12M"},
		{"P12m", "upper case, like P12M"},
		{"P", "has no number"},
		{"PM", `"M" needs a number`},
		{"P12", "has no unit"},
		{"P1Y2", "has no unit"},
		{"PT12H", "time part"},
		{"P1DT12H", "time part"},
		{"P1.5Y", "whole numbers"},
		{"P1,5Y", "whole numbers"},
		{"P-1M", "sign"},
		{"P+1M", "sign"},
		{"-P1M", "not an ISO 8601 duration"},
		{"P 12M", "contains a space"},
		{"P12X", `"X" is not a unit`},
		{"P1M1Y", "in the order Y, M, W, D"},
		{"P1M1M", "in the order Y, M, W, D"},
		{"P1D1W", "in the order Y, M, W, D"},
		{"P0D", "is zero"},
		{"P0Y0M", "is zero"},
		{"P101Y", "longer than a hundred years"},
		{"P1300M", "longer than a hundred years"},
		{"P123456D", "too long"},
	}
	for _, tt := range bad {
		_, err := ParsePeriod(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("ParsePeriod(%q) = %v, want an error saying %q", tt.in, err, tt.says)
		}
	}
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPeriodAddTo(t *testing.T) {
	tests := []struct {
		p        string
		from, to string
	}{
		{"P12M", "2024-03-15T10:00:00Z", "2025-03-15T10:00:00Z"},
		{"P1M", "2025-01-31T00:00:00Z", "2025-02-28T00:00:00Z"}, // the day stays in the month
		{"P1M", "2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"P1Y", "2024-02-29T08:00:00Z", "2025-02-28T08:00:00Z"},
		{"P4Y", "2024-02-29T08:00:00Z", "2028-02-29T08:00:00Z"},
		{"P30D", "2025-01-31T00:00:00Z", "2025-03-02T00:00:00Z"},
		{"P2W", "2025-12-25T00:00:00Z", "2026-01-08T00:00:00Z"},
		{"P1M1D", "2025-01-31T00:00:00Z", "2025-03-01T00:00:00Z"},
		{"P11M", "2025-02-10T00:00:00Z", "2026-01-10T00:00:00Z"},
		{"P12M", "2024-03-15T12:00:00+02:00", "2025-03-15T10:00:00Z"}, // counted in UTC
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.p)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.AddTo(date(tt.from)); !got.Equal(date(tt.to)) {
			t.Errorf("%s + %s = %s, want %s", tt.from, tt.p, got, tt.to)
		}
	}
}

func TestCompileRetentionErrors(t *testing.T) {
	tests := []struct {
		r     discreet.Retention
		field string
		says  string
	}{
		{discreet.Retention{Private: "12 months"}, "retention.private", "not an ISO 8601 duration"},
		{discreet.Retention{Team: "P0D"}, "retention.team", "is zero"},
		{discreet.Retention{Public: "PT1H"}, "retention.public", "time part"},
		{discreet.Retention{Teams: map[string]discreet.RetentionPeriods{"ch": {Private: "p6m"}}}, "retention.teams.ch.private", "upper case"},
		{discreet.Retention{Teams: map[string]discreet.RetentionPeriods{"": {Private: "P6M"}}}, "retention.teams", "team id is empty"},
	}
	for _, tt := range tests {
		_, err := CompileRetention(tt.r)
		e, ok := err.(*discreet.Error)
		if !ok || e.Code != discreet.EInvalid || e.Field != tt.field || !strings.HasPrefix(e.Message, tt.field+": ") || !strings.Contains(e.Message, tt.says) {
			t.Errorf("CompileRetention(%+v) = %v, want %s saying %q", tt.r, err, tt.field, tt.says)
		}
	}
}

func TestExpiry(t *testing.T) {
	r, err := CompileRetention(discreet.Retention{
		Private: "P12M", Team: "P24M", Public: "P36M",
		Teams: map[string]discreet.RetentionPeriods{
			"ch":    {Private: "P6M"}, // team and public as the org's
			"legal": {Public: "P10Y"}, // longer than the org's
			"de":    {},               // all as the org's
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	partial, err := CompileRetention(discreet.Retention{Private: "P12M"}) // team and public kept
	if err != nil {
		t.Fatal(err)
	}
	msg := date("2024-03-15T10:00:00Z")
	logged := date("2024-03-16T09:00:00Z")
	email := func(team string, v discreet.Visibility) discreet.Email {
		return discreet.Email{Team: team, Visibility: v, Date: msg, LoggedAt: logged}
	}
	tests := []struct {
		name string
		r    *Retention
		e    discreet.Email
		want string // "" kept for ever
	}{
		{"org private", r, email("", discreet.VisibilityPrivate), "2025-03-15T10:00:00Z"},
		{"org team", r, email("xx", discreet.VisibilityTeam), "2026-03-15T10:00:00Z"},
		{"org public", r, email("de", discreet.VisibilityPublic), "2027-03-15T10:00:00Z"},
		{"ch private overrides", r, email("ch", discreet.VisibilityPrivate), "2024-09-15T10:00:00Z"},
		{"ch team falls back", r, email("ch", discreet.VisibilityTeam), "2026-03-15T10:00:00Z"},
		{"legal public longer", r, email("legal", discreet.VisibilityPublic), "2034-03-15T10:00:00Z"},
		{"unknown visibility: the longest", r, email("", "secret"), "2027-03-15T10:00:00Z"},
		{"unknown visibility, ch", r, email("ch", ""), "2027-03-15T10:00:00Z"},
		{"unset: kept", partial, email("", discreet.VisibilityPublic), ""},
		{"unknown visibility, one unset: kept", partial, email("", "secret"), ""},
		{"set", partial, email("", discreet.VisibilityPrivate), "2025-03-15T10:00:00Z"},
		{"no setting", nil, email("", discreet.VisibilityPrivate), ""},
		{"future date: counted from logging", r, discreet.Email{Visibility: discreet.VisibilityPrivate, Date: date("2099-01-01T00:00:00Z"), LoggedAt: logged}, "2025-03-16T09:00:00Z"},
		{"no date: from logging", r, discreet.Email{Visibility: discreet.VisibilityPrivate, LoggedAt: logged}, "2025-03-16T09:00:00Z"},
		{"no date at all: kept", r, discreet.Email{Visibility: discreet.VisibilityPrivate}, ""},
		{"old mail logged late", r, discreet.Email{Visibility: discreet.VisibilityPrivate, Date: date("2020-01-01T00:00:00Z"), LoggedAt: logged}, "2021-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		got, ok := tt.r.Expiry(tt.e)
		if want := tt.want != ""; ok != want || ok && !got.Equal(date(tt.want)) {
			t.Errorf("%s: Expiry = %s, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestExpiresSoonAndExpired(t *testing.T) {
	r, err := CompileRetention(discreet.Retention{Private: "P12M"})
	if err != nil {
		t.Fatal(err)
	}
	e := discreet.Email{Visibility: discreet.VisibilityPrivate, Date: date("2024-03-15T10:00:00Z"), LoggedAt: date("2024-03-15T10:00:00Z")}
	expiry := date("2025-03-15T10:00:00Z")
	tests := []struct {
		now           string
		soon, expired bool
	}{
		{"2025-02-13T09:59:59Z", false, false}, // 30 days and a second before
		{"2025-02-13T10:00:00Z", true, false},  // 30 days before
		{"2025-03-15T09:59:59Z", true, false},
		{"2025-03-15T10:00:00Z", true, true}, // due
		{"2025-06-01T00:00:00Z", true, true}, // overdue, not swept yet
	}
	for _, tt := range tests {
		now := date(tt.now)
		at, soon := r.ExpiresSoon(e, now)
		if soon != tt.soon || soon && !at.Equal(expiry) {
			t.Errorf("at %s: ExpiresSoon = %s, %v; want %v", tt.now, at, soon, tt.soon)
		}
		if got := r.Expired(e, now); got != tt.expired {
			t.Errorf("at %s: Expired = %v, want %v", tt.now, got, tt.expired)
		}
	}
	// Public is not set: never soon, never expired.
	pub := e
	pub.Visibility = discreet.VisibilityPublic
	if _, soon := r.ExpiresSoon(pub, date("2090-01-01T00:00:00Z")); soon || r.Expired(pub, date("2090-01-01T00:00:00Z")) {
		t.Error("a public email expires without a public period")
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"P12M", "P1Y2M3W4D", "PT1H", "p1y", "P", "P0D", "P99999D", "P1M1Y", "P1.5Y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		if p.approxDays() < 1 || p.approxDays() > maxPeriodDays {
			t.Fatalf("ParsePeriod(%q) = %+v, out of bounds", s, p)
		}
		if again, err := ParsePeriod(p.String()); err != nil || again != p {
			t.Fatalf("ParsePeriod(%q) = %+v; its String %q reads back as %+v, %v", s, p, p.String(), again, err)
		}
		// Adding is monotonic and moves forward by at least a day.
		start := time.Date(2024, 1, 31, 12, 0, 0, 0, time.UTC)
		if end := p.AddTo(start); end.Sub(start) < 24*time.Hour {
			t.Fatalf("%s + %s = %s", start, p, end)
		}
	})
}

func BenchmarkExpiry(b *testing.B) {
	r, err := CompileRetention(discreet.Retention{Private: "P12M", Team: "P24M", Public: "P36M", Teams: map[string]discreet.RetentionPeriods{"ch": {Private: "P6M"}}})
	if err != nil {
		b.Fatal(err)
	}
	e := discreet.Email{Team: "ch", Visibility: discreet.VisibilityPrivate, Date: date("2024-03-15T10:00:00Z"), LoggedAt: date("2024-03-16T10:00:00Z")}
	now := date("2025-01-01T00:00:00Z")
	b.ReportAllocs()
	for b.Loop() {
		r.ExpiresSoon(e, now)
	}
}

// TestDueBy: no email dated after DueBy(t) is expired at t, and one dated
// at it is (its shortest period is exactly the bound, in days).
func TestDueBy(t *testing.T) {
	r, err := CompileRetention(discreet.Retention{Private: "P1Y", Public: "P3Y", Teams: map[string]discreet.RetentionPeriods{"ch": {Team: "P2M"}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	bound, ok := r.DueBy(now)
	if !ok || !bound.Equal(now.AddDate(0, 0, -56)) {
		t.Fatalf("DueBy = %v, %v: want 56 days (two months of 28) before", bound, ok)
	}
	for d := bound.Add(time.Second); d.Before(now); d = d.Add(7 * time.Hour) {
		for _, team := range []string{"ch", "de"} {
			for _, v := range []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic} {
				if e := (discreet.Email{Date: d, LoggedAt: d, Team: team, Visibility: v}); r.Expired(e, now) {
					t.Fatalf("an email dated %v (after the bound %v) is expired at %v", d, bound, now)
				}
			}
		}
	}
	if _, ok := (*Retention)(nil).DueBy(now); ok {
		t.Fatal("a nil retention bounds something")
	}
	keep, _ := CompileRetention(discreet.Retention{})
	if _, ok := keep.DueBy(now); ok {
		t.Fatal("no periods bounds something")
	}
}
