package sensitive

import (
	"testing"
	"unicode/utf8"
)

// TestWordRuneTable: the tables of two-byte runes say what the Unicode
// tables and the fold say.
func TestWordRuneTable(t *testing.T) {
	for r := range rune(twoByteRunes + 0x100) {
		if isWordRune(r) != wordRuneSlow(r) {
			t.Fatalf("%U: table %v, Unicode %v", r, isWordRune(r), wordRuneSlow(r))
		}
		if firstByte(r) != firstByteSlow(r) {
			t.Fatalf("%U: first byte %x by table, %x folded", r, firstByte(r), firstByteSlow(r))
		}
	}
}

// TestDecodeRune: decodeRune is utf8.DecodeRuneInString for every lead
// byte and every byte after it, valid or not, and at the end of a text.
func TestDecodeRune(t *testing.T) {
	for b := 0x80; b < 0x100; b++ {
		for c := range 0x100 {
			for _, text := range []string{string([]byte{byte(b), byte(c)}), string([]byte{byte(b), byte(c), 0x80, 0x80}), string([]byte{byte(b)})} {
				r, n := decodeRune(text, 0)
				wr, wn := utf8.DecodeRuneInString(text)
				if r != wr || n != wn {
					t.Fatalf("% x: %U %d, want %U %d", text, r, n, wr, wn)
				}
			}
		}
	}
}
