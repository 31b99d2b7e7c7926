package policy

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// The lenient match. A participant that does not read as an address, even
// with every obsolete RFC 5322 form (rfc5322.go), is still matched: its raw
// text is reduced to address-shaped keys — comments, quotes, white space and
// controls removed, lower-cased, Unicode mapped as IDNA maps it but without
// IDNA's checks (underscores, labels over 63 characters, empty labels, stray
// dots stay readable) — and every key is matched like an address: exactly
// against address entries, and on label boundaries against domain entries
// (lisa@x..mail_gw.hr-partner.example. is at hr-partner.example, and so is
// lisa@hr-partner.example\x00; hr-partner.example.com and
// nothr-partner.example are not).
//
// Text that can be read more than one way yields the keys of every reading,
// because a reading that hides a listed address must not win: with comments
// dropped or kept as text, with white space dropped ("lisa . m @ x") or
// separating words ("Lisa lisa@x"), and with each '@' of "a@b@x" taken as
// the separator. Keys only ever add matches.
//
// # Where "too broken" begins
//
// A participant is unreadable — the email is not logged, with reason
// unreadable_participant naming the header and its text — when its text,
// read with white space and comments dropped, does not name, for every '@'
// in it, a local part and a domain of at least two labels that is a name:
//
//   - no '@' at all ("Lisa", "undisclosed recipients" without the group
//     colon, "<>"): it names nobody we can check;
//   - an empty local part ("@hr-partner.example") or domain ("lisa@");
//   - a single-label domain ("lisa@hr-partner", "root@localhost"): mail
//     systems complete such names themselves, to anything;
//   - an address literal or a numeric host ("lisa@[192.0.2.1]",
//     "lisa@192.0.2.1"): it names a machine, not a domain an entry could;
//   - more than maxLenientPieces '@', more than maxLenientKeys readings, a
//     domain longer than DNS allows (253 bytes) or an address longer than
//     maxLenientKey bytes: past any real address, and an index must stay
//     bounded.
//
// Everything else is readable enough: its keys are matched, and when none
// is on a list the email may be logged, but the participant never becomes a
// contact. The bias is to fail closed: a participant that is merely odd
// (underscores, long or empty labels, NUL bytes, stray dots) is matched,
// and one whose domain cannot be told is refused.

// lenientProfile maps text as IDNA's lookup profile does — case folding,
// width and compatibility forms to plain letters, ignorable characters
// dropped, ideographic full stops to '.' — and checks nothing.
var lenientProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.ValidateLabels(false),
	idna.CheckHyphens(false),
	idna.CheckJoiners(false),
	idna.VerifyDNSLength(false),
)

const (
	// maxLenientPieces bounds the '@'-separated pieces of one participant.
	maxLenientPieces = 64
	// maxLenientKeys bounds the keys of one participant, and with them what
	// the purge index records for it.
	maxLenientKeys = 4 * maxLenientPieces
	// maxLenientKey bounds one lenient key in bytes: local parts longer
	// than RFC 5321's 64 bytes are accepted by some servers.
	maxLenientKey = 1024
	// maxLenientDomain is the longest domain DNS can resolve; a longer one
	// names nothing a server could deliver to (and its suffixes would grow
	// the index quadratically).
	maxLenientDomain = 253
)

// lenientRead is the lenient reading of one participant's text.
type lenientRead struct {
	keys []string // local@domain, local possibly empty; deduplicated
	// why is "" when the text is readable enough, else what is too broken.
	why string
}

// readLenient reads text that is not an address the strict way.
func readLenient(text string) lenientRead {
	text = strings.ToValidUTF8(text, "\uFFFD")
	var out lenientRead
	// Reading A — comments and white space dropped — is the one the
	// participant must be readable in; B and C only add keys.
	if strings.Count(text, "@") > maxLenientPieces {
		// Cheap to refuse before reading: no real participant holds that
		// many, and the keys of each reading would multiply.
		out.why = fmt.Sprintf("it holds more than %d '@'", maxLenientPieces)
		return out
	}
	for view := range 3 {
		segs := lenientSegments(text, view != 0, view == 2)
		if view == 0 {
			// Characters IDNA maps to '@' count too.
			ats := 0
			for _, seg := range segs {
				ats += strings.Count(seg, "@")
			}
			if ats > maxLenientPieces {
				out.why = fmt.Sprintf("it holds more than %d '@'", maxLenientPieces)
				return out
			}
		}
		for _, seg := range segs {
			if !strings.Contains(seg, "@") {
				continue
			}
			pieces := strings.Split(seg, "@")
			for i := 1; i < len(pieces); i++ {
				why := out.addPiece(pieces[i-1], strings.Join(pieces[:i], "@"), pieces[i])
				if view == 0 && why != "" {
					out.setWhy("%s", why)
				}
			}
		}
	}
	switch {
	case len(out.keys) == 0 && out.why == "":
		out.why = "it holds no address"
	case len(out.keys) > maxLenientKeys && out.why == "":
		out.why = "it can be read in too many ways"
	}
	return out
}

func (l *lenientRead) setWhy(format string, args ...any) {
	if l.why == "" {
		l.why = fmt.Sprintf(format, args...)
	}
}

// addPiece adds the keys of one '@': local is the text since the previous
// '@', whole the text since the start of the segment (a quoted local part
// may hold an '@'), domain the text up to the next '@'. It returns what is
// too broken about the piece, or "".
func (l *lenientRead) addPiece(local, whole, domain string) string {
	d, why := lenientDomain(domain)
	locals := lenientLocals(local, d)
	if whole != local {
		locals = append(locals, lenientLocals(whole, d)...)
	}
	for _, lp := range locals {
		if d != "" && lp != "" {
			if len(lp)+1+len(d) > maxLenientKey {
				if why == "" {
					why = "an address in it is longer than any real one"
				}
				continue
			}
			l.add(lp + "@" + d)
		}
	}
	if d != "" {
		l.add("@" + d) // matches domain entries even when the local part is lost
	}
	switch {
	case why != "":
		return why
	case local == "":
		return "a local part before '@' is empty"
	}
	return ""
}

func (l *lenientRead) add(key string) {
	if !slices.Contains(l.keys, key) {
		l.keys = append(l.keys, key)
	}
}

// lenientDomain is a domain's lenient key: mapped, empty labels dropped,
// non-ASCII labels in punycode. why says what makes it unreadable.
func lenientDomain(s string) (string, string) {
	m, _ := lenientProfile.ToUnicode(s) // best effort: its errors are its checks
	var b strings.Builder
	labels := 0
	last := ""
	for label := range strings.SplitSeq(m, ".") {
		if label == "" {
			continue
		}
		if !isASCII(label) {
			a, err := idna.Punycode.ToASCII(label)
			if err != nil || a == "" {
				return "", "a label of the domain " + quoteText(s) + " cannot be written in ASCII"
			}
			label = a
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(label)
		labels++
		last = label
	}
	d := canonicalDomain(b.String())
	switch {
	case len(d) > maxLenientDomain:
		// Still matched (the List beats unreadable), never indexed.
		return d, "the domain " + quoteText(s) + " is longer than any DNS can resolve"
	case labels == 0:
		return "", "the domain after '@' is empty"
	case labels == 1:
		return d, "the domain " + quoteText(s) + " has a single label; mail systems complete such names themselves"
	case strings.Trim(last, "0123456789") == "":
		return d, "the domain " + quoteText(s) + " is a numeric host, not a name"
	}
	return d, ""
}

// lenientLocals are the keys a local part may have: normalized as
// normalizeParts does (lower case, NFC, +tag, gmail dots), both as written
// and as IDNA maps it.
func lenientLocals(s, domain string) []string {
	if s == "" {
		return nil
	}
	plain := lenientLocal(s, domain)
	m, _ := lenientProfile.ToUnicode(s)
	if mapped := lenientLocal(m, domain); mapped != plain && mapped != "" {
		if plain == "" {
			return []string{mapped}
		}
		return []string{plain, mapped}
	}
	if plain == "" {
		return nil
	}
	return []string{plain}
}

func lenientLocal(s, domain string) string {
	s = norm.NFC.String(strings.ToLower(norm.NFC.String(s)))
	if i := strings.IndexByte(s, '+'); i > 0 {
		s = s[:i]
	}
	if domain == "gmail.com" {
		s = strings.ReplaceAll(s, ".", "")
	}
	if s == "" {
		return ""
	}
	return quoteLocal(s)
}

// lenientSegments splits text at everything that separates addresses
// ('<' '>' ',' ';' ':' '[' ']', unbalanced parentheses, and white space when
// spaceSeparates) after dropping quotes, backslashes, controls, characters
// IDNA ignores and, unless keepComments, balanced comments (with
// keepComments their parentheses separate instead). Characters IDNA maps to
// '@' or to a separator count as one; every other character is kept as
// written.
func lenientSegments(text string, spaceSeparates, keepComments bool) []string {
	// Which parentheses balance: a '(' is a comment only if closed.
	var comment []bool
	if !keepComments && strings.ContainsAny(text, "()") {
		comment = balancedParens(text)
	}
	var segs []string
	var b strings.Builder
	cut := func() {
		if b.Len() > 0 {
			segs = append(segs, b.String())
			b.Reset()
		}
	}
	depth := 0
	for i, r := range text {
		class := lenientClass(r)
		if comment != nil {
			switch {
			case class == '(' && comment[i]:
				depth++
				continue
			case class == ')' && depth > 0:
				depth--
				continue
			case depth > 0:
				continue
			}
		}
		switch class {
		case 0:
			b.WriteRune(r)
		case '@':
			b.WriteByte('@')
		case ' ':
			if spaceSeparates {
				cut()
			}
		case '"', '\\', 'x':
			// dropped
		default:
			cut()
		}
	}
	cut()
	return segs
}

// balancedParens marks, by byte offset, each '(' (or character IDNA maps to
// one) that a later ')' closes, nesting included.
func balancedParens(text string) []bool {
	marks := make([]bool, len(text))
	var open []int
	for i, r := range text {
		switch lenientClass(r) {
		case '(':
			open = append(open, i)
		case ')':
			if n := len(open); n > 0 {
				marks[open[n-1]] = true
				open = open[:n-1]
			}
		}
	}
	return marks
}

// lenientClass is what a character is to the lenient reading: 0 text, '@',
// ' ' white space or control, '"' or '\\' dropped, 'x' dropped (characters
// IDNA ignores), '(' ')' comment delimiters, or ',' a separator.
func lenientClass(r rune) byte {
	if r < utf8.RuneSelf {
		switch c := byte(r); {
		case c == '@', c == '"', c == '\\', c == '(', c == ')':
			return c
		case c <= ' ' || c == 0x7f:
			// White space, and controls: they are dropped in one reading
			// ("lisa@hr\x00-partner.example") and separate in the other
			// ("a@x.com\x0bb@y.com").
			return ' '
		case strings.IndexByte("<>,;:[]", c) >= 0:
			return ','
		}
		return 0
	}
	if unicode.IsControl(r) || unicode.IsSpace(r) {
		return ' '
	}
	if unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d' {
		return 'x' // format characters (zero-width space, soft hyphen) IDNA ignores
	}
	m, _ := lenientProfile.ToUnicode(string(r))
	switch {
	case m == "":
		return 'x'
	case len(m) == 1 && m[0] < utf8.RuneSelf:
		if c := lenientClass(rune(m[0])); c != 0 {
			return c
		}
	}
	return 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// quoteText quotes s for a message, cut to a readable length.
func quoteText(s string) string {
	if len(s) > 80 {
		cut := 80
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}
