package sensitive

import (
	"slices"
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
	// pairs has bit b1 of pairs[b0] set when a keyword may start with the
	// ASCII byte b0 followed by the byte b1, both folded: the walk is only
	// tried there. It may say yes too often, never too rarely.
	pairs [utf8.RuneSelf][4]uint64
	// best is the best rank of any keyword.
	best int
}

// mayStart reports whether a keyword may start at text[i], an ASCII
// character.
func (t *trie) mayStart(text string, i int) bool {
	b0 := lower[text[i]]
	if t.root[b0] == 0 {
		return false
	}
	if i+1 == len(text) {
		return true
	}
	b1 := lower[text[i+1]]
	return t.pairs[b0][b1>>6]&(1<<(b1&63)) != 0
}

// addPairs records the first two bytes of the folded keyword k.
func (t *trie) addPairs(k []byte) {
	if k[0] >= utf8.RuneSelf {
		return // started by a non-ASCII character: the scan asks the root
	}
	p := &t.pairs[k[0]]
	set := func(b byte) { p[b>>6] |= 1 << (b & 63) }
	if len(k) == 1 {
		*p = [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
		return
	}
	set(k[1])
	// A non-ASCII character of the text may fold to anything (the Kelvin
	// sign is k), and a space of the keyword is any white space.
	p[2], p[3] = ^uint64(0), ^uint64(0)
	if k[1] == ' ' {
		for b := range utf8.RuneSelf {
			if ascii[b]&cSpace != 0 {
				set(byte(b))
			}
		}
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
		t.addPairs(f)
		if d := norm.NFD.String(k); d != k {
			f := foldKeyword(d)
			add(f, int32(ranks[i]), wordEnd)
			t.addPairs(f)
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

// walk follows the trie along text from i, where a keyword may start, and
// reports to st each keyword that ends on a word boundary and beats what st
// holds. Case is folded as the keywords were; a space of a keyword matches
// any run of white space.
func (t *trie) walk(text string, i int, where Where, st *state) {
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
		if nd := &t.nodes[n]; int(nd.rank) < st.best && (!nd.wordEnd || !wordAt(text, j)) {
			st.hit(int(nd.rank), where, "")
		}
	}
}

// firstByte is the first byte of r folded, which the root is indexed by.
func firstByte(r rune) byte {
	f, _ := foldRune(r)
	if f < utf8.RuneSelf {
		return byte(f)
	}
	var buf [utf8.UTFMax]byte
	utf8.EncodeRune(buf[:], f)
	return buf[0]
}
