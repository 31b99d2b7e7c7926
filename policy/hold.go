package policy

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/discreet-crm/discreet"
)

// MaxHoldReason bounds a legal hold's reason, in characters.
const MaxHoldReason = 1000

// ParseLegalHold checks a hold an admin creates and returns it normalized:
// the contact and user as normalized addresses, the domain as a normalized
// domain, the reason trimmed. A hold covers exactly one thing: a contact, a
// domain, a user, or a range of message dates (from and to, both included).
// The error is a *discreet.Error whose message names the field at fault.
func ParseLegalHold(h discreet.LegalHold) (discreet.LegalHold, error) {
	var given []string
	if strings.TrimSpace(h.Contact) != "" {
		given = append(given, "contact")
	}
	if strings.TrimSpace(h.Domain) != "" {
		given = append(given, "domain")
	}
	if strings.TrimSpace(h.User) != "" {
		given = append(given, "user")
	}
	if !h.From.IsZero() || !h.To.IsZero() {
		given = append(given, "from and to")
	}
	switch len(given) {
	case 0:
		return h, discreet.Errorf(discreet.EInvalid, "a hold needs what it covers: a contact, a domain, a user, or from and to")
	case 1:
	default:
		return h, discreet.Errorf(discreet.EInvalid, "a hold covers one thing: give a contact, a domain, a user, or from and to, not %s", strings.Join(given, " and "))
	}
	var err error
	switch given[0] {
	case "contact":
		h.Contact, err = holdAddress("contact", h.Contact)
	case "domain":
		var e Entry
		if e, err = ParseEntry(h.Domain); err != nil {
			err = discreet.FieldError("domain", "%s", discreet.ErrorMessage(err))
		} else if e.Kind != KindDomain {
			err = discreet.FieldError("domain", "%q is an address; put it in contact", h.Domain)
		}
		h.Domain = e.Value
	case "user":
		h.User, err = holdAddress("user", h.User)
	default:
		switch {
		case h.From.IsZero():
			err = discreet.FieldError("from", "is missing; a date range needs from and to")
		case h.To.IsZero():
			err = discreet.FieldError("to", "is missing; a date range needs from and to")
		case h.To.Before(h.From):
			err = discreet.FieldError("to", "is before from")
		}
	}
	if err != nil {
		return h, err
	}
	h.Reason = strings.TrimSpace(h.Reason)
	switch n := utf8.RuneCountInString(h.Reason); {
	case !utf8.ValidString(h.Reason):
		return h, discreet.FieldError("reason", "is not valid UTF-8")
	case n == 0:
		return h, discreet.FieldError("reason", "is missing; say why the hold is needed, e.g. the case it is for")
	case n > MaxHoldReason:
		return h, discreet.FieldError("reason", "is %d characters long; at most %d", n, MaxHoldReason)
	}
	return h, nil
}

// holdAddress normalizes the one mailbox of a contact or user hold.
func holdAddress(field, s string) (string, error) {
	e, err := ParseEntry(s)
	if err != nil {
		return "", discreet.FieldError(field, "%s", discreet.ErrorMessage(err))
	}
	if e.Kind != KindAddress {
		return "", discreet.FieldError(field, "%q is a domain; a %s is one address (a domain hold goes in domain)", s, field)
	}
	return e.Value, nil
}

// LegalHolds is a compiled set of holds. It is immutable. A nil
// *LegalHolds holds nothing.
type LegalHolds struct {
	holds []discreet.LegalHold // normalized
	// broken are stored holds that no longer pass ParseLegalHold. Each
	// holds every email: a hold that cannot be read must not let anything
	// it may cover be deleted.
	broken []discreet.LegalHold
}

// CompileHolds compiles stored holds. The ones that no longer parse are
// returned in broken as well as kept, holding everything, until an admin
// repairs or lifts them.
func CompileHolds(hs []discreet.LegalHold) (l *LegalHolds, broken []discreet.LegalHold) {
	l = &LegalHolds{}
	for _, h := range hs {
		p, err := ParseLegalHold(h)
		if err != nil {
			l.broken = append(l.broken, h)
			continue
		}
		l.holds = append(l.holds, p)
	}
	return l, l.broken
}

// Len is the number of holds, broken ones included.
func (l *LegalHolds) Len() int {
	if l == nil {
		return 0
	}
	return len(l.holds) + len(l.broken)
}

// emailAddresses are the normalized addresses an email names: its stored
// participants, contacts and colleagues, the lenient keys of participants
// that did not read as addresses (a hold covers what the Never Log List
// would match), and what From, To and Cc say.
func emailAddresses(e discreet.Email) []string {
	out := make([]string, 0, len(e.Participants)+len(e.Lenient)+len(e.Contacts)+len(e.Internal)+2+len(e.To)+len(e.Cc))
	out = append(out, e.Participants...)
	out = append(out, e.Lenient...)
	out = append(out, e.Contacts...)
	out = append(out, e.Internal...)
	for _, l := range [][]string{{e.From}, e.To, e.Cc} {
		for _, s := range l {
			if slices.Contains(out, s) {
				continue // already normalized: stored emails keep normalized addresses
			}
			if a, err := NormalizeAddress(s); err == nil && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// atDomain reports whether the normalized address a is at domain d or a
// subdomain of it.
func atDomain(a, d string) bool {
	return under(DomainOf(a), d)
}

// under reports whether domain x is d or a subdomain of it.
func under(x, d string) bool {
	return x == d || len(x) > len(d) && x[len(x)-len(d)-1] == '.' && strings.HasSuffix(x, d)
}

// HeldBy reports whether a hold covers e, and the first that does: the
// retention sweep and an erasure skip it (and audit the skip). An email
// whose date cannot be told is held by any date-range hold.
func (l *LegalHolds) HeldBy(e discreet.Email) (discreet.LegalHold, bool) {
	if l.Len() == 0 {
		return discreet.LegalHold{}, false
	}
	if len(l.broken) > 0 {
		return l.broken[0], true
	}
	var addrs, domains []string // computed once, when a hold needs them
	for _, h := range l.holds {
		switch {
		case h.Contact != "" || h.Domain != "" || h.User != "":
			if addrs == nil {
				addrs = emailAddresses(e)
				domains = make([]string, len(addrs))
				for i, a := range addrs {
					domains[i] = DomainOf(a)
				}
			}
			if h.User != "" && e.Owner == h.User {
				return h, true
			}
			for i, a := range addrs {
				if a == h.Contact || a == h.User || h.Domain != "" && under(domains[i], h.Domain) {
					return h, true
				}
			}
		default:
			start := RetentionStart(e)
			if start.IsZero() || !start.Before(h.From) && !start.After(h.To) {
				return h, true
			}
		}
	}
	return discreet.LegalHold{}, false
}

// HoldsSubject reports whether a hold covers an erasure subject itself — a
// contact hold on the address or on an address at the domain, a domain
// hold on its domain, a parent or a subdomain, a user hold on it — so the
// erasure is refused and says which hold stops it. Date-range holds cover
// emails, not people: HeldBy skips those emails one by one.
func (l *LegalHolds) HoldsSubject(subject Entry) (discreet.LegalHold, bool) {
	if l.Len() == 0 {
		return discreet.LegalHold{}, false
	}
	if len(l.broken) > 0 {
		return l.broken[0], true
	}
	for _, h := range l.holds {
		for _, a := range []string{h.Contact, h.User} {
			if a == "" {
				continue
			}
			if subject.Kind == KindAddress && a == subject.Value || subject.Kind == KindDomain && atDomain(a, subject.Value) {
				return h, true
			}
		}
		if h.Domain == "" {
			continue
		}
		d := subject.Value
		if subject.Kind == KindAddress {
			d = DomainOf(subject.Value)
		}
		if under(d, h.Domain) || subject.Kind == KindDomain && under(h.Domain, d) {
			return h, true
		}
	}
	return discreet.LegalHold{}, false
}
