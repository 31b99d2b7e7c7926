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
)

// header gives decoded access to a message header, case-insensitively.
type header struct {
	fields map[string][]string // lower-case name → raw values
	dec    *mime.WordDecoder
	warn   func(string, ...any)
}

func newHeader(h textproto.MIMEHeader, warn func(string, ...any)) *header {
	hd := &header{fields: map[string][]string{}, warn: warn}
	for k, vs := range h {
		k = strings.ToLower(k)
		hd.fields[k] = append(hd.fields[k], vs...)
	}
	hd.dec = &mime.WordDecoder{CharsetReader: hd.charsetReader}
	return hd
}

func (h *header) hasAny(names ...string) bool {
	for _, n := range names {
		if len(h.fields[strings.ToLower(n)]) > 0 {
			return true
		}
	}
	return false
}

// raw is the first value of a field, unfolded, as valid UTF-8 (raw 8-bit
// bytes are read as Windows-1252, the usual culprit).
func (h *header) raw(name string) string {
	vs := h.fields[strings.ToLower(name)]
	if len(vs) == 0 {
		return ""
	}
	return h.clean(name, vs[0])
}

func (h *header) clean(name, v string) string {
	v = validUTF8(v, func() { h.warn("the %s header has 8-bit bytes that are not UTF-8; read as Windows-1252", name) })
	return strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// text is an unstructured field (Subject) with its encoded words decoded.
func (h *header) text(name string) string {
	v := h.raw(name)
	if !strings.Contains(v, "=?") {
		return strings.TrimSpace(v)
	}
	out, err := h.dec.DecodeHeader(v)
	if err != nil {
		h.warn("the %s header could not be decoded: %v", name, err)
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(stripControls(out))
}

// addresses is an address field (all occurrences joined with ", ") with
// encoded words decoded so that the result still parses as an address list.
func (h *header) addresses(name string) string {
	var parts []string
	for _, v := range h.fields[strings.ToLower(name)] {
		v = strings.TrimSpace(h.decodeAddressList(h.clean(name, v)))
		if v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ", ")
}

// encodedWords matches a run of RFC 2047 encoded words separated only by
// white space (which the RFC says to drop between words).
var encodedWords = regexp.MustCompile(`^=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=(?:[ \t]+=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)*`)

// decodeAddressList decodes encoded words in an address list. A decoded
// display name such as "Keller, Beat" would otherwise split into two bogus
// addresses, so words decoded outside a quoted string are quoted when they
// contain specials, and words inside one are escaped.
func (h *header) decodeAddressList(s string) string {
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
				dec = strings.Join(strings.Fields(stripControls(dec)), " ")
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

// stripControls drops control characters a decoded word may smuggle into a
// one-line header (tabs become spaces).
func stripControls(s string) string {
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

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func bufioReader(raw []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(raw)) }

// discardErrors is an enmime.ErrorCollector for the header-only fallback,
// whose problems the failed full parse already implies.
type discardErrors struct{}

func (discardErrors) AddError(string, string, ...any)   {}
func (discardErrors) AddWarning(string, string, ...any) {}
