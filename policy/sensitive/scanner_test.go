package sensitive

import (
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
)

func headers(h map[string]string) func(string) string {
	return func(name string) string { return h[name] }
}

func TestAutomated(t *testing.T) {
	tests := []struct {
		h        map[string]string
		evidence string // "" when it must not fire
	}{
		{map[string]string{"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"},
		{map[string]string{"Auto-Submitted": "Auto-Generated"}, "Auto-Submitted: auto-generated"},
		{map[string]string{"Auto-Submitted": " auto-notified; owner-email=\"x@example.com\""}, "Auto-Submitted: auto-notified"},
		{map[string]string{"Auto-Submitted": "(by the robot) auto-replied"}, "Auto-Submitted: auto-replied"},
		{map[string]string{"Auto-Submitted": "?!"}, "Auto-Submitted"}, // unreadable is not "no"
		{map[string]string{"Auto-Submitted": "no"}, ""},
		{map[string]string{"Auto-Submitted": " No (a person wrote this)"}, ""},
		{map[string]string{"Auto-Submitted": "no; x=y"}, ""},
		{map[string]string{"Auto-Submitted": "  "}, ""},
		{map[string]string{"List-Id": "Sales news <news.example.com>"}, "List-Id"},
		{map[string]string{"List-Id": " "}, ""},
		{map[string]string{"Precedence": "bulk"}, "Precedence: bulk"},
		{map[string]string{"Precedence": "List"}, "Precedence: list"},
		{map[string]string{"Precedence": "junk"}, "Precedence: junk"},
		{map[string]string{"Precedence": "first-class"}, ""},
		{map[string]string{"Precedence": "bulky"}, ""},
		{map[string]string{"Subject": "Auto-Submitted: auto-replied"}, ""},
		{nil, ""},
	}
	s, err := Compile([]discreet.SensitivityRule{{ID: "a", Detector: discreet.DetectorAutomated, Action: discreet.ActionPrivate}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		h := s.Scan(Message{Header: headers(tt.h), Subject: "Out of office", Body: "I am away."})
		if got := h.Evidence; got != tt.evidence || h.Fired() != (tt.evidence != "") {
			t.Errorf("%v: %+v, want evidence %q", tt.h, h, tt.evidence)
		}
		if h.Fired() && (h.Where != WhereHeader || h.NeverLog()) {
			t.Errorf("%v: %+v, want a private rule in the header", tt.h, h)
		}
	}
	// A draft has no headers yet.
	if h := s.Scan(Message{Body: "Precedence: bulk"}); h.Fired() {
		t.Errorf("fired without headers: %+v", h)
	}
}

func TestParseRule(t *testing.T) {
	ok := []struct {
		in   discreet.SensitivityRule
		want string // canonical keyword
	}{
		{discreet.SensitivityRule{Detector: "iban", Action: "never_log"}, ""},
		{discreet.SensitivityRule{Detector: "card", Action: "private", Keyword: "  "}, ""},
		{discreet.SensitivityRule{Detector: "automated", Action: "private"}, ""},
		{discreet.SensitivityRule{Detector: "keyword", Action: "never_log", Keyword: "  Project \n\t Phoenix "}, "Project Phoenix"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "never_log", Keyword: "U\u0308bernahme"}, "Übernahme"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "never_log", Keyword: "M&A"}, "M&A"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "never_log", Keyword: strings.Repeat("x", MaxKeyword)}, strings.Repeat("x", MaxKeyword)},
	}
	for _, tt := range ok {
		got, err := ParseRule(tt.in)
		if err != nil {
			t.Errorf("ParseRule(%+v): %v", tt.in, err)
			continue
		}
		if got.Keyword != tt.want {
			t.Errorf("ParseRule(%+v).Keyword = %q, want %q", tt.in, got.Keyword, tt.want)
		}
		if again, err := ParseRule(got); err != nil || again != got {
			t.Errorf("ParseRule is not stable on %+v: %+v, %v", got, again, err)
		}
	}
	bad := []struct {
		in          discreet.SensitivityRule
		field, says string
	}{
		{discreet.SensitivityRule{Action: "never_log"}, "detector", "is missing"},
		{discreet.SensitivityRule{Detector: "regex", Action: "never_log"}, "detector", `"regex" is not a detector; use iban, card, automated or keyword`},
		{discreet.SensitivityRule{Detector: "iban"}, "action", "is missing; use never_log or private"},
		{discreet.SensitivityRule{Detector: "iban", Action: "block"}, "action", `"block" is not an action`},
		{discreet.SensitivityRule{Detector: "iban", Action: "private", Keyword: "x"}, "keyword", "only a keyword rule has one"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "private"}, "keyword", "is empty"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "private", Keyword: " \n "}, "keyword", "is empty"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "private", Keyword: "--"}, "keyword", "needs at least one letter or digit"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "private", Keyword: "a\x00b"}, "keyword", "control character"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "private", Keyword: "se\u200bcret"}, "keyword", "invisible character (U+200B)"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "private", Keyword: "\xff"}, "keyword", "not valid UTF-8"},
		{discreet.SensitivityRule{Detector: "keyword", Action: "private", Keyword: strings.Repeat("x", MaxKeyword+1)}, "keyword", "at most 100"},
	}
	for _, tt := range bad {
		_, err := ParseRule(tt.in)
		e, ok := err.(*discreet.Error)
		if !ok {
			t.Errorf("ParseRule(%+v) = %v, want a *discreet.Error", tt.in, err)
			continue
		}
		if e.Code != discreet.EInvalid || e.Field != tt.field || !strings.HasPrefix(e.Message, tt.field+": ") || !strings.Contains(e.Message, tt.says) {
			t.Errorf("ParseRule(%+v) = %q (field %q), want field %q saying %q", tt.in, e.Message, e.Field, tt.field, tt.says)
		}
	}
}

func TestCompileNamesTheRule(t *testing.T) {
	_, err := Compile([]discreet.SensitivityRule{
		{ID: "ok", Detector: "iban", Action: "never_log"},
		{ID: "r7", Detector: "keyword", Action: "private"},
	})
	if e, ok := err.(*discreet.Error); !ok || e.Field != "keyword" || !strings.HasPrefix(e.Message, `rule "r7": keyword: is empty`) {
		t.Errorf("Compile: %v", err)
	}
	_, err = Compile([]discreet.SensitivityRule{{Detector: "iban", Action: "never_log"}, {Detector: "x", Action: "private"}})
	if e, ok := err.(*discreet.Error); !ok || !strings.HasPrefix(e.Message, "rule 2: detector:") {
		t.Errorf("Compile: %v", err)
	}
}

// Which rule a scan names: never_log beats private whatever the order and
// wherever each matched; among equals the first rule given wins.
func TestPrecedence(t *testing.T) {
	rule := func(id string, d discreet.Detector, k string, a discreet.RuleAction) discreet.SensitivityRule {
		return discreet.SensitivityRule{ID: id, Detector: d, Keyword: k, Action: a}
	}
	const p, n = discreet.ActionPrivate, discreet.ActionNeverLog
	msg := Message{
		Header:  headers(map[string]string{"Precedence": "bulk"}),
		Subject: "Phoenix update",
		Body:    "Pay to CH93 0076 2011 6238 5295 7 with card 4111 1111 1111 1111. Salary attached.",
	}
	tests := []struct {
		rules []discreet.SensitivityRule
		want  string // rule id; "" none
	}{
		{nil, ""},
		{[]discreet.SensitivityRule{rule("a", "keyword", "phoenix", p), rule("b", "iban", "", n)}, "b"},
		{[]discreet.SensitivityRule{rule("a", "iban", "", n), rule("b", "card", "", n)}, "a"},
		{[]discreet.SensitivityRule{rule("a", "card", "", n), rule("b", "iban", "", n)}, "a"},
		{[]discreet.SensitivityRule{rule("a", "automated", "", p), rule("b", "keyword", "salary", p)}, "a"},
		{[]discreet.SensitivityRule{rule("a", "keyword", "salary", p), rule("b", "automated", "", p)}, "a"},
		{[]discreet.SensitivityRule{rule("a", "automated", "", p), rule("b", "keyword", "salary", n)}, "b"},
		{[]discreet.SensitivityRule{rule("a", "keyword", "nothing", n), rule("b", "keyword", "phoenix", p), rule("c", "keyword", "salary", p)}, "b"},
		{[]discreet.SensitivityRule{rule("a", "keyword", "salary", p), rule("b", "keyword", "phoenix", p)}, "a"},
		{[]discreet.SensitivityRule{rule("a", "keyword", "nothing", n), rule("b", "iban", "", p)}, "b"},
		{[]discreet.SensitivityRule{rule("a", "keyword", "salary", n), rule("b", "keyword", "salary", n)}, "a"},
	}
	for _, tt := range tests {
		s, err := Compile(tt.rules)
		if err != nil {
			t.Fatal(err)
		}
		h := s.Scan(msg)
		if h.RuleID() != tt.want {
			t.Errorf("%v: rule %q (%+v), want %q", tt.rules, h.RuleID(), h, tt.want)
		}
	}
}

// The evidence never holds the sensitive number itself.
func TestEvidenceIsMasked(t *testing.T) {
	s, err := Compile([]discreet.SensitivityRule{{Detector: "iban", Action: "never_log"}, {Detector: "card", Action: "never_log"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"CH9300762011623852957", "4111111111111111", "3782 822463 10005"} {
		h := s.Scan(Message{Body: body})
		digits := string(digitsOfString(h.Evidence))
		if !h.Fired() || len(digits) > 6 || strings.Contains(h.Evidence, body[4:12]) {
			t.Errorf("%q: evidence %q", body, h.Evidence)
		}
	}
}

func digitsOfString(s string) []byte {
	var d []byte
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			d = append(d, s[i])
		}
	}
	return d
}

func TestNilAndEmptyScanner(t *testing.T) {
	var s *Scanner
	if h := s.Scan(Message{Body: "4111 1111 1111 1111"}); h.Fired() || s.Len() != 0 || s.Rules() != nil {
		t.Errorf("nil scanner: %+v", h)
	}
	e, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := e.Scan(Message{Body: "4111 1111 1111 1111", Header: headers(map[string]string{"Precedence": "bulk"})}); h.Fired() || e.Len() != 0 {
		t.Errorf("empty scanner: %+v", h)
	}
}

// TestAlternates: a rule that fires on another reading of the body fires.
func TestAlternates(t *testing.T) {
	s := keywordScanner(t, "Kündigung")
	if h := s.Scan(Message{Body: "KÃ¼ndigung"}); h.Fired() {
		t.Fatalf("fired on the Windows-1252 reading alone: %+v", h)
	}
	if h := s.Scan(Message{Body: "KÃ¼ndigung", Alternates: []Reading{{WhereBody, "K\uFFFD Kündigung"}}}); !h.Fired() || h.Where != WhereBody {
		t.Fatalf("not fired on the UTF-8 reading: %+v", h)
	}
	if h := s.Scan(Message{Subject: "KÃ¼ndigung", Alternates: []Reading{{WhereSubject, "Kündigung"}}}); !h.Fired() || h.Where != WhereSubject {
		t.Fatalf("not fired on the subject's UTF-8 reading: %+v", h)
	}
}
