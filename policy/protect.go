package policy

import (
	"github.com/discreet-crm/discreet"
)

// Protected is the org's compiled protected contacts and domains
// (PRODUCT.md, "Access requests and sharing"). It matches exactly as the
// Never Log List does (every participant, subdomains, address tricks,
// lenient keys of unreadable participants), by the same matcher: a
// protection only narrows, so matching as strictly as a block does is the
// safe side. A nil *Protected protects nothing.
type Protected struct {
	list *NeverLogList
}

// CompileProtected compiles entries; patterns that no longer parse are
// returned in bad (the service refuses to store them, so none are expected).
func CompileProtected(entries []discreet.ProtectedEntry) (p *Protected, bad []string) {
	patterns := make([]string, len(entries))
	for i, e := range entries {
		patterns[i] = e.Pattern
	}
	l, bad := CompilePatterns(patterns)
	return &Protected{list: l}, bad
}

// Len is the number of entries.
func (p *Protected) Len() int {
	if p == nil {
		return 0
	}
	return p.list.Len()
}

// Covers reports the first participant a protected entry covers: the
// entry and the participant's address (or lenient key).
func (p *Protected) Covers(ps []Participant) (Entry, string, bool) {
	if p.Len() == 0 {
		return Entry{}, "", false
	}
	m, ok := MatchNeverLog(p.list, nil, ps)
	return m.Entry, m.Key, ok
}

// CoversAddress reports whether addr (normalized) is protected.
func (p *Protected) CoversAddress(addr string) (Entry, bool) {
	if p.Len() == 0 {
		return Entry{}, false
	}
	return p.list.Match(addr)
}

// CoversEmail reports whether a logged email has a protected participant:
// any address it names (participants, contacts, colleagues) or lenient key.
func (p *Protected) CoversEmail(e discreet.Email) (Entry, string, bool) {
	if p.Len() == 0 {
		return Entry{}, "", false
	}
	for _, list := range [][]string{e.Contacts, e.Participants, e.Lenient} {
		for _, a := range list {
			if en, ok := p.list.Match(a); ok {
				return en, a, true
			}
		}
	}
	return Entry{}, "", false
}

// Protect forces d private when a participant of ps is protected, whatever
// the rep chose and whatever the defaults, and says why. A decision that
// does not log is left alone: a protection only narrows what is logged.
func Protect(d discreet.Decision, p *Protected, ps []Participant) discreet.Decision {
	if !d.Logged {
		return d
	}
	if _, key, ok := p.Covers(ps); ok {
		d.Visibility = discreet.VisibilityPrivate
		d.VisibilityForced = discreet.ForcedProtected
		d.Protected = key
	}
	return d
}

// ProtectedContactAccess narrows access (ContactAccess's answer) for a
// protected contact: only its owner and admins get more than the stub, so
// neither its details nor its timeline's hidden entries show anyone else
// the owner's activity. Everyone else gets exactly the stub.
func ProtectedContactAccess(v discreet.User, c discreet.Contact, access discreet.Access, p *Protected) discreet.Access {
	if access != discreet.AccessFull || v.Role == discreet.RoleAdmin || isUser(v, c.Owner) {
		return access
	}
	if _, ok := p.CoversAddress(c.Email); ok {
		return discreet.AccessStub
	}
	return access
}
