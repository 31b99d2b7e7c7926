package policy

import (
	"strings"
	"unicode"
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
// display names and comments allowed), or a domain ("@example.com",
// "*@example.com", "example.com"). An address entry's Value is exactly what
// NormalizeAddress makes of the same text, so it matches that mailbox
// however it is written. The error says what is wrong.
func ParseEntry(s string) (Entry, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Entry{}, invalid("the pattern is empty")
	}
	if strings.ContainsAny(s, "<>\"()") {
		// Display names, quotes and comments only ever surround one mailbox.
		addr, err := NormalizeAddress(s)
		if err != nil {
			return Entry{}, invalid("%v", err)
		}
		if strings.Contains(addr, "*") {
			return Entry{}, invalid("%q: '*' is only allowed as the leading '*@'", s)
		}
		return Entry{Kind: KindAddress, Value: addr}, nil
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return Entry{}, invalid("%q contains a space", s)
	}
	domainForm := false
	rest := s
	switch {
	case strings.HasPrefix(s, "*@"):
		rest, domainForm = s[2:], true
	case strings.HasPrefix(s, "@"):
		rest, domainForm = s[1:], true
	}
	if strings.Contains(rest, "*") {
		return Entry{}, invalid("%q: '*' is only allowed as the leading '*@'", s)
	}
	switch n := strings.Count(rest, "@"); {
	case n > 1 || n == 1 && domainForm:
		return Entry{}, invalid("%q has more than one '@'", s)
	case n == 1:
		addr, err := normalizeBare(rest)
		if err != nil {
			return Entry{}, invalid("%v", err)
		}
		return Entry{Kind: KindAddress, Value: addr}, nil
	}
	d, err := NormalizeDomain(rest)
	if err != nil {
		return Entry{}, invalid("%q: %v", s, err)
	}
	return Entry{Kind: KindDomain, Value: canonicalDomain(d)}, nil
}
