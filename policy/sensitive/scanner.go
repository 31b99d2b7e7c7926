package sensitive

import (
	"fmt"
	"math"
	"math/bits"
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
	// Rule is (a copy of) the rule that fired, nil if none did. Of
	// several, a never_log rule beats a private one, and then the first in
	// the order they were compiled in. A pointer, so that a scan that
	// finds nothing returns a few words, not a whole rule.
	Rule *discreet.SensitivityRule `json:"rule,omitempty"`
	// Where it fired.
	Where Where `json:"where"`
	// Evidence is what an admin may be shown of the match and no more: a
	// masked IBAN ("CH93 **** **** 2957") or card ("Visa **** 1111"), the
	// header ("Auto-Submitted: auto-replied"), or the rule's keyword.
	Evidence string `json:"evidence"`
}

// Fired reports whether a rule fired.
func (h Hit) Fired() bool { return h.Rule != nil }

// RuleID is the id of the rule that fired, "" if none did.
func (h Hit) RuleID() string {
	if h.Rule == nil {
		return ""
	}
	return h.Rule.ID
}

// NeverLog reports whether the rule that fired blocks logging
// (sensitive_content); otherwise, if one fired, it forces the email private.
func (h Hit) NeverLog() bool { return h.Rule != nil && h.Rule.Action == discreet.ActionNeverLog }

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
	// starts says, by the classes of the first two bytes of a word (the
	// first ASCII), which detectors may start there: the one lookup that
	// rules out nearly every word. It is small enough to stay in the
	// fastest cache.
	starts *[64 * 64]uint8
}

// class sorts bytes for starts: the letters (either case), the digits, any
// byte of a non-ASCII character, white space, and the rest of ASCII in a
// few buckets. Bytes of one class share an entry, which then says yes
// where any of them would.
var class = func() (t [256]uint8) {
	for b := range 256 {
		switch {
		case 'a' <= b && b <= 'z':
			t[b] = uint8(b-'a') + 1
		case 'A' <= b && b <= 'Z':
			t[b] = uint8(b-'A') + 1
		case '0' <= b && b <= '9':
			t[b] = uint8(b-'0') + 27
		case b >= utf8.RuneSelf:
			t[b] = 37
		case ascii[b]&cSpace != 0:
			t[b] = 38
		default:
			t[b] = 39 + uint8(b%24)
		}
	}
	return t
}()

// ibanNext is startIBAN for a byte that may follow an IBAN's country code:
// a digit or the first byte of a separator.
var ibanNext = func() (t [256]uint8) {
	for b := range 256 {
		if isDigit(byte(b)) || b == ' ' || b == '-' || b == 0xC2 {
			t[b] = startIBAN
		}
	}
	return t
}()

// What may start at a word, by its first two bytes.
const (
	startCard    = 1 << iota // a digit, and a card rule
	startIBAN                // a country code, and an IBAN or card rule
	startKeyword             // a keyword may start here
	startTriple              // a keyword may start here if its third byte agrees
)

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
	if s.text {
		s.starts = s.startTable()
	}
	return s, nil
}

// startTable computes starts.
func (s *Scanner) startTable() *[64 * 64]uint8 {
	t := new([64 * 64]uint8)
	for b0 := range utf8.RuneSelf {
		c0 := ascii[b0]
		if c0&cWord == 0 {
			continue
		}
		for b1 := range 256 {
			var e uint8
			if c0&cDigit != 0 && s.card < none {
				e |= startCard
			}
			if c0&cLetter != 0 && b1 < utf8.RuneSelf && ascii[b1]&cLetter != 0 && min(s.iban, s.card) < none &&
				ibanSpecs[int(upperLetter(byte(b0))-'A')*26+int(upperLetter(byte(b1))-'A')] != nil {
				e |= startIBAN
			}
			if kw := s.kw; kw != nil && kw.root[lower[b0]] != 0 {
				switch l0, l1 := lower[b0], lower[b1]; {
				case b1 >= utf8.RuneSelf:
					e |= startKeyword // a non-ASCII character may fold to anything (the Kelvin sign is k)
				case !has(&kw.pairs[l0], l1):
				case has(&kw.open[l0], l1):
					e |= startKeyword
				default:
					e |= startTriple
				}
			}
			t[int(class[b0])<<6|int(class[b1])] |= e
		}
	}
	return t
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

// Scan runs every rule over m: the headers, then the subject, then the
// body, each in one pass that drives all detectors. It stops as soon as
// the best rule has fired, since nothing can beat it. A nil or empty
// Scanner returns at once.
func (s *Scanner) Scan(m Message) Hit {
	if s == nil || len(s.rules) == 0 {
		return Hit{}
	}
	return s.scan(m)
}

func (s *Scanner) scan(m Message) Hit {
	p := pass{s: s, best: none}
	if s.automated < none && m.Header != nil {
		if ev, ok := automated(m.Header); ok {
			p.where = WhereHeader
			p.hit(s.automated, ev)
		}
	}
	p.scan(m.Subject, WhereSubject)
	p.scan(m.Body, WhereBody)
	if p.best == none {
		return Hit{}
	}
	r := s.rules[p.best]
	h := Hit{Rule: &r, Where: p.found, Evidence: p.evidence}
	if r.Detector == discreet.DetectorKeyword {
		h.Evidence = h.Rule.Keyword
	}
	return h
}

// pass is a scan under way: the best hit so far, and where it is in which
// text.
type pass struct {
	s *Scanner
	// best is the rank of the best rule that fired, none if none; found is
	// where and evidence what it found.
	best     int
	found    Where
	evidence string

	text  string
	where Where
	// numEnd is the end of the last IBAN or run of digit groups read: the
	// groups inside it are not read again.
	numEnd int
	// Which detectors may still beat the best hit; updated after each.
	card, number, keyword bool
}

// hit records that the rule of rank fired, if it beats the best so far.
func (p *pass) hit(rank int, evidence string) {
	if rank < p.best {
		p.best, p.found, p.evidence = rank, p.where, evidence
	}
}

func (p *pass) update() {
	p.card = p.s.card < p.best
	p.number = min(p.s.iban, p.s.card) < p.best
	p.keyword = p.s.kw != nil && p.s.kw.best < p.best
}

// startsAt is what may start at text[i], the first character of a word,
// an ASCII one: the table's answer for its first two bytes, less an IBAN
// without a digit or separator after its country code and a keyword whose
// third byte disagrees.
func (p *pass) startsAt(i int) uint8 {
	text := p.text
	if i+1 >= len(text) {
		// The text's last character: only a one-character keyword fits.
		if p.s.kw != nil && p.s.kw.root[lower[text[i]]] != 0 {
			return startKeyword
		}
		return 0
	}
	e := p.s.starts[int(class[text[i]])<<6|int(class[text[i+1]])]
	if i+4 <= len(text) {
		e &= ^uint8(startIBAN) | ibanNext[text[i+2]]
	} else {
		e &^= startIBAN
	}
	if e&startTriple != 0 && !p.s.kw.third(text, i) {
		e &^= startTriple
	}
	return e
}

// wordStart runs the detectors that may start at text[i], the first
// character of a word, as e (startsAt) says: cards at a digit, IBANs at a
// letter, keywords at either. It reports false when nothing can beat the
// hit it found.
func (p *pass) wordStart(i int, e uint8) bool {
	s, text := p.s, p.text
	best := p.best
	if i >= p.numEnd {
		switch {
		case e&startCard != 0 && p.card:
			end, ev, ok := cardRun(text, i)
			p.numEnd = end
			if ok {
				p.hit(s.card, ev)
			}
		case e&startIBAN != 0 && p.number:
			// IBANs are read for a card rule too, so that the digit groups
			// of an IBAN are never taken for a card.
			if end, ev, ok := ibanAt(text, i); ok {
				p.numEnd = end
				p.hit(s.iban, ev)
			}
		}
	}
	if p.keyword && e&(startKeyword|startTriple) != 0 {
		s.kw.walk(p, i)
	}
	if p.best != best {
		p.update()
	}
	return p.best > 0
}

// Constants for reading eight ASCII bytes at a time.
const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
	low7 = 0x7f7f7f7f7f7f7f7f
)

// zeroBytes has the high bit of each byte of x set where that byte is 0,
// and no other bit.
func zeroBytes(x uint64) uint64 {
	return ^((x&low7 + low7) | x | low7)
}

// maxPunctuation is how many punctuation characters keywords may start
// with for the scan still to read eight bytes at a time.
const maxPunctuation = 4

// load64 is text[i:i+8] as a little-endian word.
func load64(text string, i int) uint64 {
	_ = text[i+7]
	return uint64(text[i]) | uint64(text[i+1])<<8 | uint64(text[i+2])<<16 | uint64(text[i+3])<<24 |
		uint64(text[i+4])<<32 | uint64(text[i+5])<<40 | uint64(text[i+6])<<48 | uint64(text[i+7])<<56
}

// wordBits has the high bit of each byte of x set where that byte is an
// ASCII letter or digit; x holds ASCII bytes only. A byte v < 0x80 plus
// 0x80-a has its high bit set exactly when v >= a, and never carries.
func wordBits(x uint64) uint64 {
	digit := (x + ones*(0x80-'0')) &^ (x + ones*(0x80-'9'-1))
	y := x | ones*0x20 // upper-case letters to lower, and no other byte to a letter
	letter := (y + ones*(0x80-'a')) &^ (y + ones*(0x80-'z'-1))
	return (digit | letter) & high
}

// scan is the one pass over a text. It moves from word start to word
// start: a keyword that starts with a letter or digit, an IBAN and a card
// number can only start where a word does, and there a table lookup or two
// rule out nearly every word. Runs of ASCII are read eight bytes at a time,
// their word starts found with a few arithmetic operations. Only the digit
// groups of a number candidate and the bytes of a keyword candidate are
// read again, by the detector that checks them.
func (p *pass) scan(text string, where Where) {
	if !p.s.text || p.best == 0 {
		return
	}
	p.text, p.where, p.numEnd = text, where, 0
	p.update()
	kw := p.s.kw
	// Eight at a time unless keywords start with many kinds of ASCII
	// punctuation, which must then be looked for at every byte.
	var punctuation []byte
	if kw != nil {
		punctuation = kw.punctuation
	}
	fast := len(punctuation) <= maxPunctuation
	starts := p.s.starts
	prevWord := false
	for i := 0; i < len(text); {
		if fast && i+8 <= len(text) {
			x := load64(text, i)
			n := 8 // the ASCII bytes at the start of x
			if na := x & high; na != 0 {
				n = bits.TrailingZeros64(na) >> 3
				x &= 1<<(8*n) - 1
			}
			if n > 0 {
				word := wordBits(x)
				var carry uint64
				if prevWord {
					carry = 0x80
				}
				for ws := word &^ (word<<8 | carry); ws != 0; ws &= ws - 1 {
					j := i + bits.TrailingZeros64(ws)>>3
					var e uint8
					if j+4 <= len(text) {
						// startsAt, written out: this runs at every word.
						e = starts[int(class[text[j]])<<6|int(class[text[j+1]])] & (^uint8(startIBAN) | ibanNext[text[j+2]])
						if e&startTriple != 0 && !kw.third(text, j) {
							e &^= startTriple
						}
					} else {
						e = p.startsAt(j)
					}
					if e != 0 && !p.wordStart(j, e) {
						return
					}
				}
				// Keywords that start with punctuation start anywhere.
				for _, b := range punctuation {
					for at := zeroBytes(x ^ ones*uint64(b)); p.keyword && at != 0; at &= at - 1 {
						if j := i + bits.TrailingZeros64(at)>>3; j < i+n {
							kw.walk(p, j)
							p.update()
						}
					}
				}
				if p.best == 0 {
					return
				}
				prevWord = word&(0x80<<(8*(n-1))) != 0
				i += n
				continue
			}
		}
		// One character at a time: near the end, at a non-ASCII
		// character, or when keywords start with much punctuation.
		b := text[i]
		if b < utf8.RuneSelf {
			c := ascii[b]
			w := c&cWord != 0
			if w && !prevWord {
				if e := p.startsAt(i); e != 0 && !p.wordStart(i, e) {
					return
				}
			} else if !w && p.keyword && kw.root[b] != 0 {
				// A keyword may start with a character that is not part
				// of a word ("#phoenix"); then anywhere.
				kw.walk(p, i)
				p.update()
			}
			prevWord = w
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		w := isWordRune(r)
		if (!w || !prevWord) && p.keyword && kw.root[firstByte(r)] != 0 {
			kw.walk(p, i)
			p.update()
		}
		prevWord = w
		i += size
	}
}
