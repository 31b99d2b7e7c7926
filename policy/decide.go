package policy

import (
	"slices"
	"strings"

	"github.com/discreet-crm/discreet"
)

// Input is everything the log decision needs.
type Input struct {
	// Participants are every participant of the email (ParticipantFields,
	// Bcc when known), as ParseAddressList returns them.
	Participants []Participant
	// Toggle is the rep's per-send Log switch; nil when they did not touch
	// it, and DefaultLog applies.
	Toggle     *bool
	DefaultLog bool
	// Visibility is the rep's choice; "" means DefaultVisibility.
	Visibility        discreet.Visibility
	DefaultVisibility discreet.Visibility
	Internal          *Domains
	Org               *NeverLogList
	Personal          *NeverLogList
	// Erased are the org's erasure tombstones; nil holds none.
	Erased *Tombstones
	// Rules are the org's sensitivity rules and the text they read; the
	// zero value (no rules) adds nothing to the decision.
	Rules Sensitivity
	// Protected are the org's protected contacts and domains: an email
	// with one is logged private whatever was chosen (protect.go).
	Protected *Protected
}

// Decide is the log decision of PRODUCT.md, in its order: never_log_list,
// (erased_subject, sensitive_content: see below), unreadable_participant,
// toggled_off, internal_only, logged. Every participant is checked against
// the org list before any against the personal list, so the admin's entry
// is the one reported when both match.
func Decide(in Input) discreet.Decision {
	ps := in.Participants // read through pointers: a Participant is 100 bytes to copy
	var malformed []string
	unreadable := -1
	for i := range ps {
		p := &ps[i]
		if p.Err != nil && !slices.Contains(malformed, p.Raw) {
			malformed = append(malformed, p.Raw)
		}
		if p.Unreadable && unreadable < 0 {
			unreadable = i
		}
	}
	// The Never Log List beats everything and is checked against every
	// participant, by its address or, when it has none, its lenient keys.
	if m, ok := MatchNeverLog(in.Org, in.Personal, in.Participants); ok {
		return discreet.Decision{
			Reason:    discreet.ReasonNeverLogList,
			Entry:     m.Entry.String(),
			List:      m.List,
			Address:   m.Key,
			Malformed: malformed,
		}
	}
	// An erased person is never logged again. The decision names no
	// address, no tombstone and no malformed text (which could be the
	// erased one): the rep learns only that someone on it was erased.
	if _, ok := in.Erased.Erased(ps); ok {
		return discreet.Decision{Reason: discreet.ReasonErasedSubject}
	}
	// A sensitivity rule: never_log stops here, naming the rule and never
	// the matched text; private narrows the visibility of what is logged.
	hit := in.Rules.scan()
	if hit.NeverLog() {
		return discreet.Decision{Reason: discreet.ReasonSensitiveContent, Rule: ruleOf(hit), Malformed: malformed}
	}

	// A participant too broken to match is never waved through: nobody can
	// tell whether the List names it.
	if unreadable >= 0 {
		return discreet.Decision{
			Reason:    discreet.ReasonUnreadableParticipant,
			Header:    HeaderName(ps[unreadable].Field),
			Text:      ps[unreadable].Raw,
			Malformed: malformed,
		}
	}
	d := discreet.Decision{Malformed: malformed}
	d.Contacts, d.Internal = contactsAndColleagues(ps, in.Internal)
	log := in.DefaultLog
	if in.Toggle != nil {
		log = *in.Toggle
	}
	switch {
	case !log:
		d.Reason = discreet.ReasonToggledOff
	case len(d.Contacts) == 0:
		d.Reason = discreet.ReasonInternalOnly
	default:
		d.Logged = true
		d.Reason = discreet.ReasonLogged
		d.Visibility = in.Visibility
		if !d.Visibility.Valid() {
			d.Visibility = in.DefaultVisibility
		}
		if !d.Visibility.Valid() {
			d.Visibility = discreet.VisibilityPublic
		}
		if hit.Fired() {
			d.Visibility, d.Rule = discreet.VisibilityPrivate, ruleOf(hit)
		}
		d = Protect(d, in.Protected, ps)
	}
	sortFew(d.Contacts)
	sortFew(d.Internal)
	if len(d.Contacts) == 0 {
		d.Contacts = nil
	}
	if len(d.Internal) == 0 {
		d.Internal = nil
	}
	return d
}

// contactsAndColleagues splits the distinct readable addresses of ps into
// external ones and colleagues, in one allocation of exactly their number
// (the decision's only one; two passes over a handful of participants cost
// less than allocating twice the bytes).
func contactsAndColleagues(ps []Participant, internal *Domains) (contacts, colleagues []string) {
	const few = 32
	if len(ps) > few {
		buf := make([]string, 2*len(ps))
		contacts, colleagues = buf[:0:len(ps)], buf[len(ps):len(ps)]
		for i := range ps {
			p := &ps[i]
			if p.Err != nil || p.Address == "" || slices.Contains(contacts, p.Address) || slices.Contains(colleagues, p.Address) {
				continue
			}
			if internal.Covers(p.Address) {
				colleagues = append(colleagues, p.Address)
			} else {
				contacts = append(contacts, p.Address)
			}
		}
		return contacts, colleagues
	}
	// First pass: which participant is a new contact (1) or colleague (2).
	var kind [few]uint8
	nc, ni := 0, 0
	for i := range ps {
		p := &ps[i]
		if p.Err != nil || p.Address == "" {
			continue
		}
		dup := false
		for j := range i {
			if kind[j] != 0 && ps[j].Address == p.Address {
				dup = true
				break
			}
		}
		switch {
		case dup:
		case internal.Covers(p.Address):
			kind[i] = 2
			ni++
		default:
			kind[i] = 1
			nc++
		}
	}
	if nc+ni == 0 {
		return nil, nil
	}
	buf := make([]string, 0, nc+ni)
	for i := range ps {
		if kind[i] == 1 {
			buf = append(buf, ps[i].Address)
		}
	}
	for i := range ps {
		if kind[i] == 2 {
			buf = append(buf, ps[i].Address)
		}
	}
	return buf[:nc:nc], buf[nc:]
}

// sortFew sorts s: an insertion sort in place for the handful an email
// has, slices.Sort beyond.
func sortFew(s []string) {
	if len(s) > 12 {
		slices.Sort(s)
		return
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// DirectionOf is outbound when the sender is a colleague, else inbound.
func DirectionOf(from []Participant, internal *Domains) discreet.Direction {
	for _, p := range from {
		if p.Address != "" && internal.Covers(p.Address) {
			return discreet.Outbound
		}
	}
	return discreet.Inbound
}

// HeaderName is the header a participant field is read from, as
// ParticipantFields spells it ("resent-to" → "Resent-To").
func HeaderName(field string) string {
	for _, f := range ParticipantFields {
		if strings.EqualFold(f, field) {
			return f
		}
	}
	return field
}
