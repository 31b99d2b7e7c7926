package policy

import (
	"hash/maphash"
	"math"
	"math/bits"
	"strings"
)

// NeverLogList is a compiled Never Log List. It is immutable after Compile,
// so any number of goroutines may call Match at once. Match costs one probe
// for the address plus one per label of its domain, whatever the size of
// the list.
//
// The probes go to a flat table of 32-bit fingerprints of the entries'
// hashes, not to the maps: a probe that misses (nearly all of them) touches
// one cache line of a table a few times smaller than the maps, and the
// probes of an email are independent loads the CPU overlaps. Only a
// fingerprint hit is confirmed against the maps. At a million entries each
// map probe was a cache miss of its own.
type NeverLogList struct {
	addresses map[string]struct{}
	domains   map[string]struct{}
	slots     []uint32 // fingerprints; open addressing, linear probing; 0 is empty
	// minDots and maxDots bound the dots of the domain entries: a suffix
	// with more or fewer dots cannot be one, and is not probed.
	minDots, maxDots int
}

// Compile builds a list from parsed entries. Duplicates collapse.
func Compile(entries []Entry) *NeverLogList {
	l := &NeverLogList{addresses: map[string]struct{}{}, domains: map[string]struct{}{}}
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
	// A load of 2/3 keeps a missing probe to about two adjacent slots.
	l.slots = make([]uint32, 8+l.Len()*3/2)
	for _, m := range []map[string]struct{}{l.addresses, l.domains} {
		for k := range m {
			h := hashKey(k)
			i, fp := l.slot(h), fingerprint(h)
			for l.slots[i] != 0 && l.slots[i] != fp {
				if i++; i == len(l.slots) {
					i = 0
				}
			}
			l.slots[i] = fp
		}
	}
	return l
}

// seed is shared by all lists of the process, so Decide hashes an email's
// keys once for the org and the personal list.
var seed = maphash.MakeSeed()

func hashKey(key string) uint64 { return maphash.String(seed, key) }

// slot is where h starts probing: its high bits scaled to the table.
func (l *NeverLogList) slot(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(l.slots)))
	return int(hi)
}

// fingerprint is the low half of h, never 0 (the empty slot).
func fingerprint(h uint64) uint32 {
	if fp := uint32(h); fp != 0 {
		return fp
	}
	return 1
}

// mayHold reports whether a key of hash h may be an entry: false means it
// surely is not.
func (l *NeverLogList) mayHold(h uint64) bool {
	fp := fingerprint(h)
	for i := l.slot(h); ; {
		switch l.slots[i] {
		case fp:
			return true
		case 0:
			return false
		}
		if i++; i == len(l.slots) {
			i = 0
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
	if len(l.addresses) > 0 && l.mayHold(hashKey(addr)) {
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
				keys[n], hashes[n] = d, hashKey(d)
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

// batch is how many keys one round of candidates holds.
const batch = 32

// candidates are the keys an entry could have for some participants: each
// participant key (address or lenient key), then its domain and parent
// domains, most specific first, with their hashes computed once.
type candidates struct {
	n    int
	key  [batch]string
	hash [batch]uint64
	dots [batch]int // of a domain key; -1 for an address
	// who is the participant, src the participant key (address or lenient
	// key) the candidate comes from.
	who [batch]int32
	src [batch]string
}

// add appends the keys of key, a participant key of participant who, with
// domain keys of lo to hi dots only; it adds nothing and reports false when
// they do not fit.
func (c *candidates) add(key string, who int, lo, hi int) bool {
	d := DomainOf(key)
	dots := strings.Count(d, ".")
	need := 1
	if top := min(dots, hi); top >= lo {
		need += top - lo + 1
	}
	if c.n+need > batch {
		return false
	}
	c.put(key, -1, who, key)
	for ; dots >= lo; dots-- {
		if dots <= hi {
			c.put(d, dots, who, key)
		}
		d = d[strings.IndexByte(d, '.')+1:]
	}
	return true
}

func (c *candidates) put(key string, dots, who int, src string) {
	c.key[c.n], c.hash[c.n], c.dots[c.n], c.who[c.n], c.src[c.n] = key, hashKey(key), dots, int32(who), src
	c.n++
}

// participantKey is the i-th key participant p is matched by: its address,
// or, when it has none, its lenient keys.
func participantKey(p *Participant, i int) string {
	if p.Address != "" {
		return p.Address
	}
	return p.Lenient[i]
}

func participantKeys(p *Participant) int {
	if p.Address != "" {
		return 1
	}
	return len(p.Lenient)
}

// fill adds the keys of every participant; false when they do not fit one
// round.
func (c *candidates) fill(ps []Participant, lo, hi int) bool {
	for i := range ps {
		p := &ps[i]
		for k := range participantKeys(p) {
			if !c.add(participantKey(p, k), i, lo, hi) {
				return false
			}
		}
	}
	return true
}

// dotRange is the range of dots of the domain entries of lists; lo > hi
// when none has any.
func dotRange(lists ...*NeverLogList) (lo, hi int) {
	lo, hi = math.MaxInt, -1
	for _, l := range lists {
		if l != nil && len(l.domains) > 0 {
			lo, hi = min(lo, l.minDots), max(hi, l.maxDots)
		}
	}
	return lo, hi
}

// NeverLogMatch says which entry covers which participant.
type NeverLogMatch struct {
	Entry Entry
	// List is "org" or "personal" (MatchNeverLog), "" for Match.
	List string
	// Key is the participant's address, or the lenient key that matched.
	Key string
	// Participant is the index of the participant covered.
	Participant int
}

// matchCandidates is the first candidate that is an entry of l. All probes
// are made before any is confirmed: they are independent loads, so their
// cache misses overlap instead of queueing one after the other.
func (l *NeverLogList) matchCandidates(c *candidates) (NeverLogMatch, bool) {
	if l == nil || len(l.addresses)+len(l.domains) == 0 {
		return NeverLogMatch{}, false
	}
	var hit [batch]bool
	for j := range c.n {
		if d := c.dots[j]; d < 0 && len(l.addresses) > 0 || d >= 0 && len(l.domains) > 0 && d >= l.minDots && d <= l.maxDots {
			hit[j] = l.mayHold(c.hash[j])
		}
	}
	for j := range c.n {
		if !hit[j] {
			continue
		}
		m, kind := l.domains, KindDomain
		if c.dots[j] < 0 {
			m, kind = l.addresses, KindAddress
		}
		if _, ok := m[c.key[j]]; ok {
			return NeverLogMatch{Entry: Entry{Kind: kind, Value: c.key[j]}, Key: c.src[j], Participant: int(c.who[j])}, true
		}
	}
	return NeverLogMatch{}, false
}

// matchRounds is matchCandidates over participants whose keys do not fit
// one round: the first participant key covered by an entry wins, and for
// it the usual precedence.
func (l *NeverLogList) matchRounds(ps []Participant) (NeverLogMatch, bool) {
	if l == nil || len(l.addresses)+len(l.domains) == 0 {
		return NeverLogMatch{}, false
	}
	lo, hi := dotRange(l)
	var c candidates
	i, k := 0, 0 // the next participant and key of it to add
	for i < len(ps) {
		c.n = 0
		for i < len(ps) {
			p := &ps[i]
			if k >= participantKeys(p) {
				i, k = i+1, 0
				continue
			}
			key := participantKey(p, k)
			if c.add(key, i, lo, hi) {
				k++
				continue
			}
			if c.n == 0 { // more labels than a round holds: on its own
				if e, ok := l.Match(key); ok {
					return NeverLogMatch{Entry: e, Key: key, Participant: i}, true
				}
				k++
				continue
			}
			break
		}
		if m, ok := l.matchCandidates(&c); ok {
			return m, true
		}
	}
	return NeverLogMatch{}, false
}

// MatchNeverLog is the one Never Log matcher: the log decision, the
// compose card, never-log:check and intents all ask it, and the purge
// index (IndexKeys) records exactly the keys it matches. It returns the
// first participant an entry of org covers, else the first one of
// personal, so the admin's entry is the one reported when both match. A
// participant is matched by its normalized address, or, when it has none,
// by each of its lenient keys: an address entry matches a key exactly, a
// domain entry every key whose domain is it or ends in "." + it.
func MatchNeverLog(org, personal *NeverLogList, ps []Participant) (NeverLogMatch, bool) {
	if org.Len()+personal.Len() == 0 {
		return NeverLogMatch{}, false
	}
	lists := [...]struct {
		l    *NeverLogList
		name string
	}{{org, "org"}, {personal, "personal"}}
	// The keys of all participants are hashed once, for both lists.
	var c candidates
	lo, hi := dotRange(org, personal)
	fits := c.fill(ps, lo, hi)
	for _, l := range lists {
		var m NeverLogMatch
		var ok bool
		if fits {
			m, ok = l.l.matchCandidates(&c)
		} else {
			m, ok = l.l.matchRounds(ps)
		}
		if ok {
			m.List = l.name
			return m, true
		}
	}
	return NeverLogMatch{}, false
}

// Domains is a set of domains that also covers their subdomains; the org's
// internal domains are one.
type Domains struct {
	set map[string]struct{}
	// few holds the domains when there are only a few: comparing
	// suffixes is then cheaper than hashing every parent domain.
	few []string
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
	if len(ds.set) <= 8 {
		for d := range ds.set {
			ds.few = append(ds.few, d)
		}
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
	if ds.few != nil || len(ds.set) == 0 {
		for _, x := range ds.few {
			if d == x || len(d) > len(x) && d[len(d)-len(x)-1] == '.' && strings.HasSuffix(d, x) {
				return true
			}
		}
		return false
	}
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
