// Package policy holds Discreet's rules as pure functions of data: address
// normalization, the Never Log matcher, the log decision and the access
// check. It does no I/O and imports nothing from store, gateway or Google.
package policy

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"

	"github.com/discreet-crm/discreet"
)

// idnaProfile maps Unicode domains to punycode with the lookup rules
// (lower-case mapping, STD3 letters-digits-hyphen labels).
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
	idna.Transitional(false),
)

// NormalizeDomain trims, lower-cases and converts a domain to its ASCII
// (punycode) form, rejecting anything that is not a host name of at least
// two labels.
func NormalizeDomain(d string) (string, error) {
	a, err := normalizeHostName(d)
	if err != nil {
		return "", err
	}
	if strings.Trim(a[strings.LastIndexByte(a, '.')+1:], "0123456789") == "" {
		// A numeric top label is an IP address written without brackets:
		// it names a machine, not a domain.
		return "", fmt.Errorf("the domain %q is a numeric host, not a name", strings.TrimSpace(d))
	}
	return a, nil
}

// normalizeHostName is NormalizeDomain without its refusal of a numeric
// top label, as domains were normalized before it (contentSpec).
func normalizeHostName(d string) (string, error) {
	d = strings.TrimSpace(d)
	d = strings.TrimSuffix(d, ".") // the root label of a fully qualified name
	if d == "" {
		return "", errors.New("the domain is empty")
	}
	if strings.IndexFunc(d, unicode.IsSpace) >= 0 {
		return "", fmt.Errorf("the domain %q contains a space", d)
	}
	if strings.HasPrefix(d, "[") {
		return "", fmt.Errorf("the domain %q is an address literal, not a name", d)
	}
	if ldhHostName(d) {
		return d, nil
	}
	if !utf8.ValidString(d) {
		return "", fmt.Errorf("the domain %q is not valid UTF-8", d)
	}
	a, err := idnaProfile.ToASCII(d)
	if err != nil || a == "" || strings.HasSuffix(a, ".") {
		return "", fmt.Errorf("the domain %q has a bad label", d)
	}
	// The result must be a fixed point, or a normalized address would not
	// normalize to itself.
	if again, err := idnaProfile.ToASCII(a); err != nil || again != a {
		return "", fmt.Errorf("the domain %q has a bad label", d)
	}
	if !strings.Contains(a, ".") {
		return "", fmt.Errorf("the domain %q needs at least two labels, like example.com", d)
	}
	return a, nil
}

// ldhHostName reports whether d is already what idnaProfile makes of it:
// two or more labels of lower-case letters, digits and inner hyphens, none
// empty or longer than 63, no "--" at the third and fourth place (where
// punycode's "xn--" goes), at most 253 bytes. That is nearly every domain
// mail carries, and the two ToASCII calls it saves were four per cent of
// the instructions of logging an email. FuzzLDHHostName holds it to ToASCII.
func ldhHostName(d string) bool {
	if len(d) > 253 {
		return false
	}
	labels, start := 0, 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
			continue
		}
		l := d[start:i]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' || len(l) >= 4 && l[2] == '-' && l[3] == '-' {
			return false
		}
		labels++
		start = i + 1
	}
	return labels >= 2
}

// canonicalDomain folds domains that are one mailbox namespace:
// googlemail.com is gmail.com.
func canonicalDomain(d string) string {
	if d == "googlemail.com" {
		return "gmail.com"
	}
	return d
}

// NormalizeAddress returns the canonical form of an email address: display
// name, comments and angle brackets dropped, lower case, domain in punycode,
// +tag stripped, and for gmail.com/googlemail.com the dots of the local part
// removed and the domain gmail.com. A local part that is not a dot-atom
// comes back quoted, so the result normalizes to itself.
func NormalizeAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("the address is empty")
	}
	if !strings.ContainsAny(s, "<>\"()") {
		return normalizeBare(s)
	}
	mb, err := readMailbox(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an email address (%s)", s, err)
	}
	if strings.Contains(mb.local, "@") {
		// RFC 5322 allows a quoted '@', but a pattern or an address typed
		// with two is far more likely a mistake (PRODUCT.md rejects them).
		return "", fmt.Errorf("%q has more than one '@'", s)
	}
	return normalizeParts(mb.local, mb.domain)
}

// normalizeBare normalizes local@domain written without quotes, brackets or
// comments, saying precisely what is wrong with it.
func normalizeBare(s string) (string, error) {
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return "", fmt.Errorf("%q contains a space", s)
	}
	switch strings.Count(s, "@") {
	case 0:
		return "", fmt.Errorf("%q has no '@'", s)
	case 1:
	default:
		return "", fmt.Errorf("%q has more than one '@'", s)
	}
	local := s[:strings.IndexByte(s, '@')]
	if local != "" && !isDotAtom(local) {
		return "", fmt.Errorf("%q: the local part %q may hold only letters, digits, single dots between them and !#$%%&'*+-/=?^_`{|}~", s, local)
	}
	return normalizeSpec(s)
}

// normalizeSpec normalizes local@domain written without quotes.
func normalizeSpec(spec string) (string, error) {
	at := strings.LastIndexByte(spec, '@')
	if at < 0 {
		return "", fmt.Errorf("%q has no '@'", spec)
	}
	if strings.Contains(spec[:at], "@") {
		return "", fmt.Errorf("%q has more than one '@'", spec)
	}
	return normalizeParts(spec[:at], spec[at+1:])
}

// normalizeParts normalizes an address given as its local part (unquoted,
// so it may hold any character a quoted string can) and its domain. The
// local part is compared in NFC, so a decomposed "ü" is the same mailbox
// as a composed one.
func normalizeParts(local, domain string) (string, error) {
	spec := local + "@" + domain
	switch {
	case local == "":
		return "", fmt.Errorf("%q has an empty local part", spec)
	case domain == "":
		return "", fmt.Errorf("%q has an empty domain", spec)
	case !utf8.ValidString(local):
		return "", fmt.Errorf("%q is not valid UTF-8", spec)
	case strings.IndexFunc(local, unicode.IsSpace) >= 0:
		return "", fmt.Errorf("%q contains a space", spec)
	case strings.IndexFunc(local, unicode.IsControl) >= 0:
		return "", fmt.Errorf("%q contains a control character", spec)
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return "", fmt.Errorf("%q: %w", spec, err)
	}
	d = canonicalDomain(d)
	if !isASCII(local) {
		local = norm.NFC.String(strings.ToLower(norm.NFC.String(local)))
	} else {
		local = strings.ToLower(local)
	}
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

// quoteLocal re-quotes a local part that is not a dot-atom, so a normalized
// address parses back to itself.
func quoteLocal(local string) string {
	if isDotAtom(local) {
		return local
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range local {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// isDotAtom reports whether s is an RFC 5322 dot-atom (RFC 6532: UTF-8
// letters allowed), the form a local part takes without quotes.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r >= utf8.RuneSelf {
			if unicode.IsSpace(r) || unicode.IsControl(r) {
				return false
			}
			continue
		}
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			continue
		}
		if !strings.ContainsRune(".!#$%&'*+-/=?^_`{|}~", r) {
			return false
		}
	}
	return true
}

// DomainOf is the domain part of a normalized address.
func DomainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}

// Participant is one address named in a header of a message.
type Participant struct {
	Field string `json:"field"` // from, sender, reply-to, to, cc, bcc, resent-from, …
	// Raw is the participant's text as the header has it (encoded words
	// decoded).
	Raw string `json:"raw"`
	// Address is the normalized address when Raw reads as one (RFC 5322,
	// obsolete forms included); "" otherwise.
	Address string `json:"address"`
	// Err says why Raw is not a readable address; nil when Address is set.
	Err error `json:"-"`
	// Lenient are the lenient keys of a participant without Address
	// (lenient.go): "local@domain" (local may be empty) for every way its
	// text can be read. The Never Log List is matched against them and
	// the purge index records them.
	Lenient []string `json:"-"`
	// Unreadable says the participant is too broken to match at all; the
	// email is then not logged (unreadable_participant).
	Unreadable bool `json:"-"`
}

// ParticipantFields are the header fields whose addresses are participants
// of an email (PRODUCT.md). Delivered-To, X-Original-To and Return-Path are
// not: they name the rep's own mailbox or a bounce path. Resent-Bcc is not
// in PRODUCT.md's list but names a recipient as Bcc does: left out, a
// listed address there was logged, so it is read (fail closed).
var ParticipantFields = []string{
	"From", "Sender", "Reply-To", "To", "Cc", "Bcc",
	"Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Bcc",
	"Mail-Followup-To", "Mail-Reply-To",
}

// ParseAddressList parses one header's address list. Every form RFC 5322
// allows is read as what it is (display names, comments and folding white
// space anywhere, quoted and obsolete local parts, obsolete domains and
// routes, groups). A list that cannot be read whole is split and read item
// by item, so one bad item never hides the others, and an item that cannot
// be read at all becomes a participant with Err set and its lenient keys,
// so the Never Log List is still checked against it.
func ParseAddressList(field, header string) []Participant {
	if strings.TrimSpace(header) == "" {
		return nil
	}
	list, whole := readAddressList(header)
	if whole == nil {
		out := make([]Participant, 0, len(list))
		for _, mb := range list {
			out = append(out, participant(field, mb))
		}
		return out
	}
	var out []Participant
	for _, item := range splitAddressList(header) {
		if item == "" {
			continue
		}
		list, err := readAddressList(item)
		if err != nil {
			out = append(out, lenientParticipant(field, item, fmt.Errorf("%q is not an email address (%s)", item, err)))
			continue
		}
		for _, mb := range list {
			out = append(out, participant(field, mb))
		}
	}
	if len(out) == 0 && strings.ContainsFunc(header, func(r rune) bool { return r > ' ' && !strings.ContainsRune(",;:", r) }) {
		// Nothing but group names and separators, yet not well formed:
		// say so rather than return nothing.
		h := strings.TrimSpace(header)
		out = append(out, lenientParticipant(field, h, fmt.Errorf("%q is not an address list (%s)", h, whole)))
	}
	return out
}

// participant is a mailbox the RFC 5322 reader read; when its address does
// not normalize (a bad domain label, a control character) it is matched
// leniently like any unreadable text.
func participant(field string, mb mailbox) Participant {
	addr, err := normalizeParts(mb.local, mb.domain)
	if err != nil {
		return lenientParticipant(field, mb.raw, err)
	}
	return Participant{Field: field, Raw: mb.raw, Address: addr}
}

// lenientParticipant is a participant that does not read as an address.
func lenientParticipant(field, text string, err error) Participant {
	l := readLenient(text)
	p := Participant{Field: field, Raw: text, Err: err, Lenient: l.keys}
	if l.why != "" {
		p.Unreadable = true
		p.Err = fmt.Errorf("%w; it cannot be checked against the Never Log List: %s", err, l.why)
	}
	return p
}

// splitAddressList splits on commas and semicolons outside quotes, angle
// brackets and comments, and drops group names ("Team:"), so the members of
// a group are read as items of their own.
func splitAddressList(s string) []string {
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
		case c == ':' && isASCII(s[start:i]) && !strings.Contains(s[start:i], "@"):
			// A group name is a phrase: it holds no address, so nothing is
			// lost by dropping it. (Non-ASCII text may hold a fullwidth
			// '@'; it stays, for the lenient match.)
			start = i + 1
		case c == ',' || c == ';':
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// Participants parses every participant field of a message's header. get
// returns a header's value ("" when absent).
func Participants(get func(field string) string) []Participant {
	var out []Participant
	for _, f := range ParticipantFields {
		out = append(out, ParseAddressList(strings.ToLower(f), get(f))...)
	}
	return out
}

// invalid wraps a parse problem as the domain's invalid_argument error.
func invalid(format string, args ...any) error {
	return discreet.Errorf(discreet.EInvalid, format, args...)
}
