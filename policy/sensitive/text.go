package sensitive

import (
	"unicode"
	"unicode/utf8"
)

// Classes of ASCII bytes, looked up once per byte by the scan.
const (
	cWord   = 1 << iota // a letter or digit: part of a word
	cDigit              // 0-9
	cLetter             // A-Z, a-z
	cSpace              // white space
)

// ascii classifies ASCII bytes; bytes of other characters are 0.
var ascii = func() (t [256]uint8) {
	for b := range utf8.RuneSelf {
		switch {
		case '0' <= b && b <= '9':
			t[b] = cWord | cDigit
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z':
			t[b] = cWord | cLetter
		case b == ' ', b == '\t', b == '\n', b == '\r', b == '\v', b == '\f':
			t[b] = cSpace
		}
	}
	return t
}()

// lower folds an ASCII byte; other bytes are themselves.
var lower = func() (t [256]byte) {
	for b := range 256 {
		t[b] = byte(b)
		if 'A' <= b && b <= 'Z' {
			t[b] = byte(b) + 'a' - 'A'
		}
	}
	return t
}()

// foldRune is the case fold keywords are compared in: simple Unicode case
// folding (so Σ, σ and ς are one letter, and the Kelvin sign is k), except
// that ß and ẞ are "ss", as German writes them in capitals and as Swiss
// German writes them always. g is a second rune, or -1.
func foldRune(r rune) (f, g rune) {
	if r < 0x100 {
		// ASCII and Latin-1, most of the text of Western mail, by table.
		if r == 'ß' {
			return 's', 's'
		}
		return foldLatin1[r], -1
	}
	if r == 'ẞ' {
		return 's', 's'
	}
	return unicode.ToLower(unicode.ToUpper(r)), -1
}

var foldLatin1 = func() (t [0x100]rune) {
	for r := range rune(0x100) {
		t[r] = unicode.ToLower(unicode.ToUpper(r))
	}
	return t
}()

// spaceless are scripts written without spaces between words: every
// character of theirs is a word boundary, so a keyword in them is found
// inside a sentence.
var spaceless = []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar}

// isWordRune reports whether r is part of a word: a letter, digit or
// combining mark (an accent written apart from its letter), outside the
// scripts written without spaces. '_' is not: "Vertrag_vertraulich.pdf"
// holds the word "vertraulich".
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return ascii[r]&cWord != 0
	}
	if r < twoByteRunes {
		return wordRunes[r>>6]>>(r&63)&1 != 0
	}
	return wordRuneSlow(r)
}

// twoByteRunes are the runes UTF-8 writes in at most two bytes: Latin,
// Greek, Cyrillic, Armenian, Hebrew, Arabic. Whether they are part of a
// word is a table, as mail in those scripts asks at every character.
const twoByteRunes = 0x800

var wordRunes = func() (t [twoByteRunes / 64]uint64) {
	for r := range rune(twoByteRunes) {
		if wordRuneSlow(r) {
			t[r>>6] |= 1 << (r & 63)
		}
	}
	return t
}()

func wordRuneSlow(r rune) bool {
	if r < utf8.RuneSelf {
		return ascii[r]&cWord != 0
	}
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
		return false
	}
	// Thai, the first of the scripts without spaces, starts at U+0E00.
	return r < 0x0E00 || !unicode.In(r, spaceless...)
}

// wordAt reports whether text[j:] starts with a word character.
func wordAt(text string, j int) bool {
	if j >= len(text) {
		return false
	}
	if b := text[j]; b < utf8.RuneSelf {
		return ascii[b]&cWord != 0
	}
	r, _ := utf8.DecodeRuneInString(text[j:])
	return isWordRune(r)
}

// isSpaceRune reports whether r is white space (ASCII or Unicode, e.g. the
// no-break space).
func isSpaceRune(r rune) bool {
	if r < utf8.RuneSelf {
		return ascii[r]&cSpace != 0
	}
	return unicode.IsSpace(r)
}

// skipSpace returns the end of the run of white space at text[j:].
func skipSpace(text string, j int) int {
	for j < len(text) {
		if b := text[j]; b < utf8.RuneSelf {
			if ascii[b]&cSpace == 0 {
				return j
			}
			j++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[j:])
		if !unicode.IsSpace(r) {
			return j
		}
		j += size
	}
	return j
}

// sepLen is the length of a separator allowed inside a grouped IBAN or card
// number at text[j:] (a space, a dash or a no-break space), or 0.
func sepLen(text string, j int) int {
	if j >= len(text) {
		return 0
	}
	switch text[j] {
	case ' ', '-':
		return 1
	case 0xC2:
		if j+1 < len(text) && text[j+1] == 0xA0 {
			return 2
		}
	}
	return 0
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
