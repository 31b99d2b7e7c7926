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
	// Alternates are other readings of the subject or body (the same
	// bytes in another charset), scanned after them: a rule that fires on
	// any reading fires.
	Alternates []Reading
	// Header returns a header's value, "" when absent; nil when there are
	// no headers (a draft being composed).
	Header func(name string) string
}

// Reading is a text as some charset reads it, and where it is.
type Reading struct {
	Where Where
	Text  string
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
	// first is the scan's prefilter in front of starts.
	first *prefilter
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
		s.first = s.prefilter()
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
	for _, a := range m.Alternates {
		p.scan(a.Text, a.Where)
	}
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

// numberAhead reports whether the eight bytes w, a digit first, may start
// a card number: all are digits, separators or not ASCII (the no-break
// space), as the first eight bytes of a run of at least 13 digits are.
func numberAhead(w uint64) bool {
	v := w & low7
	digit := (v + ones*(0x80-'0')) &^ (v + ones*(0x80-'9'-1))
	return (digit|zeroBytes(w^ones*' ')|zeroBytes(w^ones*'-')|w)&high == high
}

// zeroBytes has the high bit of each byte of x set where that byte is 0,
// and no other bit.
func zeroBytes(x uint64) uint64 {
	return ^((x&low7 + low7) | x | low7)
}

// load64 is text[i:i+8] as a little-endian word. The slice first, so that
// the compiler sees eight bytes in bounds and makes one load of them (with
// a bounds check per byte it makes eight, and it costs ten times more).
func load64(text string, i int) uint64 {
	b := text[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
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

// block is how many bytes the scan reads at a time: a bit of a uint64 per
// byte.
const block = 64

// pack gathers the high bits of x's eight bytes into its low eight bits.
func pack(x uint64) uint64 { return (x & high >> 7) * 0x0102040810204080 >> 56 }

// scan is the one pass over a text. A keyword that starts with a letter
// or digit, an IBAN and a card number can only start where a word does,
// and there the prefilter rules out nearly every word with a few
// arithmetic operations and no branch. So the scan reads 64 bytes at a
// time: it finds their word starts with arithmetic on eight bytes at a
// time, runs the prefilter at each, and then, in the order of the text,
// runs the detectors (at) where the prefilter let a word through, at each
// character that is not ASCII or follows one, and at ASCII punctuation a
// keyword starts with. A character at a time are read: the last bytes;
// the text after a block mostly not ASCII, until a block is mostly ASCII
// again; and all of it when keywords start with many kinds of punctuation.
// Only the digit groups of a number candidate and the bytes of a keyword
// candidate are read again, by the detector that checks them.
func (p *pass) scan(text string, where Where) {
	if !p.s.text || p.best == 0 {
		return
	}
	p.text, p.where, p.numEnd = text, where, 0
	p.update()
	f := p.s.first
	i := 0
	// characters: the last stretch was mostly not ASCII (Cyrillic, Greek,
	// CJK), where a character at a time is cheaper than 64 bytes at a time,
	// which would look at every character apart.
	characters := false
	// Of the byte before text[i]: an ASCII letter or digit; not ASCII. As
	// bit 0.
	var prevWord, prevNonASCII uint64
	for f.eight && i+block+8 <= len(text) {
		if characters {
			var ok bool
			var nonASCII int
			if i, nonASCII, ok = p.characters(i, i+block); !ok {
				return
			}
			characters = nonASCII > block/4
			b := text[i-1]
			prevWord, prevNonASCII = uint64(ascii[b]&cWord), uint64(b>>7)
			continue
		}
		at, word, nonASCII := f.block(text[i:i+block+8], prevWord, prevNonASCII, p.keyword)
		prevWord, prevNonASCII = word>>63, nonASCII>>63
		characters = bits.OnesCount64(nonASCII) > block/4
		for at != 0 {
			j := i + bits.TrailingZeros64(at)
			at &= at - 1
			// Most places are answered here, without a call: inside a
			// word, at or after a letter of Latin-1 (ü, é), nothing
			// starts; nor at a digit or letter where its first eight
			// bytes rule out everything that may start with one.
			switch b := text[j]; {
			case b >= utf8.RuneSelf:
				if j > 0 && latin1Letter(text, j) && ascii[text[j-1]]&cWord != 0 {
					continue
				}
			case ascii[b]&cDigit != 0:
				// Unless a keyword starts with a digit, only a card may
				// start here: not inside a number already read, and not
				// where the next eight bytes are more than digits and
				// separators (most are a year or a postcode).
				if !f.digitKeyword && (j < p.numEnd || !numberAhead(load64(text, j))) {
					continue
				}
			case ascii[b]&cLetter != 0:
				if j >= 2 && latin1Letter(text, j-2) {
					continue
				}
				// Only a keyword or an IBAN may start at a letter: not
				// where no keyword's beginning agrees with the word's and
				// no digit or separator follows two letters.
				if ibanNext[text[j+2]] == 0 && !f.longer(load64(text, j)) {
					continue
				}
			}
			if !p.at(j) {
				return
			}
		}
		i += block
	}
	// The rest a character at a time.
	p.characters(i, len(text))
}

// characters runs the detectors from text[i] to text[end] (or a little
// past it, to the end of a character) a character at a time, as the scan
// of a short text or of one mostly not ASCII does. It returns where it
// stopped, how many bytes were not ASCII, and false when nothing can beat
// the hit it found.
func (p *pass) characters(i, end int) (next, nonASCII int, ok bool) {
	text, kw := p.text, p.s.kw
	// Not inside a character: the 64-byte scan looked at its first byte.
	// A stray continuation byte (not text) starts no keyword either: no
	// keyword starts with U+FFFD (see prefilter).
	for i < end && text[i]&0xC0 == 0x80 {
		i++
		nonASCII++
	}
	prevW := wordBefore(text, i)
	for i < end {
		b := text[i]
		if b < utf8.RuneSelf {
			c := ascii[b]
			w := c&cWord != 0
			if w && !prevW {
				if e := p.startsAt(i); e != 0 && !p.wordStart(i, e) {
					return i, nonASCII, false
				}
			} else if !w && p.keyword && kw.root[b] != 0 {
				// A keyword may start with a character that is not part
				// of a word ("#phoenix"); then anywhere.
				kw.walk(p, i)
				p.update()
				if p.best == 0 {
					return i, nonASCII, false
				}
			}
			prevW = w
			i++
			continue
		}
		r, size := decodeRune(text, i)
		w := isWordRune(r)
		if (!w || !prevW) && p.keyword && kw.root[firstByte(r)] != 0 {
			kw.walk(p, i)
			p.update()
			if p.best == 0 {
				return i, nonASCII, false
			}
		}
		prevW = w
		i += size
		nonASCII += size
	}
	return i, nonASCII, true
}

// at runs the detectors that may start at text[j] as the character-at-a-
// time scan would, finding out for itself whether a word starts there. It
// reports false when nothing can beat the hit it found.
func (p *pass) at(j int) bool {
	text, kw := p.text, p.s.kw
	b := text[j]
	if b < utf8.RuneSelf {
		if ascii[b]&cWord != 0 {
			if wordBefore(text, j) {
				return true
			}
			if e := p.startsAt(j); e != 0 {
				return p.wordStart(j, e)
			}
			return true
		}
		if p.keyword && kw.root[b] != 0 {
			kw.walk(p, j)
			p.update()
		}
		return p.best > 0
	}
	if !p.keyword {
		return true
	}
	if latin1Letter(text, j) && wordBefore(text, j) {
		return true // inside a word: nothing starts here
	}
	r, _ := utf8.DecodeRuneInString(text[j:])
	if (!isWordRune(r) || !wordBefore(text, j)) && kw.root[firstByte(r)] != 0 {
		kw.walk(p, j)
		p.update()
	}
	return p.best > 0
}

// wordBefore reports whether the character before text[j] is part of a
// word.
func wordBefore(text string, j int) bool {
	if j == 0 {
		return false
	}
	if b := text[j-1]; b < utf8.RuneSelf {
		return ascii[b]&cWord != 0
	}
	if j >= 2 && latin1Letter(text, j-2) {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(text[:j])
	return isWordRune(r)
}

// decodeRune is utf8.DecodeRuneInString(text[i:]) for a byte that is not
// ASCII, with the two-byte characters (Cyrillic, Greek, Latin-1) decoded
// here, where the library takes its slow path for all of them.
func decodeRune(text string, i int) (rune, int) {
	if b := text[i]; b >= 0xC2 && b <= 0xDF && i+1 < len(text) {
		if c := text[i+1]; c&0xC0 == 0x80 {
			return rune(b&0x1F)<<6 | rune(c&0x3F), 2
		}
	}
	return utf8.DecodeRuneInString(text[i:])
}

// latin1Letter reports whether text[j:] starts with a letter of Latin-1
// (à to ÿ, À to Þ, ß, but not × or ÷): the letters of Western mail that
// are not ASCII, answered without decoding them.
func latin1Letter(text string, j int) bool {
	if j+1 >= len(text) || text[j] != 0xC3 {
		return false
	}
	b := text[j+1]
	return 0x80 <= b && b <= 0xBF && b != 0x97 && b != 0xB7
}

// block reads the 64 bytes at the start of text (and up to eight more, the
// first bytes of a word that starts in them), and returns, a bit per byte,
// where the scan must run at: the word starts the prefilter lets through,
// and, as scan says, the bytes that need a closer look. word and nonASCII
// mark ASCII letters and digits, and bytes that are not ASCII; prevWord
// and prevNonASCII say the same of the byte before, as bit 0. A function
// of its own, so that its loop keeps its values in registers.
func (f *prefilter) block(text string, prevWord, prevNonASCII uint64, keyword bool) (at, word, nonASCII uint64) {
	text = text[:block+8] // a length the compiler knows: no bounds checks below
	var cont, punct uint64
	for c := 0; c < block; c += 8 {
		x := load64(text, c)
		na := x & high
		x7 := x & low7 // wordBits reads ASCII only; other bytes are dropped after
		word |= pack(wordBits(x7)&^na) << (c & 63)
		if na != 0 {
			nonASCII |= pack(na) << (c & 63)
			cont |= pack(x&^(x<<1)) << (c & 63) // 10xxxxxx
		}
		if f.punctuation {
			u := zeroBytes(x7 ^ f.punct[0])
			if f.punct[1] != f.punct[0] {
				u |= zeroBytes(x7^f.punct[1]) | zeroBytes(x7^f.punct[2]) | zeroBytes(x7^f.punct[3])
			}
			punct |= pack(u&^na) << (c & 63)
		}
	}
	at = word&(nonASCII<<1|prevNonASCII) | punct
	if keyword {
		at |= nonASCII &^ cont
	}
	for ws := word &^ (word<<1 | nonASCII<<1 | prevWord | prevNonASCII); ws != 0; ws &= ws - 1 {
		j := bits.TrailingZeros64(ws)
		// The prefilter's question, written out: a call would double
		// the cost of this loop, which runs at every word.
		key := prefixKey(load64(text, j))
		h := keyHash(key)
		at |= (f.keys[h>>6]>>(h&63) | uint64(f.short[byte(key)])) & 1 << j
	}
	return at, word, nonASCII
}
