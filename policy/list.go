package policy

import (
	"hash/maphash"
	"strings"
)

// NeverLogList is a compiled Never Log List. It is immutable after Compile,
// so any number of goroutines may call Match at once. Match costs one probe
// for the address plus one per label of its domain, whatever the size of
// the list.
//
// The probes go to a flat table of 64-bit key hashes, not to the maps: a
// probe that misses (nearly all of them) touches one cache line, and the
// probes of one address are independent loads the CPU overlaps. Only a hash
// hit is confirmed against the maps. At a million entries this is several
// times faster than probing the maps directly, whose every miss is a cache
// miss of its own.
type NeverLogList struct {
	addresses map[string]struct{}
	domains   map[string]struct{}
	seed      maphash.Seed
	slots     []uint64 // open addressing, linear probing; 0 is empty
	mask      uint64
	// minDots and maxDots bound the dots of the domain entries: a suffix
	// with more or fewer dots cannot be one, and is not probed.
	minDots, maxDots int
}

// Compile builds a list from parsed entries. Duplicates collapse.
func Compile(entries []Entry) *NeverLogList {
	l := &NeverLogList{addresses: map[string]struct{}{}, domains: map[string]struct{}{}, seed: maphash.MakeSeed()}
	for _, e := range entries {
		switch e.Kind {
		case KindAddress:
			l.addresses[e.Value] = struct{}{}
		case KindDomain:
			dots := strings.Count(e.Value, ".")
			if len(l.domains) == 0 || dots < l.minDots {
				l.minDots = dots
			}
			l.maxDots = max(l.maxDots, dots)
			l.domains[e.Value] = struct{}{}
		}
	}
	// A load of at most 1/2 keeps a missing probe to about one slot.
	size := 8
	for size < 2*l.Len() {
		size *= 2
	}
	l.slots = make([]uint64, size)
	l.mask = uint64(size - 1)
	for _, m := range []map[string]struct{}{l.addresses, l.domains} {
		for k := range m {
			h := l.hash(k)
			i := h & l.mask
			for l.slots[i] != 0 && l.slots[i] != h {
				i = (i + 1) & l.mask
			}
			l.slots[i] = h
		}
	}
	return l
}

// hash is never 0, the empty slot.
func (l *NeverLogList) hash(key string) uint64 {
	if h := maphash.String(l.seed, key); h != 0 {
		return h
	}
	return 1
}

// mayHold reports whether hash h is in the table: false means its key is
// surely not an entry.
func (l *NeverLogList) mayHold(h uint64) bool {
	for i := h & l.mask; ; i = (i + 1) & l.mask {
		switch l.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
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

// maxLabels bounds the probes Match prepares at once; a longer domain is
// walked in further rounds.
const maxLabels = 16

// Match reports the entry that covers addr, a normalized address. An exact
// address entry wins over a domain entry, and a longer domain over a shorter.
func (l *NeverLogList) Match(addr string) (Entry, bool) {
	if l == nil || addr == "" || len(l.addresses)+len(l.domains) == 0 {
		return Entry{}, false
	}
	if len(l.addresses) > 0 && l.mayHold(l.hash(addr)) {
		if _, ok := l.addresses[addr]; ok {
			return Entry{Kind: KindAddress, Value: addr}, true
		}
	}
	if len(l.domains) == 0 {
		return Entry{}, false
	}
	d := DomainOf(addr)
	for {
		// Hash every suffix first, then probe them all: the loads do not
		// depend on one another, so their cache misses overlap.
		var keys [maxLabels]string
		var hashes [maxLabels]uint64
		n := 0
		for n < maxLabels && d != "" {
			dots := strings.Count(d, ".")
			if dots < l.minDots {
				d = ""
				break
			}
			if dots <= l.maxDots {
				keys[n], hashes[n] = d, l.hash(d)
				n++
			}
			if i := strings.IndexByte(d, '.'); i >= 0 {
				d = d[i+1:]
			} else {
				d = ""
			}
		}
		var hit [maxLabels]bool
		for j := range n {
			hit[j] = l.mayHold(hashes[j])
		}
		for j := range n {
			if hit[j] {
				if _, ok := l.domains[keys[j]]; ok {
					return Entry{Kind: KindDomain, Value: keys[j]}, true
				}
			}
		}
		if d == "" {
			return Entry{}, false
		}
	}
}

// batch is how many probes matchFirst prepares before it touches memory.
const batch = 64

// matchFirst is Match over every participant's address at once: the first
// participant covered by an entry wins, and for it the usual precedence.
// All probes are hashed before any is made, so the cache misses of a whole
// email overlap instead of queueing one after the other.
func (l *NeverLogList) matchFirst(ps []Participant) (e Entry, addr string, ok bool) {
	if l == nil || len(l.addresses)+len(l.domains) == 0 {
		return Entry{}, "", false
	}
	var (
		keys   [batch]string
		hashes [batch]uint64
		kinds  [batch]Kind
		owners [batch]string
	)
	for i := 0; i < len(ps); {
		n := 0
		for ; i < len(ps); i++ {
			a := ps[i].Address
			if a == "" {
				continue
			}
			d := DomainOf(a)
			need := 2 + strings.Count(d, ".")
			if need > batch { // absurdly many labels: on its own
				if n > 0 {
					break
				}
				if e, ok := l.Match(a); ok {
					return e, a, true
				}
				continue
			}
			if n+need > batch {
				break
			}
			if len(l.addresses) > 0 {
				keys[n], hashes[n], kinds[n], owners[n] = a, l.hash(a), KindAddress, a
				n++
			}
			if len(l.domains) == 0 {
				continue
			}
			for dots := need - 2; dots >= l.minDots; dots-- {
				if dots <= l.maxDots {
					keys[n], hashes[n], kinds[n], owners[n] = d, l.hash(d), KindDomain, a
					n++
				}
				d = d[strings.IndexByte(d, '.')+1:]
			}
		}
		var hit [batch]bool
		for j := range n {
			hit[j] = l.mayHold(hashes[j])
		}
		for j := range n {
			if !hit[j] {
				continue
			}
			m := l.domains
			if kinds[j] == KindAddress {
				m = l.addresses
			}
			if _, ok := m[keys[j]]; ok {
				return Entry{Kind: kinds[j], Value: keys[j]}, owners[j], true
			}
		}
	}
	return Entry{}, "", false
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
