package policy

import (
	"slices"

	"github.com/discreet-crm/discreet"
)

// Input is everything the log decision needs.
type Input struct {
	// Participants are every address of From, Sender, Reply-To, To, Cc and
	// Bcc (when known), as ParseAddressList returns them.
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
}

// Decide is the log decision of PRODUCT.md, in its order: never_log_list,
// toggled_off, internal_only, logged.
func Decide(in Input) discreet.Decision {
	var d discreet.Decision
	for _, p := range in.Participants {
		if p.Err != nil {
			d.Malformed = append(d.Malformed, p.Raw)
		}
		if p.Address == "" {
			continue
		}
		// The Never Log List beats everything and is checked against every
		// participant, salvaged malformed ones included.
		if e, ok := in.Org.Match(p.Address); ok {
			return blocked(e, "org", p.Address, d.Malformed)
		}
		if e, ok := in.Personal.Match(p.Address); ok {
			return blocked(e, "personal", p.Address, d.Malformed)
		}
		if p.Err != nil || slices.Contains(d.Contacts, p.Address) || slices.Contains(d.Internal, p.Address) {
			continue
		}
		if in.Internal.Covers(p.Address) {
			d.Internal = append(d.Internal, p.Address)
		} else {
			d.Contacts = append(d.Contacts, p.Address)
		}
	}
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
	}
	slices.Sort(d.Contacts)
	slices.Sort(d.Internal)
	return d
}

func blocked(e Entry, list, addr string, malformed []string) discreet.Decision {
	return discreet.Decision{
		Reason:    discreet.ReasonNeverLogList,
		Entry:     e.String(),
		List:      list,
		Address:   addr,
		Malformed: malformed,
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
