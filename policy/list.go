package policy

import "strings"

// NeverLogList is a compiled Never Log List. It is immutable after Compile,
// so any number of goroutines may call Match at once. Match costs one map
// lookup for the address plus one per label of its domain, whatever the
// size of the list.
type NeverLogList struct {
	addresses map[string]struct{}
	domains   map[string]struct{}
}

// Compile builds a list from parsed entries. Duplicates collapse.
func Compile(entries []Entry) *NeverLogList {
	l := &NeverLogList{addresses: map[string]struct{}{}, domains: map[string]struct{}{}}
	for _, e := range entries {
		switch e.Kind {
		case KindAddress:
			l.addresses[e.Value] = struct{}{}
		case KindDomain:
			l.domains[e.Value] = struct{}{}
		}
	}
	return l
}

// CompilePatterns parses and compiles stored patterns. A pattern that no
// longer parses (it was stored under older rules) is returned in bad and
// skipped, so one bad line never disables the whole list.
func CompilePatterns(patterns []string) (l *NeverLogList, bad []string) {
	entries := make([]Entry, 0, len(patterns))
	for _, p := range patterns {
		e, err := ParseEntry(p)
		if err != nil {
			bad = append(bad, p)
			continue
		}
		entries = append(entries, e)
	}
	return Compile(entries), bad
}

// Len is the number of distinct entries.
func (l *NeverLogList) Len() int {
	if l == nil {
		return 0
	}
	return len(l.addresses) + len(l.domains)
}

// Match reports the entry that covers addr, a normalized address. An exact
// address entry wins over a domain entry, and a longer domain over a shorter.
func (l *NeverLogList) Match(addr string) (Entry, bool) {
	if l == nil || addr == "" {
		return Entry{}, false
	}
	if _, ok := l.addresses[addr]; ok {
		return Entry{Kind: KindAddress, Value: addr}, true
	}
	if len(l.domains) == 0 {
		return Entry{}, false
	}
	d := DomainOf(addr)
	for {
		if _, ok := l.domains[d]; ok {
			return Entry{Kind: KindDomain, Value: d}, true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return Entry{}, false
		}
		d = d[i+1:]
	}
}

// Domains is a set of domains that also covers their subdomains; the org's
// internal domains are one.
type Domains struct {
	set map[string]struct{}
}

// NewDomains normalizes and compiles domains.
func NewDomains(domains []string) (*Domains, error) {
	ds := &Domains{set: make(map[string]struct{}, len(domains))}
	for _, d := range domains {
		n, err := NormalizeDomain(d)
		if err != nil {
			return nil, invalid("internalDomains: %v", err)
		}
		ds.set[canonicalDomain(n)] = struct{}{}
	}
	return ds, nil
}

// Covers reports whether the normalized address addr is at one of the
// domains or a subdomain of one.
func (ds *Domains) Covers(addr string) bool {
	if ds == nil || addr == "" {
		return false
	}
	d := DomainOf(addr)
	for {
		if _, ok := ds.set[d]; ok {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return false
		}
		d = d[i+1:]
	}
}

// DomainSuffixes lists the domain of a normalized address and every parent
// domain of at least two labels ("a.b.example.com" → a.b.example.com,
// b.example.com, example.com). Stores index an email's participants by these
// so a domain entry finds the emails it covers with one lookup.
func DomainSuffixes(addr string) []string {
	d := DomainOf(addr)
	var out []string
	for strings.Contains(d, ".") {
		out = append(out, d)
		d = d[strings.IndexByte(d, '.')+1:]
	}
	return out
}
