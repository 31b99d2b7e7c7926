package sensitive

import (
	"fmt"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
)

func keywordScanner(t testing.TB, keywords ...string) *Scanner {
	t.Helper()
	var rules []discreet.SensitivityRule
	for i, k := range keywords {
		rules = append(rules, discreet.SensitivityRule{ID: fmt.Sprint("k", i), Detector: discreet.DetectorKeyword, Keyword: k, Action: discreet.ActionNeverLog})
	}
	s, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKeyword(t *testing.T) {
	tests := []struct {
		keyword, text string
		want          bool
	}{
		// Case-insensitive, on word boundaries.
		{"Phoenix", "about phoenix.", true},
		{"Phoenix", "PHOENIX", true},
		{"Phoenix", "Phoenix's budget", true},
		{"Phoenix", "(phoenix)", true},
		{"Phoenix", "re:Phoenix", true},
		{"Phoenix", "phoenixes", false},
		{"Phoenix", "superphoenix", false},
		{"Phoenix", "phoenix2", false},
		{"Phoenix", "2phoenix", false},
		{"Phoenix", "phoeni", false},
		{"Phoenix", "Vertrag_phoenix.pdf", true}, // '_' separates words
		{"Phoenix", "", false},
		// Unicode letters, in either case and either normal form.
		{"Übernahme", "die ÜBERNAHME ist", true},
		{"Übernahme", "die übernahme ist", true},
		{"Übernahme", "die U\u0308bernahme ist", true}, // decomposed ü
		{"Übernahme", "Übernahmeangebot", false},
		{"Übernahme", "Ubernahme", false},
		{"übernahme", "ÜBERNAHME", true},
		{"Kündigung", "fristlose kündigung.", true},
		{"café", "le cafe", false},
		{"cafe", "le cafe\u0301", false}, // café, decomposed: the accent is part of the word
		{"straße", "STRASSE", true},
		{"straße", "Strasse 5", true},
		{"STRASSE", "Hauptstraße", false},
		{"Strasse", "straße", true},
		{"ΟΔΟΣ", "στην οδος", true}, // final sigma
		{"Секретно", "СЕКРЕТНО!", true},
		{"kelvin", "\u212aelvin", true}, // Kelvin sign
		// Scripts without spaces: found inside a sentence.
		{"机密", "这是机密文件", true},
		{"機密", "これは機密です", true},
		// Phrases: any white space, line breaks included.
		{"project phoenix", "Project  Phoenix", true},
		{"project phoenix", "project\r\n\tphoenix", true},
		{"project phoenix", "project\u00a0phoenix", true},
		{"project phoenix", "project-phoenix", false},
		{"project phoenix", "projectphoenix", false},
		{"project phoenix", "project phoenixes", false},
		// Punctuation in a keyword.
		{"M&A", "the M&A team", true},
		{"M&A", "the m&a team", true},
		{"M&A", "M&Amp", false},
		{"#phoenix", "tag #phoenix here", true},
		{"#phoenix", "tag#phoenix", true},
		{"C++", "in c++ code", true},
		{"C++", "in c+++", true}, // ends with '+': no boundary needed after it
		{"§ 17", "nach § 17 Abs. 2", true},
		{"§ 17", "nach § 170", false},
		// Digits.
		{"4711", "Projekt 4711.", true},
		{"4711", "Projekt 47110", false},
	}
	for _, tt := range tests {
		s := keywordScanner(t, tt.keyword)
		h := s.Scan(Message{Body: tt.text})
		if h.Fired() != tt.want {
			t.Errorf("keyword %q in %q: fired %v, want %v", tt.keyword, tt.text, h.Fired(), tt.want)
		}
		if h.Fired() && (h.Evidence != s.rules[0].Keyword || h.Where != WhereBody) {
			t.Errorf("keyword %q in %q: %+v", tt.keyword, tt.text, h)
		}
		// In the subject too.
		if h := s.Scan(Message{Subject: tt.text}); h.Fired() != tt.want || h.Fired() && h.Where != WhereSubject {
			t.Errorf("keyword %q in subject %q: %+v, want fired %v", tt.keyword, tt.text, h, tt.want)
		}
	}
}

// A subject and a body are separate texts: a phrase does not span them.
func TestKeywordNotAcrossSubjectAndBody(t *testing.T) {
	s := keywordScanner(t, "project phoenix")
	if h := s.Scan(Message{Subject: "project", Body: "phoenix"}); h.Fired() {
		t.Errorf("fired across subject and body: %+v", h)
	}
}

// Many keywords: each is found, the one that is there is named, and
// keywords that share a beginning do not hide one another.
func TestManyKeywords(t *testing.T) {
	var keywords []string
	for i := range 200 {
		keywords = append(keywords, fmt.Sprintf("secret%d", i))
	}
	// "secret plan" holds "secret": it comes first, so it is the one named.
	keywords = append(keywords, "secret plan", "secret", "secrets")
	s := keywordScanner(t, keywords...)
	for i, k := range keywords {
		h := s.Scan(Message{Body: "this is the " + strings.ToUpper(k) + ", really"})
		if !h.Fired() || h.Rule.ID != fmt.Sprint("k", i) {
			t.Errorf("%q: got %+v, want rule k%d", k, h.Rule, i)
		}
	}
	if h := s.Scan(Message{Body: "secretary secret9x secret2000"}); h.Fired() {
		t.Errorf("fired on near misses: %+v", h)
	}
}
