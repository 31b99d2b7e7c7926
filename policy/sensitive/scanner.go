package sensitive

import (
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/discreet-crm/discreet"
)

// none is the rank of no rule: every rule beats it.
const none = math.MaxInt32

// Where says in which part of an email a rule fired.
type Where string

const (
	WhereHeader  Where = "header"
	WhereSubject Where = "subject"
	WhereBody    Where = "body"
)

// Message is what a scan reads of an email.
type Message struct {
	Subject string
	Body    string
	// Header returns a header's value, "" when absent; nil when there are
	// no headers (a draft being composed).
	Header func(name string) string
}

// Hit is the outcome of a scan: the rule that fired, or the zero Hit.
type Hit struct {
	// Rule is the rule that fired. Of several, a never_log rule beats a
	// private one, and then the first in the order they were compiled in.
	Rule discreet.SensitivityRule `json:"rule"`
	// Where it fired.
	Where Where `json:"where"`
	// Evidence is what an admin may be shown of the match and no more: a
	// masked IBAN ("CH93 **** **** 2957") or card ("Visa **** 1111"), the
	// header ("Auto-Submitted: auto-replied"), or the rule's keyword.
	Evidence string `json:"evidence"`
}

// Fired reports whether a rule fired.
func (h Hit) Fired() bool { return h.Rule.Detector != "" }

// NeverLog reports whether the rule that fired blocks logging
// (sensitive_content); otherwise, if one fired, it forces the email private.
func (h Hit) NeverLog() bool { return h.Rule.Action == discreet.ActionNeverLog }

// Scanner is a compiled set of sensitivity rules. It is immutable, so any
// number of goroutines may Scan with it at once. A nil Scanner has no rules.
type Scanner struct {
	// rules in rank order: never_log rules first, each action's rules in
	// the order given.
	rules []discreet.SensitivityRule
	// The best rank of a rule of each detector, none if no rule has it.
	iban, card, automated int
	kw                    *trie // nil when no rule is a keyword rule
	// text: some rule reads the subject and body.
	text bool
}

// Compile checks rules (as ParseRule does) and compiles them into a
// Scanner. An error names the rule at fault by its id or position, and the
// field; then no Scanner is returned, since skipping a rule that cannot be
// read would log what it was meant to stop.
func Compile(rules []discreet.SensitivityRule) (*Scanner, error) {
	s := &Scanner{iban: none, card: none, automated: none}
	for _, a := range [...]discreet.RuleAction{discreet.ActionNeverLog, discreet.ActionPrivate} {
		for i, r := range rules {
			p, err := ParseRule(r)
			if err != nil {
				return nil, ruleError(i, r, err)
			}
			if p.Action == a {
				s.rules = append(s.rules, p)
			}
		}
	}
	var keywords []string
	var ranks []int
	for rank, r := range s.rules {
		switch r.Detector {
		case discreet.DetectorIBAN:
			s.iban = min(s.iban, rank)
		case discreet.DetectorCard:
			s.card = min(s.card, rank)
		case discreet.DetectorAutomated:
			s.automated = min(s.automated, rank)
		case discreet.DetectorKeyword:
			keywords = append(keywords, r.Keyword)
			ranks = append(ranks, rank)
		}
	}
	if len(keywords) > 0 {
		s.kw = buildTrie(keywords, ranks)
	}
	s.text = s.kw != nil || s.iban < none || s.card < none
	return s, nil
}

// ruleError names the rule at fault in a list.
func ruleError(i int, r discreet.SensitivityRule, err error) error {
	e, ok := err.(*discreet.Error)
	if !ok {
		return err
	}
	name := fmt.Sprintf("rule %d", i+1)
	if r.ID != "" {
		name = fmt.Sprintf("rule %q", r.ID)
	}
	return &discreet.Error{Code: e.Code, Field: e.Field, Message: name + ": " + e.Message}
}

// Len is the number of rules.
func (s *Scanner) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rules)
}

// Rules are the compiled rules, canonical, in rank order.
func (s *Scanner) Rules() []discreet.SensitivityRule {
	if s == nil {
		return nil
	}
	return append([]discreet.SensitivityRule(nil), s.rules...)
}

// state is what a scan has found so far: the best rank and where.
type state struct {
	best     int
	where    Where
	evidence string
}

func (st *state) hit(rank int, where Where, evidence string) {
	if rank < st.best {
		st.best, st.where, st.evidence = rank, where, evidence
	}
}

// Scan runs every rule over m: the headers, then the subject, then the
// body, each in one pass that drives all detectors. It stops as soon as
// the best rule has fired, since nothing can beat it. A nil or empty
// Scanner returns at once.
func (s *Scanner) Scan(m Message) Hit {
	if s == nil || len(s.rules) == 0 {
		return Hit{}
	}
	st := state{best: none}
	if s.automated < none && m.Header != nil {
		if ev, ok := automated(m.Header); ok {
			st.hit(s.automated, WhereHeader, ev)
		}
	}
	s.scanText(m.Subject, WhereSubject, &st)
	s.scanText(m.Body, WhereBody, &st)
	if st.best == none {
		return Hit{}
	}
	h := Hit{Rule: s.rules[st.best], Where: st.where, Evidence: st.evidence}
	if h.Rule.Detector == discreet.DetectorKeyword {
		h.Evidence = h.Rule.Keyword
	}
	return h
}

// scanText is the one pass over a text. It moves word by word: a keyword
// that starts with a letter or digit, an IBAN and a card number can only
// start where a word does, so inside a word the pass only looks for its
// end, and at the start of one a table lookup or two rule out nearly every
// word. Only the digit groups of a number candidate and the bytes of a
// keyword candidate are read again, by the detector that checks them.
func (s *Scanner) scanText(text string, where Where, st *state) {
	if !s.text {
		return
	}
	kw := s.kw
	// numEnd is the end of the last IBAN or run of digit groups read: the
	// groups inside it are not read again.
	numEnd := 0
	prevWord := false
	for i := 0; i < len(text) && st.best > 0; {
		b := text[i]
		if b < utf8.RuneSelf {
			c := ascii[b]
			if c&cWord == 0 {
				// A keyword may start with a character that is not part of a
				// word ("#phoenix", "§ 17"); then anywhere.
				if kw != nil && kw.root[b] != 0 && kw.best < st.best {
					kw.walk(text, i, where, st)
				}
				prevWord = false
				i++
				continue
			}
			if !prevWord {
				s.wordStart(text, i, c, where, st, &numEnd)
			}
			prevWord = true
			for i++; i < len(text) && ascii[text[i]]&cWord != 0; i++ {
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		w := isWordRune(r)
		if (!w || !prevWord) && kw != nil && kw.best < st.best && kw.root[firstByte(r)] != 0 {
			kw.walk(text, i, where, st)
		}
		prevWord = w
		i += size
	}
}

// wordStart runs the detectors that look at the start of a word: cards at
// a digit, IBANs at a letter, keywords at either. Each first rules the
// word out as cheaply as it can.
func (s *Scanner) wordStart(text string, i int, c uint8, where Where, st *state, numEnd *int) {
	if i >= *numEnd {
		if c&cDigit != 0 {
			if s.card < st.best {
				end, ev, ok := cardRun(text, i)
				*numEnd = end
				if ok {
					st.hit(s.card, where, ev)
				}
			}
		} else if min(s.iban, s.card) < st.best && i+4 <= len(text) {
			// An IBAN has a digit or a separator after its country code.
			// IBANs are read for a card rule too, so that the digit groups
			// of an IBAN are never taken for a card.
			if x := text[i+2]; isDigit(x) || x == ' ' || x == '-' || x == 0xC2 {
				if end, ev, ok := ibanAt(text, i); ok {
					*numEnd = end
					if s.iban < st.best {
						st.hit(s.iban, where, ev)
					}
				}
			}
		}
	}
	if kw := s.kw; kw != nil && kw.best < st.best && kw.mayStart(text, i) {
		kw.walk(text, i, where, st)
	}
}
