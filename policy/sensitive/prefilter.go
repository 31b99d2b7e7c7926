package sensitive

import (
	"math/bits"
	"slices"
	"unicode/utf8"
)

// prefilter rules out, from the first four bytes of a word, nearly every
// word at which no detector can start, with a few arithmetic operations,
// one table lookup and no branch; the scan runs startsAt and the detectors
// only at the rest. It may say yes too often, never too rarely: a word it
// rules out is one at which startsAt and the detectors find nothing.
//
// It reads the first four bytes of a word as a key: each byte with bit
// 0x20 set, which lower-cases an ASCII letter and otherwise only merges
// bytes (say '@' with '`'), and every digit as '0'; from the first byte
// that is not ASCII on, every byte is the marker 0, since such a
// character may fold to anything (the Kelvin sign is k, ß is ss). Equal
// bytes stay equal, so a word at which a keyword may start has the key of
// one of the keyword's possible beginnings; and the beginnings of IBANs
// and card numbers, whatever their digits, are a few hundred keys.
type prefilter struct {
	// keys has the bit of keyHash for each key a detector may start at.
	keys [1 << 17 / 64]uint64
	// short is 1 for the key's first byte of a keyword that ends within
	// the key's first two bytes (it matches whatever follows).
	short [256]uint8
	// eight: the scan reads 64 bytes at a time; not when keywords start
	// with more than maxPunctuation kinds of ASCII punctuation, which must
	// then be looked for at every byte.
	eight bool
	// punctuation: some keyword starts with ASCII punctuation; punct are
	// those bytes, each in all eight bytes of a word (the first repeated).
	punctuation bool
	punct       [maxPunctuation]uint64
	// long has the bit of longHash for each keyword's beginning: its
	// first bytes up to eight, the first space or the first byte that is
	// not ASCII, folded as keys are (digits kept); lens are their lengths.
	long [1 << 12 / 64]uint64
	lens []int
	// digitKeyword: some keyword starts with a digit, so the digit groups
	// of a number are looked at for keywords too.
	digitKeyword bool
}

// maxPunctuation is how many punctuation characters keywords may start
// with for the scan still to read 64 bytes at a time.
const maxPunctuation = 4

// keyLen is the number of bytes of a key.
const keyLen = 4

// prefixKey is the key of the word whose first eight bytes are w, the
// first of them ASCII: its first four bytes, each with bit 0x20 set and a
// digit as '0', and the marker from the first byte that is not ASCII on.
func prefixKey(w uint64) uint64 {
	// On the low four bytes alone, in 32 bits, where every constant is an
	// immediate operand: half the instructions of the same in 64.
	x := uint32(w)
	v := x & 0x7f7f7f7f
	digit := (v + 0x50505050) &^ (v + 0x46464646) & 0x80808080 // v >= '0' and not v > '9'
	na := x & 0x80808080
	ascii := (na&-na)>>7 - 1 // the bytes before the first that is not ASCII
	return uint64((x | 0x20202020) &^ (digit >> 7 * 0x0F) & ascii)
}

// marker is a key's byte from the first byte that is not ASCII on: no
// ASCII byte has it, as every one has bit 0x20 set.
const marker = 0

// keyByte is a byte of a key: what prefixKey makes of an ASCII byte.
func keyByte(b byte) byte {
	if isDigit(b) {
		return '0'
	}
	return b | 0x20
}

// keyHash hashes a key to a bit of keys: multiplicative hashing.
func keyHash(key uint64) uint64 { return key * hashMul >> (64 - 17) }

// hashMul is 2⁶⁴ divided by the golden ratio.
const hashMul = 0x9E3779B97F4A7C15

// wildcards are the key bytes of every ASCII byte: what may follow a
// keyword that ends within a key.
var wildcards = func() (bs []byte) {
	var seen [256]bool
	for b := range byte(utf8.RuneSelf) {
		if k := keyByte(b); !seen[k] {
			seen[k] = true
			bs = append(bs, k)
		}
	}
	return bs
}()

// asciiSpaces are the bytes a keyword's ' ' matches in ASCII text.
var asciiSpaces = func() (s []byte) {
	for b := range byte(utf8.RuneSelf) {
		if ascii[b]&cSpace != 0 {
			s = append(s, b)
		}
	}
	return s
}()

// addMarked adds key with the marker from pos on.
func (f *prefilter) addMarked(key [keyLen]byte, pos int) {
	for ; pos < keyLen; pos++ {
		key[pos] = marker
	}
	f.add(key)
}

func (f *prefilter) add(key [keyLen]byte) {
	h := keyHash(uint64(key[0]) | uint64(key[1])<<8 | uint64(key[2])<<16 | uint64(key[3])<<24)
	f.keys[h>>6] |= 1 << (h & 63)
}

// addKeyword records every key of text at which the folded keyword k,
// which starts with an ASCII letter or digit, may start: its bytes, a
// space as any run of ASCII white space, after its end any byte, and from
// any byte but the first on the marker. Where the keyword has a byte that
// is not ASCII the text must have one too: only the marker fits there.
func (f *prefilter) addKeyword(k []byte) {
	var key [keyLen]byte
	// gen fills key[pos:] from k[ki:]; inSpace: a run of white space may
	// go on.
	var gen func(pos, ki int, inSpace bool)
	gen = func(pos, ki int, inSpace bool) {
		if pos == keyLen {
			f.add(key)
			return
		}
		if pos > 0 {
			f.addMarked(key, pos)
		}
		if inSpace {
			for _, s := range asciiSpaces {
				key[pos] = keyByte(s)
				gen(pos+1, ki, true)
			}
		}
		switch {
		case ki == len(k):
			for _, b := range wildcards {
				key[pos] = b
				gen(pos+1, ki, false)
			}
		case k[ki] == ' ':
			for _, s := range asciiSpaces {
				key[pos] = keyByte(s)
				gen(pos+1, ki+1, true)
			}
		case k[ki] < utf8.RuneSelf:
			key[pos] = keyByte(k[ki])
			gen(pos+1, ki+1, false)
		}
	}
	if len(k) <= keyLen-2 {
		f.short[keyByte(k[0])] = 1 // too many keys: every word it starts
		return
	}
	gen(0, 0, false)
}

// addLonger records the beginning of the folded keyword k for longer.
func (f *prefilter) addLonger(k []byte) {
	var x uint64
	n := 0
	for ; n < len(k) && n < 8 && k[n] != ' ' && k[n] < utf8.RuneSelf; n++ {
		x |= uint64(k[n]|0x20) << (8 * n)
	}
	if !slices.Contains(f.lens, n) {
		f.lens = append(f.lens, n)
	}
	h := longHash(x, n)
	f.long[h>>6] |= 1 << (h & 63)
}

// longHash hashes the beginning x of n bytes to a bit of long.
func longHash(x uint64, n int) uint64 { return (x ^ uint64(n)<<59) * hashMul >> (64 - 12) }

// longer reports whether a keyword may start at a word whose first eight
// bytes are w and which the prefilter let through: the beginning of some
// keyword, as long as it is, agrees with the word's. It tells "Vertrag"
// from "vertraulich", which four bytes do not, before the trie walk does,
// at a tenth of the walk's cost. A byte that is not ASCII agrees with
// anything (the Kelvin sign folds to k, ß to ss), except the first byte of
// a Latin-1 letter other than ß: it folds to a letter that is not ASCII
// either, which no keyword's beginning has.
func (f *prefilter) longer(w uint64) bool {
	folded := w | ones*0x20
	na := w & high
	// latin is set when the first byte that is not ASCII starts a Latin-1
	// letter other than ß: 0xC3, then anything but 0x9F (within w).
	first := bits.TrailingZeros64(na) >> 3 // 8 when all are ASCII
	latin := first < 7 && byte(w>>(8*first)) == 0xC3 && byte(w>>(8*first+8)) != 0x9F
	for _, n := range f.lens {
		mask := uint64(1)<<(8*n&63) - 1
		if n == 8 {
			mask = ^uint64(0)
		}
		if na&mask != 0 {
			if latin {
				continue // a letter that is not ASCII inside the beginning
			}
			return true
		}
		h := longHash(folded&mask, n)
		if f.long[h>>6]>>(h&63)&1 != 0 {
			return true
		}
	}
	return false
}

// addIBANs records every country code followed by two check digits, with
// or without a separator before or between them.
func (f *prefilter) addIBANs() {
	for c0 := byte('a'); c0 <= 'z'; c0++ {
		for c1 := byte('a'); c1 <= 'z'; c1++ {
			if ibanSpecs[int(c0-'a')*26+int(c1-'a')] == nil {
				continue
			}
			f.add([keyLen]byte{c0, c1, '0', '0'})
			for _, sep := range []byte{' ', '-'} {
				f.add([keyLen]byte{c0, c1, sep, '0'})
				f.add([keyLen]byte{c0, c1, '0', sep})
			}
			// A no-break space before or between the check digits.
			f.addMarked([keyLen]byte{c0, c1}, 2)
			f.addMarked([keyLen]byte{c0, c1, '0'}, 3)
		}
	}
}

// addCards records a digit followed by digits and separators, a no-break
// space among them.
func (f *prefilter) addCards() {
	var key [keyLen]byte
	var gen func(pos int)
	gen = func(pos int) {
		if pos == keyLen {
			f.add(key)
			return
		}
		f.addMarked(key, pos)
		for _, b := range []byte{'0', ' ', '-'} {
			key[pos] = b
			gen(pos + 1)
		}
	}
	key[0] = '0'
	gen(1)
}

// prefilter builds the prefilter of s, whose trie is built.
func (s *Scanner) prefilter() *prefilter {
	f := &prefilter{eight: true}
	if s.kw != nil {
		for _, k := range s.kw.starting {
			f.addKeyword(k)
			f.addLonger(k)
			f.digitKeyword = f.digitKeyword || isDigit(k[0])
		}
		if ps := s.kw.punctuation; len(ps) > maxPunctuation || s.kw.replacement {
			// Also when a keyword starts with U+FFFD, which a byte that
			// is not text decodes to: the 64-byte scan looks for keywords
			// only where a character starts.
			f.eight = false
		} else if len(ps) > 0 {
			f.punctuation = true
			for i := range f.punct {
				f.punct[i] = ones * uint64(ps[i%len(ps)])
			}
		}
	}
	if min(s.iban, s.card) < none {
		f.addIBANs() // IBANs are read for a card rule too
	}
	if s.card < none {
		f.addCards()
	}
	return f
}
