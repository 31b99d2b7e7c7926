package policy

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ContentAddress is one address of a From, To or Cc header as an email's
// identity reads it (ContentAddresses).
type ContentAddress struct {
	// Text is the normalized address, else the best address found in the
	// participant's text, else that text.
	Text string
	// WellFormed says Text is the participant's own normalized address;
	// emails logged before content fingerprints stored only these in To
	// and Cc (LegacyContent).
	WellFormed bool
}

// ContentAddresses reads one From, To or Cc header value (encoded words
// decoded) for Content and LegacyContent.
//
// This reading is frozen: every stored email id derives from it (through
// Content.Fingerprint), so changing what it returns for any header makes
// the next copy of an email already logged a second record. It is the
// reading the service had when ids were first keyed on content — net/mail,
// an item-by-item split of what net/mail refuses and the addresses
// salvaged from malformed items — and is deliberately not the Never Log
// reading (ParseAddressList), which must keep growing to fail closed.
// The two agree on every address net/mail reads, but for a decomposed
// local part (here as written; Fingerprint applies NFC to the whole) and a
// numeric top label (an address here, unreadable to the Never Log).
func ContentAddresses(header string) []ContentAddress {
	if out, ok := contentPlain(header); ok {
		return out
	}
	return contentRead(header)
}

// contentPlain reads the usual header — ASCII addresses "local@domain",
// "Display Name <local@domain>" or "\"Name, Display\" <local@domain>",
// separated by commas — without net/mail's cost, and says ok only when the
// result is what contentRead gives (FuzzContentAddresses holds it to
// that); anything else is not ok.
func contentPlain(header string) (out []ContentAddress, ok bool) {
	for i := 0; i < len(header); i++ {
		c := header[i]
		if c >= utf8.RuneSelf || c < ' ' && c != '\t' || c == 0x7f || strings.IndexByte("()[]\\;:", c) >= 0 {
			return nil, false
		}
	}
	out = make([]ContentAddress, 0, strings.Count(header, "@"))
	for rest, more := header, true; more; {
		rest = strings.TrimLeft(rest, " \t")
		if strings.HasPrefix(rest, `"`) { // a quoted display name, which may hold commas
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, false
			}
			if rest = strings.TrimLeft(rest[end+2:], " \t"); !strings.HasPrefix(rest, "<") {
				return nil, false
			}
		}
		var item string
		item, rest, more = strings.Cut(rest, ",")
		item = strings.TrimRight(item, " \t")
		if strings.IndexByte(item, '"') >= 0 {
			return nil, false
		}
		spec := item
		if lt := strings.IndexByte(item, '<'); lt >= 0 {
			if !strings.HasSuffix(item, ">") || strings.Count(item, "<") != 1 || strings.Count(item, ">") != 1 {
				return nil, false
			}
			for w := range strings.FieldsSeq(item[:lt]) {
				if !isDotAtom(w) || strings.ContainsAny(w, ".@") || strings.Contains(w, "=?") { // net/mail decodes encoded words
					return nil, false
				}
			}
			spec = item[lt+1 : len(item)-1]
		}
		at := strings.IndexByte(spec, '@')
		if at < 0 || !isDotAtom(spec[:at]) || !isDotAtom(spec[at+1:]) {
			return nil, false // "@" twice, white space, an empty item: contentRead
		}
		addr, err := contentSpec(spec)
		if err != nil {
			return nil, false
		}
		out = append(out, ContentAddress{Text: addr, WellFormed: true})
	}
	return out, true
}

// contentRead is the reading itself, for any header.
func contentRead(header string) []ContentAddress {
	if strings.TrimSpace(header) == "" {
		return nil
	}
	list, whole := mail.ParseAddressList(header)
	if whole == nil {
		out := make([]ContentAddress, 0, len(list))
		for _, a := range list {
			out = append(out, contentAddress(a, a.Address))
		}
		return out
	}
	var out []ContentAddress
	for _, item := range contentSplit(header) {
		if item == "" {
			continue
		}
		if a, err := mail.ParseAddress(item); err == nil {
			out = append(out, contentAddress(text(item), a.Address))
			continue
		}
		out = append(out, contentMalformed(item)...)
	}
	if len(out) == 0 {
		out = contentMalformed(strings.TrimSpace(header))
	}
	return out
}

// contentAddress is the address net/mail read as spec; raw is the text it
// came from (a string, or the *mail.Address whose String is that text,
// formatted only when needed).
func contentAddress(raw fmt.Stringer, spec string) ContentAddress {
	addr, err := contentSpec(spec)
	if err != nil {
		if s := contentSalvage(spec); len(s) > 0 {
			return ContentAddress{Text: s[0]}
		}
		return ContentAddress{Text: raw.String()}
	}
	return ContentAddress{Text: addr, WellFormed: true}
}

// text is a string as a fmt.Stringer.
type text string

func (t text) String() string { return string(t) }

// contentMalformed is every address salvaged from an item net/mail cannot
// read, else the item itself.
func contentMalformed(item string) []ContentAddress {
	addrs := contentSalvage(item)
	if len(addrs) == 0 {
		return []ContentAddress{{Text: item}}
	}
	out := make([]ContentAddress, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, ContentAddress{Text: a})
	}
	return out
}

// contentSalvage finds everything shaped like local@domain in s.
func contentSalvage(s string) []string {
	var out []string
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("<>()[],;:\"'", r)
	}) {
		i := strings.LastIndexByte(tok, '@')
		if i <= 0 || i == len(tok)-1 {
			continue
		}
		local := tok[:i]
		if j := strings.LastIndexByte(local, '@'); j >= 0 {
			local = local[j+1:]
		}
		if local == "" {
			continue
		}
		if addr, err := contentSpec(local + "@" + tok[i+1:]); err == nil && !slices.Contains(out, addr) {
			out = append(out, addr)
		}
	}
	return out
}

// contentSplit splits on commas and semicolons outside quotes, angle
// brackets and comments, and drops group names. It is splitAddressList as
// it was when ids were first keyed, kept apart on purpose: that one may
// change to read more, this one may not (every stored id depends on it).
func contentSplit(s string) []string {
	var out []string
	var quoted, escaped bool
	angle, paren := 0, 0
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case quoted:
			if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
		case c == '(':
			paren++
		case c == ')' && paren > 0:
			paren--
		case paren > 0:
		case c == '<':
			angle++
		case c == '>' && angle > 0:
			angle--
		case angle > 0:
		case c == ':' && !strings.Contains(s[start:i], "@"):
			start = i + 1
		case c == ',' || c == ';':
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// contentSpec normalizes local@domain (local unquoted) as addresses were
// normalized when ids were first keyed on content: like normalizeParts,
// but the local part is lower-cased without NFC (Fingerprint applies NFC
// to the whole) and a numeric top label is accepted.
func contentSpec(spec string) (string, error) {
	at := strings.LastIndexByte(spec, '@')
	if at < 0 {
		return "", fmt.Errorf("%q has no '@'", spec)
	}
	local, domain := spec[:at], spec[at+1:]
	switch {
	case local == "", domain == "", strings.Contains(local, "@"), !utf8.ValidString(local),
		strings.IndexFunc(local, unicode.IsSpace) >= 0, strings.IndexFunc(local, unicode.IsControl) >= 0:
		return "", fmt.Errorf("%q is not an address", spec)
	}
	d, err := normalizeHostName(domain)
	if err != nil {
		return "", err
	}
	d = canonicalDomain(d)
	local = strings.ToLower(local)
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if d == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
		if local == "" {
			return "", fmt.Errorf("%q has an empty local part", spec)
		}
	}
	return quoteLocal(local) + "@" + d, nil
}
