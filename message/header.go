package message

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/discreet-crm/discreet/policy"
)

// header gives decoded access to a message header, case-insensitively.
type header struct {
	fields map[string][]string // lower-case name → raw values
	// parsed are the participant fields as net/textproto read them, which
	// an email's identity reads (contentList).
	parsed map[string][]string
	dec    *mime.WordDecoder
	warn   func(string, ...any)
}

// newHeader reads the fields enmime parsed, with the participant fields
// replaced by those scanParticipantFields reads from raw itself.
func newHeader(h textproto.MIMEHeader, raw []byte, warn func(string, ...any)) *header {
	hd := &header{fields: map[string][]string{}, parsed: map[string][]string{}, warn: warn}
	for k, vs := range h {
		k = lowerName(k)
		if isParticipantField(k) {
			hd.parsed[k] = append(hd.parsed[k], vs...)
			continue
		}
		hd.fields[k] = append(hd.fields[k], vs...)
	}
	for k, vs := range scanParticipantFields(raw) {
		hd.fields[k] = vs
	}
	hd.dec = &mime.WordDecoder{CharsetReader: hd.charsetReader}
	return hd
}

// participantFields are policy.ParticipantFields, lower-cased.
var participantFields = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range policy.ParticipantFields {
		m[strings.ToLower(f)] = true
	}
	return m
}()

func isParticipantField(lower string) bool { return participantFields[lower] }

// lowerNames are the lower-case forms of the field names nearly every
// message carries, as written and as net/textproto canonicalizes them:
// a lookup instead of an allocation per field and per read (25 of an
// ingest's allocations).
var lowerNames = func() map[string]string {
	m := map[string]string{}
	names := append([]string{"Message-ID", "Subject", "Date", "In-Reply-To", "References",
		"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
		"Received", "Return-Path", "Delivered-To", "DKIM-Signature", "ARC-Seal",
		"ARC-Message-Signature", "ARC-Authentication-Results", "Authentication-Results",
		"X-Received", "X-Mailer", "X-Google-Smtp-Source", "X-Gm-Message-State", "Thread-Topic",
		"Thread-Index", "Content-Language", "Accept-Language", "User-Agent"}, policy.ParticipantFields...)
	for _, n := range names {
		l := strings.ToLower(n)
		m[n], m[textproto.CanonicalMIMEHeaderKey(n)], m[l] = l, l, l
	}
	return m
}()

// lowerName is strings.ToLower(name).
func lowerName(name string) string {
	if l, ok := lowerNames[name]; ok {
		return l
	}
	return strings.ToLower(name)
}

// scanParticipantFields reads the participant fields from the header block
// of raw itself. net/textproto, under enmime, drops a field whose name is
// followed by white space or holds a control character ("To\t: …",
// "T\x00o: …"); RFC 5322 allows white space before the colon (obs-optional)
// and a participant must never vanish, so here a field's name is its text
// before the first colon with white space and controls removed, compared
// without case. A line that is neither a field nor a folded continuation is
// folded into the field before it, as enmime does. The header ends at the
// first empty line; a line of white space is a continuation, not the end.
func scanParticipantFields(raw []byte) map[string][]string {
	out := map[string][]string{}
	raw = raw[:headerLen(raw)]
	var name string // the participant field being read; "" for any other
	var val []byte
	flush := func() {
		if name != "" {
			out[name] = append(out[name], strings.TrimSpace(string(val)))
		}
		name, val = "", val[:0]
	}
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		colon := bytes.IndexByte(line, ':')
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') || colon < 0 {
			if name != "" {
				val = append(append(val, ' '), line...)
			}
			continue
		}
		flush()
		if n := fieldName(line[:colon]); isParticipantField(n) {
			name, val = n, append(val, line[colon+1:]...)
		}
	}
	flush()
	return out
}

// fieldName is a field's name with white space and control characters
// removed, lower-cased.
func fieldName(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c <= ' ' || c == 0x7f:
		case 'A' <= c && c <= 'Z':
			out = append(out, c+'a'-'A')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

func (h *header) hasAny(names ...string) bool {
	for _, n := range names {
		if len(h.fields[lowerName(n)]) > 0 {
			return true
		}
	}
	return false
}

// raw is the first value of a field, unfolded, as valid UTF-8 (raw 8-bit
// bytes are read as Windows-1252, the usual culprit).
func (h *header) raw(name string) string {
	vs := h.fields[lowerName(name)]
	if len(vs) == 0 {
		return ""
	}
	return h.clean(name, vs[0])
}

func (h *header) clean(name, v string) string {
	v = validUTF8(v, func() { h.warn("the %s header has 8-bit bytes that are not UTF-8; read as Windows-1252", name) })
	if !strings.ContainsAny(v, "\r\n") {
		return v // what the join below gives, without its copies
	}
	return strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// text is an unstructured field (Subject) with its encoded words decoded
// and control characters stripped (subjects carried terminal escape codes).
func (h *header) text(name string) string {
	v := h.raw(name)
	if !strings.Contains(v, "=?") {
		return strings.TrimSpace(stripControls(v))
	}
	out, err := h.dec.DecodeHeader(v)
	if err != nil {
		h.warn("the %s header could not be decoded: %v", name, err)
		return strings.TrimSpace(stripControls(v))
	}
	return strings.TrimSpace(stripControls(out))
}

// addresses is an address field (all occurrences joined with ", ") with
// encoded words decoded so that the result still parses as an address list.
func (h *header) addresses(name string) string {
	return strings.Join(h.addressLists(name), ", ")
}

// addressLists are the occurrences of an address field, each decoded as
// addresses does. Each is an address list of its own: an unclosed quote or
// bracket in one must not swallow the addresses of the next.
// Control characters become spaces: dropping one could join two addresses
// into one that matches neither ("a@x.com\x0bb@y.com").
func (h *header) addressLists(name string) []string {
	var out []string
	for _, v := range h.fields[lowerName(name)] {
		v = strings.TrimSpace(h.decodeAddressList(controlsToSpace(h.clean(name, v)), controlsToSpace))
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// contentList is a From, To or Cc field as an email's identity reads it,
// frozen with policy.ContentAddresses: the occurrences net/textproto kept,
// joined with ", ", encoded words decoded with C0 controls dropped.
func (h *header) contentList(name string) string {
	var parts []string
	for _, v := range h.parsed[lowerName(name)] {
		if v = strings.TrimSpace(h.decodeAddressList(h.clean(name, v), dropC0Controls)); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ", ")
}

// contentText is the Subject as an email's identity reads it (frozen like
// contentList): controls are kept unless encoded words are decoded, and
// then only C0 controls are dropped; text strips them all.
func (h *header) contentText(name string) string {
	v := h.raw(name)
	if !strings.Contains(v, "=?") {
		return strings.TrimSpace(v)
	}
	out, err := h.dec.DecodeHeader(v)
	if err != nil {
		return strings.TrimSpace(v) // text has warned
	}
	return strings.TrimSpace(dropC0Controls(out))
}

// encodedWords matches a run of RFC 2047 encoded words separated only by
// white space (which the RFC says to drop between words).
var encodedWords = regexp.MustCompile(`^=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=(?:[ \t]+=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)*`)

// decodeAddressList decodes encoded words in an address list. A decoded
// display name such as "Keller, Beat" would otherwise split into two bogus
// addresses, so words decoded outside a quoted string are quoted when they
// contain specials, and words inside one are escaped.
// Controls in a decoded word are handled by controls.
func (h *header) decodeAddressList(s string, controls func(string) string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	var b strings.Builder
	quoted, escaped, comment := false, false, 0
	for i := 0; i < len(s); {
		if !escaped && strings.HasPrefix(s[i:], "=?") {
			if loc := encodedWords.FindStringIndex(s[i:]); loc != nil {
				run := s[i : i+loc[1]]
				dec, err := h.dec.DecodeHeader(run)
				if err != nil {
					h.warn("an encoded word could not be decoded: %v", err)
					dec = run
				}
				// A control character becomes a space, not nothing: deleted,
				// it would join "lisa@hr-partner.example\x00kunde@x" into one
				// address at neither domain.
				dec = strings.Join(strings.Fields(controls(dec)), " ")
				switch {
				case quoted:
					b.WriteString(escape(dec, `"\`))
				case comment > 0:
					b.WriteString(escape(dec, `()\`))
				case strings.ContainsAny(dec, `()<>[]:;@\,."`):
					b.WriteString(`"` + escape(dec, `"\`) + `"`)
				default:
					b.WriteString(dec)
				}
				i += loc[1]
				continue
			}
		}
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case quoted:
			quoted = c != '"'
		case c == '"':
			quoted = true
		case c == '(':
			comment++
		case c == ')' && comment > 0:
			comment--
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

func escape(s, specials string) string {
	if !strings.ContainsAny(s, specials) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(specials, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// charsetReader decodes any charset the WHATWG encoding standard knows
// (mime handles utf-8, us-ascii and iso-8859-1 itself). An unknown name is
// a warning, not a failure: the bytes are read as UTF-8 when they are, else
// as Windows-1252.
func (h *header) charsetReader(name string, input io.Reader) (io.Reader, error) {
	label := strings.ToLower(strings.TrimSpace(name))
	if i := strings.IndexByte(label, '*'); i >= 0 { // RFC 2231 language suffix
		label = label[:i]
	}
	if enc, err := htmlindex.Get(label); err == nil {
		return enc.NewDecoder().Reader(input), nil
	}
	h.warn("unknown charset %q in an encoded word", name)
	b, err := io.ReadAll(input)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(validUTF8(string(b), nil)), nil
}

// validUTF8 returns s when it is valid UTF-8, else s read as Windows-1252
// (a superset of printable ISO-8859-1), calling fallback if not nil.
func validUTF8(s string, fallback func()) string {
	if utf8.ValidString(s) {
		return s
	}
	if fallback != nil {
		fallback()
	}
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

// stripControls drops the C0 and C1 control characters (terminal escape
// codes among them) a header value or a decoded word may smuggle into a
// one-line header; tabs and line breaks become spaces.
func stripControls(s string) string {
	if printableASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return ' '
		case isControl(r):
			return -1
		}
		return r
	}, s)
}

// dropC0Controls drops C0 controls and DEL, tabs and line breaks becoming
// spaces: how identity has always read decoded words (contentList).
func dropC0Controls(s string) string {
	if printableASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

// controlsToSpace turns every C0 and C1 control character into a space.
func controlsToSpace(s string) string {
	if printableASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || 0x7f <= r && r < 0xa0 }

// printableASCII reports whether s is all ASCII from space to '~': no
// control character, nothing the three functions above change. Most
// header values are, and a byte loop is cheaper than strings.Map's call
// per rune.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func bufioReader(raw []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(raw)) }

// discardErrors is an enmime.ErrorCollector for the header-only fallback,
// whose problems the failed full parse already implies.
type discardErrors struct{}

func (discardErrors) AddError(string, string, ...any)   {}
func (discardErrors) AddWarning(string, string, ...any) {}
