package sensitive

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/discreet-crm/discreet"
	"golang.org/x/text/unicode/norm"
)

var fuzzTexts = []string{
	"",
	"CH93 0076 2011 6238 5295 7",
	"4111 1111 1111 1111",
	"Projekt Phoenix ist vertraulich.",
	"Die U\u0308bernahme, STRASSE, straße",
	"机密文件 project\r\n phoenix",
	"+41 44 668 18 00 302-1234567-1234567",
	"\xff\xfe\xc3",
	"de 12 personnes at 12 noon",
	"#intern M&A § 17 c++",
	strings.Repeat("1 ", 40),
	strings.Repeat("ab ", 40),
}

// FuzzScan: the scanner never panics, finds the same thing twice, never
// shows more of a number than its mask, and finds exactly the keywords a
// plain reference matcher finds.
func FuzzScan(f *testing.F) {
	for _, s := range fuzzTexts {
		f.Add("Phoenix", s, "auto-replied")
		f.Add("straße", s, "no")
		f.Add("机密", s, "")
	}
	f.Fuzz(func(t *testing.T, keyword, text, autoSubmitted string) {
		rules := []discreet.SensitivityRule{
			{ID: "fuzz", Detector: discreet.DetectorKeyword, Keyword: keyword, Action: discreet.ActionNeverLog},
			{ID: "m&a", Detector: discreet.DetectorKeyword, Keyword: "M&A", Action: discreet.ActionNeverLog},
			{ID: "phoenix", Detector: discreet.DetectorKeyword, Keyword: "project phoenix", Action: discreet.ActionNeverLog},
			{ID: "ue", Detector: discreet.DetectorKeyword, Keyword: "Übernahme", Action: discreet.ActionNeverLog},
			{ID: "hash", Detector: discreet.DetectorKeyword, Keyword: "#intern", Action: discreet.ActionNeverLog},
		}
		if _, err := ParseRule(rules[0]); err != nil {
			rules = rules[1:]
		}
		kws, err := Compile(rules)
		if err != nil {
			t.Fatal(err)
		}
		got := kws.Scan(Message{Body: text})
		want := referenceKeywords(kws.Rules(), text)
		if got.RuleID() != want {
			t.Fatalf("keywords %q in %q: scanner says %q, reference says %q", ruleKeywords(rules), text, got.RuleID(), want)
		}
		// With keywords that start with many kinds of punctuation the scan
		// reads a byte at a time: the same answer.
		many, err := Compile(append(rules[:len(rules):len(rules)],
			discreet.SensitivityRule{ID: "p1", Detector: discreet.DetectorKeyword, Keyword: "!x1", Action: discreet.ActionPrivate},
			discreet.SensitivityRule{ID: "p2", Detector: discreet.DetectorKeyword, Keyword: "$x2", Action: discreet.ActionPrivate},
			discreet.SensitivityRule{ID: "p3", Detector: discreet.DetectorKeyword, Keyword: "%x3", Action: discreet.ActionPrivate},
			discreet.SensitivityRule{ID: "p4", Detector: discreet.DetectorKeyword, Keyword: "&x4", Action: discreet.ActionPrivate},
		))
		if err != nil {
			t.Fatal(err)
		}
		if len(many.kw.punctuation) <= maxPunctuation {
			t.Fatalf("%d punctuation starts: the byte-at-a-time path is not tested", len(many.kw.punctuation))
		}
		if got, want := many.Scan(Message{Body: text}).RuleID(), referenceKeywords(many.Rules(), text); got != want {
			t.Fatalf("keywords %q in %q, byte at a time: scanner says %q, reference says %q", ruleKeywords(many.Rules()), text, got, want)
		}

		all, err := Compile(append(rules,
			discreet.SensitivityRule{ID: "iban", Detector: discreet.DetectorIBAN, Action: discreet.ActionPrivate},
			discreet.SensitivityRule{ID: "card", Detector: discreet.DetectorCard, Action: discreet.ActionPrivate},
			discreet.SensitivityRule{ID: "auto", Detector: discreet.DetectorAutomated, Action: discreet.ActionPrivate},
		))
		if err != nil {
			t.Fatal(err)
		}
		m := Message{Subject: keyword, Body: text, Header: headers(map[string]string{"Auto-Submitted": autoSubmitted, "Precedence": text})}
		h := all.Scan(m)
		if again := all.Scan(m); again.RuleID() != h.RuleID() || again.Where != h.Where || again.Evidence != h.Evidence {
			t.Fatalf("two scans differ: %+v, %+v", h, again)
		}
		if !h.Fired() {
			return
		}
		switch h.Rule.Detector {
		case discreet.DetectorIBAN, discreet.DetectorCard:
			if d := digitsOfString(h.Evidence); len(d) > 6 {
				t.Fatalf("evidence %q shows %d digits", h.Evidence, len(d))
			}
		case discreet.DetectorAutomated:
			if len(h.Evidence) > len("Auto-Submitted: ")+41 {
				t.Fatalf("evidence %q is more than a header and its keyword", h.Evidence)
			}
		}
	})
}

func ruleKeywords(rules []discreet.SensitivityRule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Keyword)
	}
	return out
}

// referenceKeywords is the id of the first rule (in rank order) whose
// keyword occurs in text, found the slow, plain way: at every character
// where the keyword may start, compare folded characters one by one.
func referenceKeywords(rules []discreet.SensitivityRule, text string) string {
	type char struct {
		r    rune
		pos  int
		word bool
	}
	var chars []char
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		chars = append(chars, char{r, i, isWordRune(r)})
		i += size
	}
	fold := func(rs []rune) []rune {
		var out []rune
		for _, r := range rs {
			if isSpaceRune(r) {
				out = append(out, ' ')
				continue
			}
			f, g := foldRune(r)
			out = append(out, f)
			if g >= 0 {
				out = append(out, g)
			}
		}
		return out
	}
	matchAt := func(k []rune, wordStart, wordEnd bool, p int) bool {
		if wordStart && p > 0 && chars[p-1].word {
			return false
		}
		q := p
		var pending []rune // folded runes of the current text character
		for ki := 0; ki < len(k); {
			if len(pending) == 0 {
				if q >= len(chars) {
					return false
				}
				if isSpaceRune(chars[q].r) {
					if k[ki] != ' ' {
						return false
					}
					for q < len(chars) && isSpaceRune(chars[q].r) {
						q++
					}
					ki++
					continue
				}
				pending = fold([]rune{chars[q].r})
				q++
			}
			if k[ki] != pending[0] {
				return false
			}
			pending = pending[1:]
			ki++
		}
		if len(pending) > 0 {
			return false // the keyword ends inside a character (the first s of ß)
		}
		return !wordEnd || q >= len(chars) || !chars[q].word
	}
	for _, r := range rules {
		if r.Detector != discreet.DetectorKeyword {
			continue
		}
		for _, form := range []string{r.Keyword, norm.NFD.String(r.Keyword)} {
			rs := []rune(form)
			k := fold(rs)
			last, _ := utf8.DecodeLastRuneInString(r.Keyword)
			for p := range chars {
				if matchAt(k, isWordRune(rs[0]), isWordRune(last), p) {
					return r.ID
				}
			}
		}
	}
	return ""
}

// FuzzFindsInserted: a valid IBAN or card number, written in random case
// with random separators, put anywhere in random text apart from it by a
// punctuation mark or line break, is always found.
func FuzzFindsInserted(f *testing.F) {
	for i, s := range fuzzTexts {
		f.Add(s, s, uint64(i), uint8(i))
	}
	f.Fuzz(func(t *testing.T, prefix, suffix string, seed uint64, kind uint8) {
		r := rand.New(rand.NewPCG(seed, uint64(kind)))
		var number, masked string
		var d discreet.Detector
		if kind%2 == 0 {
			d = discreet.DetectorIBAN
			codes := make([]string, 0, len(ibanFormats))
			for cc := range ibanFormats {
				codes = append(codes, cc)
			}
			slices.Sort(codes)
			iban := validIBAN(r, codes[r.IntN(len(codes))])
			masked = maskIBAN([]byte(iban))
			// Separators anywhere after the country code, even right after it.
			cc := []byte(iban[:2])
			for k := range cc {
				if r.IntN(2) == 0 {
					cc[k] += 'a' - 'A'
				}
			}
			number = string(cc) + separated(r, "."+iban[2:], true)[1:]
		} else {
			d = discreet.DetectorCard
			card := randomCard(r)
			masked = maskCard(brandOf(digitsOf(card)), digitsOf(card))
			number = separated(r, card, false)
		}
		before := []string{"\n", ": ", "(", " [", "\t", "\"", "> "}[r.IntN(7)]
		after := []string{"\n", ".", ")", ", ", "\t", "!", "\""}[r.IntN(7)]
		text := prefix + before + number + after + suffix
		s, err := Compile([]discreet.SensitivityRule{{ID: "x", Detector: d, Action: discreet.ActionNeverLog}})
		if err != nil {
			t.Fatal(err)
		}
		h := s.Scan(Message{Body: text})
		if !h.Fired() {
			t.Fatalf("%s %q not found in %q", d, number, text)
		}
		// When the text around it holds no other, the evidence is its own.
		if !s.Scan(Message{Body: prefix + before + after + suffix}).Fired() && h.Evidence != masked {
			t.Fatalf("%s %q in %q: evidence %q, want %q", d, number, text, h.Evidence, masked)
		}
	})
}

// separated writes s with a random single separator between some of its
// characters, and for an IBAN its letters in random case.
func separated(r *rand.Rand, s string, mixCase bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && r.IntN(3) == 0 {
			b.WriteString([]string{" ", "-", "\u00a0"}[r.IntN(3)])
		}
		c := s[i]
		if mixCase && 'A' <= c && c <= 'Z' && r.IntN(2) == 0 {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// randomCard is a valid number of a random issuer and length.
func randomCard(r *rand.Rand) string {
	is := issuers[r.IntN(len(issuers))]
	var lens []int
	for n := minCard; n <= maxCard; n++ {
		if is.lengths&(1<<n) != 0 {
			lens = append(lens, n)
		}
	}
	n := lens[r.IntN(len(lens))]
	p := is.lo + r.IntN(is.hi-is.lo+1)
	s := strings.Repeat("0", is.digits) + strconv.Itoa(p)
	s = s[len(s)-is.digits:]
	for len(s) < n-1 {
		s += string(byte('0' + r.IntN(10)))
	}
	return luhnComplete(s)
}
