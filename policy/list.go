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
// The probes go to a Bloom filter of the entries' hashes, one 64-bit word
// per key: a probe is one load and a mask compare with no branch on the
// data, and a miss (nearly every probe) is certain. Only a hit is confirmed
// in the entry table. At filterBitsPerKey bits per entry false hits stay
// under 1% and the filter of a million entries (2 MB) stays near the core,
// where each probe of a map was a cache miss of its own; the probes of an
// email are independent loads the CPU overlaps.
//
// The entries themselves are one string of their values back to back and
// an open-addressing table of offsets: nothing in a list holds a pointer
// per entry, so the garbage collector does not scan a million entries on
// every cycle (with maps it did, and every decision during the mark phase
// paid for it).
type NeverLogList struct {
	filter []uint64
	keys   string   // every entry's value, back to back
	slots  []uint64 // linear probing; 0 is empty; see slotOf
	// long holds the rare entry too long for a slot (slotMaxLen).
	long map[string]Kind
	// addresses and domains count the entries of each kind.
	addresses, domains int
	// minDots and maxDots bound the dots of the domain entries: a suffix
	// with more or fewer dots cannot be one, and is not probed.
	minDots, maxDots int
}

// filterBitsPerKey sizes the filter: about 16 bits per entry, 5 of them set
// per key in one word, is a false hit in about 0.5% of probes.
const filterBitsPerKey = 16

// A slot is an entry's offset in keys (bits 0-31), its length (32-47), 15
// bits of its hash (48-62) and its kind (63, set for a domain), so a probe
// compares strings only when length, hash bits and kind agree.
const (
	slotMaxLen   = 1<<16 - 1
	slotDomain   = 1 << 63
	slotTagShift = 32
)

func slotTag(h uint64, n int, kind Kind) uint64 {
	t := uint64(n)<<slotTagShift | (h>>30&0x7fff)<<48
	if kind == KindDomain {
		t |= slotDomain
	}
	return t
}

// Compile builds a list from parsed entries. Duplicates collapse.
func Compile(entries []Entry) *NeverLogList {
	l := &NeverLogList{}
	size := 0
	for _, e := range entries {
		size += len(e.Value)
	}
	l.slots = make([]uint64, 8+len(entries)*3/2) // a load of 2/3 at most
	l.filter = make([]uint64, 8+len(entries)*filterBitsPerKey/64)
	var keys strings.Builder
	keys.Grow(size)
	for _, e := range entries {
		if e.Kind != KindAddress && e.Kind != KindDomain {
			continue
		}
		h := hashKey(e.Value)
		if l.has(e.Value, h, e.Kind, keys.String()) {
			continue
		}
		switch {
		case len(e.Value) > slotMaxLen || keys.Len()+len(e.Value) > math.MaxUint32:
			if l.long == nil {
				l.long = map[string]Kind{}
			}
			l.long[e.Value] = e.Kind
		default:
			i := l.slot(h)
			for l.slots[i] != 0 {
				if i++; i == len(l.slots) {
					i = 0
				}
			}
			l.slots[i] = slotTag(h, len(e.Value), e.Kind) | uint64(keys.Len())
			keys.WriteString(e.Value)
		}
		l.filter[l.word(h)] |= filterMask(h)
		if e.Kind == KindAddress {
			l.addresses++
			continue
		}
		dots := strings.Count(e.Value, ".")
		if l.domains == 0 || dots < l.minDots {
			l.minDots = dots
		}
		l.maxDots = max(l.maxDots, dots)
		l.domains++
	}
	l.keys = keys.String()
	return l
}

// has reports whether key, of hash h, is an entry of kind; keys is l.keys
// (passed while Compile still builds it).
func (l *NeverLogList) has(key string, h uint64, kind Kind, keys string) bool {
	if len(key) > slotMaxLen || l.long != nil {
		if k, ok := l.long[key]; ok && k == kind {
			return true
		}
		if len(key) > slotMaxLen {
			return false
		}
	}
	want := slotTag(h, len(key), kind)
	for i := l.slot(h); ; {
		s := l.slots[i]
		if s == 0 {
			return false
		}
		if s&^math.MaxUint32 == want {
			if off := int(uint32(s)); keys[off:off+len(key)] == key {
				return true
			}
		}
		if i++; i == len(l.slots) {
			i = 0
		}
	}
}

// slot is where h starts probing the entry table.
func (l *NeverLogList) slot(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(l.slots)))
	return int(hi)
}

// seed is shared by all lists of the process, so Decide hashes an email's
// keys once for the org and the personal list.
var seed = maphash.MakeSeed()

func hashKey(key string) uint64 { return maphash.String(seed, key) }

// word is the filter word of h: its high bits scaled to the filter.
func (l *NeverLogList) word(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(l.filter)))
	return int(hi)
}

// filterMask is the 5 bits of its word a key of hash h sets, chosen by the
// low 30 bits of h (the word by the high ones).
func filterMask(h uint64) uint64 {
	return 1<<(h&63) | 1<<(h>>6&63) | 1<<(h>>12&63) | 1<<(h>>18&63) | 1<<(h>>24&63)
}

// mayHold reports whether a key of hash h may be an entry: false means it
// surely is not.
func (l *NeverLogList) mayHold(h uint64) bool {
	m := filterMask(h)
	return l.filter[l.word(h)]&m == m
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
	return l.addresses + l.domains
}

// maxLabels bounds the probes Match prepares at once; a longer domain is
// walked in further rounds.
const maxLabels = 16

// Match reports the entry that covers addr, a normalized address. An exact
// address entry wins over a domain entry, and a longer domain over a shorter.
func (l *NeverLogList) Match(addr string) (Entry, bool) {
	if l == nil || addr == "" || l.addresses+l.domains == 0 {
		return Entry{}, false
	}
	if l.addresses > 0 {
		if h := hashKey(addr); l.mayHold(h) && l.has(addr, h, KindAddress, l.keys) {
			return Entry{Kind: KindAddress, Value: addr}, true
		}
	}
	if l.domains == 0 {
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
			if hit[j] && l.has(keys[j], hashes[j], KindDomain, l.keys) {
				return Entry{Kind: KindDomain, Value: keys[j]}, true
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
// domains, most specific first, with their hashes computed once. A key is
// kept as where it starts in its participant key, so a round is a few
// hundred bytes to clear, not kilobytes of string headers.
type candidates struct {
	n    int
	hash [batch]uint64
	off  [batch]int32 // where the key starts in its participant key
	who  [batch]int32 // the participant
	k    [batch]int16 // which of its participant keys (participantKey)
	dots [batch]int16 // of a domain key; -1 for an address
}

// add appends the keys of key, the k-th participant key of participant
// who, with domain keys of lo to hi dots only; it adds nothing and reports
// false when they do not fit.
func (c *candidates) add(key string, who, k int, lo, hi int) bool {
	// One backward scan finds the '@' and the dots of the domain; the
	// suffix with j dots starts after dot[j], the (j+1)-th from the right.
	var dot [maxLabels]int32
	n, at := 0, -1
scan:
	for i := len(key) - 1; i >= 0; i-- {
		switch key[i] {
		case '.':
			if n < maxLabels {
				dot[n] = int32(i)
			}
			n++
		case '@':
			at = i
			break scan
		}
	}
	top := min(n, hi)
	need := 1
	if top >= lo {
		need += top - lo + 1
	}
	if c.n+need > batch || top >= lo && min(top, n-1) >= maxLabels {
		return false // the caller matches such a key on its own
	}
	c.put(key, 0, who, k, -1)
	for j := top; j >= lo; j-- {
		start := at + 1
		if j < n {
			start = int(dot[j]) + 1
		}
		c.put(key[start:], start, who, k, j)
	}
	return true
}

func (c *candidates) put(key string, off, who, k, dots int) {
	c.hash[c.n], c.off[c.n], c.who[c.n], c.k[c.n], c.dots[c.n] = hashKey(key), int32(off), int32(who), int16(k), int16(dots)
	c.n++
}

// source is the participant key candidate j comes from, and key the key.
func (c *candidates) source(ps []Participant, j int) (src, key string) {
	src = participantKey(&ps[c.who[j]], int(c.k[j]))
	return src, src[c.off[j]:]
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
		if p.Address != "" {
			if !c.add(p.Address, i, 0, lo, hi) {
				return false
			}
			continue
		}
		if len(p.Lenient) > math.MaxInt16 {
			return false
		}
		for k, key := range p.Lenient {
			if !c.add(key, i, k, lo, hi) {
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
		if l != nil && l.domains > 0 {
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
func (l *NeverLogList) matchCandidates(c *candidates, ps []Participant) (NeverLogMatch, bool) {
	if l == nil || l.addresses+l.domains == 0 {
		return NeverLogMatch{}, false
	}
	// An address probes when the list has addresses; a domain key when its
	// dots are those of some domain entry (lo > hi when there is none).
	addrs := l.addresses > 0
	lo, hi := int16(l.minDots), int16(l.maxDots)
	if l.domains == 0 {
		lo, hi = 1, 0
	}
	var hit [batch]bool
	some := false
	for j := range c.n {
		if d := c.dots[j]; d < 0 && addrs || d >= lo && d <= hi {
			hit[j] = l.mayHold(c.hash[j])
			some = some || hit[j]
		}
	}
	if !some {
		return NeverLogMatch{}, false
	}
	for j := range c.n {
		if !hit[j] {
			continue
		}
		src, key := c.source(ps, j)
		kind := KindDomain
		if c.dots[j] < 0 {
			kind = KindAddress
		}
		if l.has(key, c.hash[j], kind, l.keys) {
			return NeverLogMatch{Entry: Entry{Kind: kind, Value: key}, Key: src, Participant: int(c.who[j])}, true
		}
	}
	return NeverLogMatch{}, false
}

// matchRounds is matchCandidates over participants whose keys do not fit
// one round: the first participant key covered by an entry wins, and for
// it the usual precedence.
func (l *NeverLogList) matchRounds(ps []Participant) (NeverLogMatch, bool) {
	if l == nil || l.addresses+l.domains == 0 {
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
			if k <= math.MaxInt16 && c.add(key, i, k, lo, hi) {
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
		if m, ok := l.matchCandidates(&c, ps); ok {
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
			m, ok = l.l.matchCandidates(&c, ps)
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
	if ds.few != nil || len(ds.set) == 0 {
		for _, x := range ds.few {
			// x holds no '@', so an end of addr that is x after an '@' or
			// a '.' lies in the domain: no need to find the domain first.
			if n := len(addr) - len(x); n > 0 && addr[n:] == x && (addr[n-1] == '.' || addr[n-1] == '@') {
				return true
			}
		}
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
