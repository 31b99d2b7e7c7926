package sensitive

import (
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// trie holds the keywords, case folded, as a tree of bytes. A scan walks it
// from each place a keyword may start: the start of a word for a keyword
// that starts with a letter or digit, anywhere for one that does not. Most
// walks end at the first or second byte.
type trie struct {
	root  [256]int32 // child of the root per byte; 0 is none (the root is no one's child)
	nodes []trieNode // nodes[0] is the root
	edges []trieEdge // children of the other nodes, each node's sorted by byte
	// The walk is only tried where the first bytes of a keyword may be,
	// folded: pairs has bit b1 of pairs[b0] set when a keyword may start
	// with the ASCII byte b0 followed by the byte b1; open when the third
	// byte need not be checked (a keyword of two bytes, or whose second or
	// third is white space or not ASCII); triples has the bit of a hash of
	// each keyword's first three bytes. They may say yes too often, never
	// too rarely.
	pairs, open [utf8.RuneSelf][4]uint64
	triples     [1 << 10]uint64
	// best is the best rank of any keyword.
	best int
	// punctuation are the ASCII characters other than letters and digits
	// that keywords start with ("#intern"): the scan looks for them at
	// every byte, not only where words start.
	punctuation []byte
	// starting are the folded keywords that start with an ASCII letter or
	// digit, for the prefilter.
	starting [][]byte
	// replacement: a keyword starts with U+FFFD.
	replacement bool
}

func has(set *[4]uint64, b byte) bool { return set[b>>6]&(1<<(b&63)) != 0 }

func put(set *[4]uint64, b byte) { set[b>>6] |= 1 << (b & 63) }

// tripleBit is the bit of triples for the bytes b0, b1, b2.
func tripleBit(b0, b1, b2 byte) uint32 {
	return (uint32(b0)*0x9e3779b1 ^ uint32(b1)*0x85ebca77 ^ uint32(b2)*0xc2b2ae3d) >> 16
}

// third reports whether the third byte of text[i:], a word whose first two
// bytes may start a keyword, agrees with one that does.
func (t *trie) third(text string, i int) bool {
	if i+2 >= len(text) {
		return false // a keyword of two bytes is open, not checked here
	}
	if text[i+2] >= utf8.RuneSelf {
		return true
	}
	h := tripleBit(lower[text[i]], lower[text[i+1]], lower[text[i+2]])
	return t.triples[h>>6]&(1<<(h&63)) != 0
}

// addStart records the first bytes of the folded keyword k.
func (t *trie) addStart(k []byte) {
	if k[0] >= utf8.RuneSelf {
		return // started by a non-ASCII character: the scan asks the root
	}
	if ascii[k[0]]&cWord != 0 {
		t.starting = append(t.starting, k)
	} else if !slices.Contains(t.punctuation, k[0]) {
		t.punctuation = append(t.punctuation, k[0])
	}
	pairs, open := &t.pairs[k[0]], &t.open[k[0]]
	if len(k) == 1 {
		all := [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
		*pairs, *open = all, all
		return
	}
	second := []byte{k[1]}
	if k[1] == ' ' {
		// A space of a keyword is any white space.
		second = second[:0]
		for b := range utf8.RuneSelf {
			if ascii[b]&cSpace != 0 {
				second = append(second, byte(b))
			}
		}
	}
	for _, b1 := range second {
		put(pairs, b1)
		if len(k) == 2 || k[1] == ' ' || k[1] >= utf8.RuneSelf || k[2] == ' ' || k[2] >= utf8.RuneSelf {
			put(open, b1)
			continue
		}
		h := tripleBit(k[0], b1, k[2])
		t.triples[h>>6] |= 1 << (h & 63)
	}
}

type trieNode struct {
	first, n int32 // the node's children are edges[first:first+n]
	// rank is the best rank of the keywords that end here, none if none.
	rank int32
	// wordEnd: those keywords end with a letter or digit, so the text must
	// not go on with one.
	wordEnd bool
}

type trieEdge struct {
	b     byte
	child int32
}

// foldKeyword is the byte string a keyword is matched as: its runes case
// folded, white space a single ' '.
func foldKeyword(k string) []byte {
	var out []byte
	for _, r := range k {
		if isSpaceRune(r) {
			out = append(out, ' ')
			continue
		}
		f, g := foldRune(r)
		out = utf8.AppendRune(out, f)
		if g >= 0 {
			out = utf8.AppendRune(out, g)
		}
	}
	return out
}

// buildTrie compiles keywords (canonical, NFC) with their ranks. Each is
// entered twice when its decomposed form (NFD) differs, so text written
// with combining accents, as some mail clients send it, matches too.
func buildTrie(keywords []string, ranks []int) *trie {
	type building struct {
		children map[byte]int32
		rank     int32
		wordEnd  bool
	}
	nodes := []building{{rank: none}}
	add := func(key []byte, rank int32, wordEnd bool) {
		n := int32(0)
		for _, b := range key {
			c, ok := nodes[n].children[b]
			if !ok {
				c = int32(len(nodes))
				nodes = append(nodes, building{rank: none})
				if nodes[n].children == nil {
					nodes[n].children = map[byte]int32{}
				}
				nodes[n].children[b] = c
			}
			n = c
		}
		nodes[n].rank = min(nodes[n].rank, rank)
		nodes[n].wordEnd = wordEnd
	}
	t := &trie{best: none}
	for i, k := range keywords {
		last, _ := utf8.DecodeLastRuneInString(k)
		wordEnd := isWordRune(last)
		f := foldKeyword(k)
		add(f, int32(ranks[i]), wordEnd)
		t.addStart(f)
		t.replacement = t.replacement || strings.HasPrefix(k, "\uFFFD")
		if d := norm.NFD.String(k); d != k {
			f := foldKeyword(d)
			add(f, int32(ranks[i]), wordEnd)
			t.addStart(f)
		}
		t.best = min(t.best, ranks[i])
	}
	t.nodes = make([]trieNode, len(nodes))
	for n, b := range nodes {
		t.nodes[n] = trieNode{rank: b.rank, wordEnd: b.wordEnd}
		keys := make([]byte, 0, len(b.children))
		for k := range b.children {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if n == 0 {
			for _, k := range keys {
				t.root[k] = b.children[k]
			}
			continue
		}
		t.nodes[n].first, t.nodes[n].n = int32(len(t.edges)), int32(len(keys))
		for _, k := range keys {
			t.edges = append(t.edges, trieEdge{k, b.children[k]})
		}
	}
	return t
}

// child is n's child on byte b, or 0.
func (t *trie) child(n int32, b byte) int32 {
	if n == 0 {
		return t.root[b]
	}
	nd := &t.nodes[n]
	for _, e := range t.edges[nd.first : nd.first+nd.n] {
		if e.b >= b {
			if e.b == b {
				return e.child
			}
			return 0
		}
	}
	return 0
}

// walk follows the trie along p's text from i, where a keyword may start,
// and reports to p each keyword that ends on a word boundary and beats what
// p holds. Case is folded as the keywords were; a space of a keyword
// matches any run of white space.
func (t *trie) walk(p *pass, i int) {
	text := p.text
	var buf [2 * utf8.UTFMax]byte
	n := int32(0)
	for j := i; j < len(text); {
		b := text[j]
		if b < utf8.RuneSelf {
			if ascii[b]&cSpace != 0 {
				if n = t.child(n, ' '); n == 0 {
					return
				}
				j = skipSpace(text, j)
				continue // no keyword ends with a space
			}
			if n = t.child(n, lower[b]); n == 0 {
				return
			}
			j++
		} else {
			r, size := utf8.DecodeRuneInString(text[j:])
			if isSpaceRune(r) {
				if n = t.child(n, ' '); n == 0 {
					return
				}
				j = skipSpace(text, j)
				continue
			}
			f, g := foldRune(r)
			k := utf8.EncodeRune(buf[:], f)
			if g >= 0 {
				k += utf8.EncodeRune(buf[k:], g)
			}
			for _, x := range buf[:k] {
				if n = t.child(n, x); n == 0 {
					return
				}
			}
			j += size
		}
		if nd := &t.nodes[n]; int(nd.rank) < p.best && (!nd.wordEnd || !wordAt(text, j)) {
			p.hit(int(nd.rank), "")
		}
	}
}

// firstByte is the first byte of r folded, which the root is indexed by.
func firstByte(r rune) byte {
	if r < twoByteRunes {
		return firstBytes[r]
	}
	return firstByteSlow(r)
}

// firstBytes is firstByte of the two-byte runes (and ASCII), by table: the
// scan of Cyrillic or Greek mail asks it at every word.
var firstBytes = func() (t [twoByteRunes]byte) {
	for r := range rune(twoByteRunes) {
		t[r] = firstByteSlow(r)
	}
	return t
}()

func firstByteSlow(r rune) byte {
	f, _ := foldRune(r)
	if f < utf8.RuneSelf {
		return byte(f)
	}
	var buf [utf8.UTFMax]byte
	utf8.EncodeRune(buf[:], f)
	return buf[0]
}
