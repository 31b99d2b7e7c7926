package sensitive

import (
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
)

// byteAtATime is s scanning a character at a time, the plain path the
// 64-byte path must agree with.
func byteAtATime(s *Scanner) *Scanner {
	slow := *s
	f := *s.first
	f.eight = false
	slow.first = &f
	return &slow
}

// blockRules are rules of every detector, with keywords of every shape the
// prefilter treats apart: a phrase, one with a digit, one of two letters,
// one that starts with punctuation, with a letter that is not ASCII first
// or third, and one that starts like many words.
func blockRules(extra ...string) []discreet.SensitivityRule {
	rules := []discreet.SensitivityRule{
		{ID: "iban", Detector: discreet.DetectorIBAN, Action: discreet.ActionPrivate},
		{ID: "card", Detector: discreet.DetectorCard, Action: discreet.ActionPrivate},
	}
	for i, k := range append([]string{"project phoenix", "2fa", "HR", "#intern", "Übernahme", "Kündigung", "vertraulich", "west"}, extra...) {
		rules = append(rules, discreet.SensitivityRule{ID: "kw" + string(rune('a'+i)), Detector: discreet.DetectorKeyword, Keyword: k, Action: discreet.ActionPrivate})
	}
	return rules
}

// blockTexts put what the detectors look for at every offset of a 64-byte
// block, after ASCII, after Latin-1 letters and after other characters.
func blockTexts(text string) []string {
	var out []string
	for _, pad := range []string{"a ", "ü ", "für", "\u00a0", "—", "ß", "\u212a", "x", "дом ", "Договор", "家", "\x80"} {
		for n := range 70 {
			out = append(out, strings.Repeat(pad, n/len(pad)+1)[:n]+text+strings.Repeat(" y", 40))
		}
		// Long stretches that are not ASCII, before and after: the scan
		// goes a character at a time there and back.
		long := strings.Repeat(pad, 200/len(pad))
		out = append(out, long+text+long+text, text+long+" "+text)
	}
	return out
}

// TestBlockAgreesWithCharacters: the scan that reads 64 bytes at a time
// finds exactly what the one that reads a character at a time finds, the
// same rule, place and evidence, whatever the offset and what comes before.
func TestBlockAgreesWithCharacters(t *testing.T) {
	s, err := Compile(blockRules())
	if err != nil {
		t.Fatal(err)
	}
	slow := byteAtATime(s)
	for _, text := range []string{
		"CH93 0076 2011 6238 5295 7", "CH 93 0076 2011 6238 5295 7", "ch93\u00a00076\u00a02011\u00a06238\u00a05295\u00a07",
		"4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "+41 4111 1111 1111 1111",
		"2025 8012 302-1234567-1234567", "GB82 WEST 1234 5698 7654 32 west",
		"Project\r\n  PHOENIX", "2FA", "hr.", "über#intern", "U\u0308bernahme", "KÜNDIGUNG", "vertraulich",
		"\u212aündigung", "Vertrag", "ü4111 1111 1111 1111", "×vertraulich", "ü×#intern",
		"Договор vertraulich", "家#intern",
	} {
		quiet := text == "Vertrag" || text == "+41 4111 1111 1111 1111" || text == "2025 8012 302-1234567-1234567" || text == "ü4111 1111 1111 1111"
		if h := s.Scan(Message{Body: text}); h.Fired() == quiet {
			t.Fatalf("%q: fired %v", text, h.Fired())
		}
		for _, body := range blockTexts(text) {
			got, want := s.Scan(Message{Body: body}), slow.Scan(Message{Body: body})
			if got.RuleID() != want.RuleID() || got.Where != want.Where || got.Evidence != want.Evidence {
				t.Fatalf("%q: 64 bytes at a time %+v, a character at a time %+v", body, got, want)
			}
		}
	}
}

// FuzzBlockAgreesWithCharacters is TestBlockAgreesWithCharacters on any
// text and keyword.
func FuzzBlockAgreesWithCharacters(f *testing.F) {
	for _, s := range fuzzTexts {
		f.Add("Phoenix", s)
		f.Add("ab", s)
	}
	f.Fuzz(func(t *testing.T, keyword, text string) {
		rules := blockRules(keyword)
		if _, err := ParseRule(rules[len(rules)-1]); err != nil {
			rules = rules[:len(rules)-1]
		}
		s, err := Compile(rules)
		if err != nil {
			t.Fatal(err)
		}
		slow := byteAtATime(s)
		for _, body := range []string{text, strings.Repeat(text, 3), "ü " + text + strings.Repeat(" ", 70)} {
			got, want := s.Scan(Message{Body: body}), slow.Scan(Message{Body: body})
			if got.RuleID() != want.RuleID() || got.Where != want.Where || got.Evidence != want.Evidence {
				t.Fatalf("%q with %q: 64 bytes at a time %+v, a character at a time %+v", body, keyword, got, want)
			}
		}
	})
}
