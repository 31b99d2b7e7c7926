package policy

import (
	"net/mail"
	"strings"
)

// Kind is what a Never Log entry matches.
type Kind uint8

const (
	KindAddress Kind = iota + 1 // one mailbox
	KindDomain                  // every address at a domain and its subdomains
)

// Entry is a parsed Never Log pattern.
type Entry struct {
	Kind  Kind
	Value string // normalized address, or punycode domain
}

// String is the entry's one canonical form: "anna@example.com" or
// "@example.com". ParseEntry(e.String()) == e.
func (e Entry) String() string {
	if e.Kind == KindDomain {
		return "@" + e.Value
	}
	return e.Value
}

// ParseEntry reads one Never Log pattern: an address ("anna@example.com",
// display names allowed), or a domain ("@example.com", "*@example.com",
// "example.com"). The error says what is wrong.
func ParseEntry(s string) (Entry, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Entry{}, invalid("the pattern is empty")
	}
	if strings.ContainsAny(s, "<>") {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return Entry{}, invalid("%q is not an email address", s)
		}
		s = a.Address
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return Entry{}, invalid("%q contains a space", s)
	}
	domainForm := false
	switch {
	case strings.HasPrefix(s, "*@"):
		s, domainForm = s[2:], true
	case strings.HasPrefix(s, "@"):
		s, domainForm = s[1:], true
	}
	if strings.Contains(s, "*") {
		return Entry{}, invalid("%q: '*' is only allowed as the leading '*@'", s)
	}
	switch n := strings.Count(s, "@"); {
	case n > 1 || n == 1 && domainForm:
		return Entry{}, invalid("%q has more than one '@'", s)
	case n == 1:
		addr, err := normalizeSpec(s)
		if err != nil {
			return Entry{}, invalid("%v", err)
		}
		return Entry{Kind: KindAddress, Value: addr}, nil
	}
	d, err := NormalizeDomain(s)
	if err != nil {
		return Entry{}, invalid("%v", err)
	}
	return Entry{Kind: KindDomain, Value: d}, nil
}
