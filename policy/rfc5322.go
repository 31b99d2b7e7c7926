package policy

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// This file reads address lists as RFC 5322 defines them, obsolete forms
// included, because real mail carries them and net/mail refuses most:
// comments and folding white space anywhere between tokens
// ("Lisa <lisa(hr)@hr-partner.example>", "lisa@(c)hr-partner.example"),
// obs-local-part and obs-domain with white space around the dots
// ("lisa . m @ hr-partner.example", "lisa@hr-partner . example"),
// obs-route ("<@relay.example:lisa@hr-partner.example>"), quoted strings
// with quoted-pairs, empty list elements (obs-addr-list) and groups. What it
// reads is what the address is; anything it cannot read goes to the lenient
// match (lenient.go), never away.

// mailbox is one address read from a header: the local part and domain as
// RFC 5322 means them (comments and folding white space gone, quoted
// strings unquoted, obsolete forms joined), and the text it was read from.
type mailbox struct {
	local, domain string
	raw           string
}

// atext marks the bytes of an RFC 5322 atom; bytes of UTF-8 sequences count
// as atext (RFC 6532).
var atext = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-/=?^_`{|}~", byte(c)) >= 0
	}
	return t
}()

var (
	errUnclosedComment = errors.New("a comment is not closed")
	errUnclosedQuote   = errors.New("a quoted string is not closed")
	errUnclosedAngle   = errors.New("'<' is not closed")
	errUnclosedLiteral = errors.New("a domain literal is not closed")
	errLocalPart       = errors.New("the local part is not words separated by single dots")
	errNoDomain        = errors.New("there is no domain after '@'")
	errDomain          = errors.New("the domain is not labels separated by single dots")
	errRoute           = errors.New("the route before the address is malformed")
	errNoAddress       = errors.New("there is no address")
	errEmptyAngle      = errors.New("'<>' holds no address")
	errNoGroupName     = errors.New("a group has no name")
)

// unexpected is an error naming the character the reader stopped at.
type unexpected struct {
	what string
	at   string
}

func (e unexpected) Error() string {
	r, _ := utf8.DecodeRuneInString(e.at)
	if e.at == "" {
		return "the text ends where " + e.what + " should be"
	}
	return "expected " + e.what + ", found " + quoteRune(r)
}

func quoteRune(r rune) string {
	if r < 0x20 || r == 0x7f {
		return "a control character"
	}
	return "'" + string(r) + "'"
}

// reader walks one header value.
type reader struct {
	s string
	i int
	// words holds the words of the phrase being read; reused to spare an
	// allocation per address.
	words [8]string
}

func (r *reader) more() bool { return r.i < len(r.s) }

// skipCFWS skips white space (folding included) and comments.
func (r *reader) skipCFWS() error {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\r', '\n':
			r.i++
		case '(':
			if err := r.skipComment(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// skipComment skips a comment, nested comments and quoted-pairs included.
func (r *reader) skipComment() error {
	depth := 0
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case '\\':
			r.i++
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				r.i++
				return nil
			}
		}
		r.i++
	}
	return errUnclosedComment
}

// quoted reads a quoted string at r.i and returns its content: quoted-pairs
// unescaped, folding line breaks dropped (their white space stays).
func (r *reader) quoted() (string, error) {
	r.i++ // the opening quote
	start := r.i
	plain := true // no escape or line break yet: the content is a substring
	var b strings.Builder
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch c {
		case '"':
			r.i++
			if plain {
				return r.s[start : r.i-1], nil
			}
			return b.String(), nil
		case '\\', '\r', '\n':
			if plain {
				b.WriteString(r.s[start:r.i])
				plain = false
			}
			if c == '\\' {
				if r.i+1 >= len(r.s) {
					return "", errUnclosedQuote
				}
				_, n := utf8.DecodeRuneInString(r.s[r.i+1:])
				b.WriteString(r.s[r.i+1 : r.i+1+n])
				r.i += 1 + n
				continue
			}
		default:
			if !plain {
				b.WriteByte(c)
			}
		}
		r.i++
	}
	return "", errUnclosedQuote
}

// phrase reads words (atoms and quoted strings) and dots with CFWS between
// them, up to the first character that is neither. It reports whether the
// sequence is a local part (word *("." word), which obs-local-part allows
// with CFWS around the dots) and that local part's value.
func (r *reader) phrase() (n int, local string, isLocal bool, err error) {
	words := r.words[:0]
	dots, lastDot := 0, false
	isLocal = true
	// A local part written as one run of atoms and dots is a substring.
	first, last, contiguous := -1, -1, true
	for {
		before := r.i
		if err := r.skipCFWS(); err != nil {
			return 0, "", false, err
		}
		if !r.more() {
			break
		}
		if r.i != before && first >= 0 {
			contiguous = false
		}
		c := r.s[r.i]
		var w string
		switch {
		case c == '.':
			if lastDot || len(words) == 0 {
				isLocal = false
			}
			dots++
			lastDot = true
			r.i++
			continue
		case c == '"':
			contiguous = false
			if w, err = r.quoted(); err != nil {
				return 0, "", false, err
			}
		case atext[c]:
			start := r.i
			for r.i < len(r.s) && atext[r.s[r.i]] {
				r.i++
			}
			w = r.s[start:r.i]
			if first < 0 {
				first = start
			}
		default:
			goto done
		}
		if len(words) > 0 && !lastDot {
			isLocal = false // two words side by side: a display name
		}
		words = append(words, w)
		last = r.i
		lastDot = false
	}
done:
	n = len(words) + dots
	if len(words) == 0 || lastDot {
		isLocal = false
	}
	if isLocal {
		switch {
		case len(words) == 1:
			local = words[0]
		case contiguous && first >= 0:
			local = r.s[first:last]
		default:
			local = strings.Join(words, ".")
		}
	}
	return n, local, isLocal, nil
}

// domain reads a domain after '@': atoms separated by dots with CFWS
// around them (obs-domain), or a domain literal. One trailing dot, the root
// label of a fully qualified name, is kept for NormalizeDomain to drop.
func (r *reader) domain() (string, error) {
	if err := r.skipCFWS(); err != nil {
		return "", err
	}
	if !r.more() {
		return "", errNoDomain
	}
	if r.s[r.i] == '[' {
		start := r.i
		for r.i++; r.i < len(r.s); r.i++ {
			switch r.s[r.i] {
			case '\\':
				r.i++
			case ']':
				r.i++
				return r.s[start:r.i], r.skipCFWS()
			}
		}
		return "", errUnclosedLiteral
	}
	// Written without CFWS the domain is a substring; b is built only once
	// CFWS splits it.
	first := r.i
	var b strings.Builder
	dirty := false
	for {
		start := r.i
		for r.i < len(r.s) && atext[r.s[r.i]] {
			r.i++
		}
		if r.i == start {
			if start == first {
				return "", errNoDomain
			}
			return "", errDomain
		}
		if dirty {
			b.WriteString(r.s[start:r.i])
		}
		end := r.i
		if err := r.skipCFWS(); err != nil {
			return "", err
		}
		if r.i != end && !dirty {
			dirty = true
			b.WriteString(r.s[first:end])
		}
		if !r.more() || r.s[r.i] != '.' {
			if dirty {
				return b.String(), nil
			}
			return r.s[first:end], nil
		}
		r.i++ // '.'
		dot := r.i
		if dirty {
			b.WriteByte('.')
		}
		if err := r.skipCFWS(); err != nil {
			return "", err
		}
		if r.i != dot && !dirty {
			dirty = true
			b.WriteString(r.s[first:dot])
		}
		if !r.more() || !atext[r.s[r.i]] {
			// A trailing dot: the root label.
			if dirty {
				return b.String(), nil
			}
			return r.s[first:dot], nil
		}
	}
}

// angleAddr reads "<" [obs-route] addr-spec ">" at r.i.
func (r *reader) angleAddr() (local, domain string, err error) {
	r.i++ // '<'
	if err := r.skipCFWS(); err != nil {
		return "", "", err
	}
	if r.more() && r.s[r.i] == '>' {
		return "", "", errEmptyAngle
	}
	if r.more() && (r.s[r.i] == '@' || r.s[r.i] == ',') {
		// obs-route: 1#([CFWS] "@" domain) ":" — relays to pass through,
		// not a participant.
		for {
			if err := r.skipCFWS(); err != nil {
				return "", "", err
			}
			if !r.more() {
				return "", "", errRoute
			}
			switch r.s[r.i] {
			case ',':
				r.i++
				continue
			case '@':
				r.i++
				if _, err := r.domain(); err != nil {
					return "", "", errRoute
				}
				continue
			case ':':
				r.i++
			default:
				return "", "", errRoute
			}
			break
		}
	}
	if _, local, isLocal, err := r.phrase(); err != nil {
		return "", "", err
	} else if !r.more() || r.s[r.i] != '@' {
		if !r.more() {
			return "", "", errUnclosedAngle
		}
		return "", "", unexpected{"'@'", r.s[r.i:]}
	} else if !isLocal {
		return "", "", errLocalPart
	} else {
		r.i++
		if domain, err = r.domain(); err != nil {
			return "", "", err
		}
		if !r.more() {
			return "", "", errUnclosedAngle
		}
		if r.s[r.i] != '>' {
			return "", "", unexpected{"'>'", r.s[r.i:]}
		}
		r.i++
		return local, domain, r.skipCFWS()
	}
}

// address reads name-addr or addr-spec at r.i and appends it to out; or,
// when groupOK, a group, whose members it appends.
func (r *reader) address(out []mailbox, groupOK bool) ([]mailbox, error) {
	start := r.i
	if err := r.skipCFWS(); err != nil {
		return out, err
	}
	if !r.more() {
		return out, errNoAddress
	}
	if r.s[r.i] == '<' {
		local, domain, err := r.angleAddr()
		if err != nil {
			return out, err
		}
		return append(out, mailbox{local: local, domain: domain, raw: strings.TrimSpace(r.s[start:r.i])}), nil
	}
	n, local, isLocal, err := r.phrase()
	if err != nil {
		return out, err
	}
	if !r.more() {
		if n == 0 {
			return out, errNoAddress
		}
		return out, unexpected{"an address", ""}
	}
	switch r.s[r.i] {
	case '@':
		if !isLocal {
			return out, errLocalPart
		}
		r.i++
		domain, err := r.domain()
		if err != nil {
			return out, err
		}
		return append(out, mailbox{local: local, domain: domain, raw: strings.TrimSpace(r.s[start:r.i])}), nil
	case '<':
		local, domain, err := r.angleAddr()
		if err != nil {
			return out, err
		}
		return append(out, mailbox{local: local, domain: domain, raw: strings.TrimSpace(r.s[start:r.i])}), nil
	case ':':
		if !groupOK {
			return out, unexpected{"an address", r.s[r.i:]}
		}
		if n == 0 {
			return out, errNoGroupName
		}
		r.i++
		return r.groupList(out)
	}
	if n == 0 {
		return out, unexpected{"an address", r.s[r.i:]}
	}
	return out, unexpected{"'@' or '<'", r.s[r.i:]}
}

// groupList reads the members of a group up to its ';'. A group that the
// header ends without closing is accepted: it lost nothing.
func (r *reader) groupList(out []mailbox) ([]mailbox, error) {
	for {
		if err := r.skipCFWS(); err != nil {
			return out, err
		}
		if !r.more() {
			return out, nil
		}
		switch r.s[r.i] {
		case ';':
			r.i++
			return out, r.skipCFWS()
		case ',':
			r.i++
			continue
		}
		var err error
		if out, err = r.address(out, false); err != nil {
			return out, err
		}
		if err := r.skipCFWS(); err != nil {
			return out, err
		}
		if r.more() && r.s[r.i] != ',' && r.s[r.i] != ';' {
			return out, unexpected{"',' or ';'", r.s[r.i:]}
		}
	}
}

// readAddressList reads a whole header value as an address list; empty
// elements are allowed (obs-addr-list). It fails on the first thing it
// cannot read, and the caller falls back to reading item by item.
func readAddressList(s string) ([]mailbox, error) {
	r := reader{s: s}
	var out []mailbox
	for {
		if err := r.skipCFWS(); err != nil {
			return nil, err
		}
		if !r.more() {
			return out, nil
		}
		if r.s[r.i] == ',' {
			r.i++
			continue
		}
		var err error
		if out, err = r.address(out, true); err != nil {
			return nil, err
		}
		if err := r.skipCFWS(); err != nil {
			return nil, err
		}
		if r.more() && r.s[r.i] != ',' {
			return nil, unexpected{"','", r.s[r.i:]}
		}
	}
}

// readMailbox reads s as exactly one mailbox.
func readMailbox(s string) (mailbox, error) {
	r := reader{s: s}
	out, err := r.address(nil, false)
	if err != nil {
		return mailbox{}, err
	}
	if err := r.skipCFWS(); err != nil {
		return mailbox{}, err
	}
	if r.more() {
		return mailbox{}, unexpected{"the end of the address", r.s[r.i:]}
	}
	return out[0], nil
}
