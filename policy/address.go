// Package policy holds Discreet's rules as pure functions of data: address
// normalization, the Never Log matcher, the log decision and the access
// check. It does no I/O and imports nothing from store, gateway or Google.
package policy

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

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
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an email address (%s)", s, strings.TrimPrefix(err.Error(), "mail: "))
	}
	return normalizeSpec(a.Address)
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

// normalizeSpec normalizes local@domain as net/mail returns it: the local
// part unquoted, so it may hold any character a quoted string can.
func normalizeSpec(spec string) (string, error) {
	at := strings.LastIndexByte(spec, '@')
	if at < 0 {
		return "", fmt.Errorf("%q has no '@'", spec)
	}
	local, domain := spec[:at], spec[at+1:]
	switch {
	case local == "":
		return "", fmt.Errorf("%q has an empty local part", spec)
	case domain == "":
		return "", fmt.Errorf("%q has an empty domain", spec)
	case strings.Contains(local, "@"):
		return "", fmt.Errorf("%q has more than one '@'", spec)
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
	Field string `json:"field"` // from, sender, reply-to, to, cc, bcc
	Raw   string `json:"raw"`
	// Address is the normalized address; for a malformed participant it is
	// the best address that could be recovered from Raw, or "".
	Address string `json:"address"`
	// Err says why the participant is malformed; nil when it is well formed.
	Err error `json:"-"`
}

// Header fields whose addresses are participants of an email.
var ParticipantFields = []string{"From", "Sender", "Reply-To", "To", "Cc", "Bcc"}

// ParseAddressList parses one header's address list (display names, quoted
// local parts, commas inside quotes, groups, comments). A list that net/mail
// cannot read whole is split and read item by item, so one bad address is
// reported in place and never hides the others. A malformed item yields one
// participant (Err set, Raw kept) per address-shaped text found in it, so
// the Never Log List is checked against all of them; when none is found it
// yields one participant with no Address.
func ParseAddressList(field, header string) []Participant {
	if strings.TrimSpace(header) == "" {
		return nil
	}
	list, whole := mail.ParseAddressList(header)
	if whole == nil {
		out := make([]Participant, 0, len(list))
		for _, a := range list {
			out = append(out, participant(field, a.String(), a.Address))
		}
		return out
	}
	var out []Participant
	for _, item := range splitAddressList(header) {
		if item == "" {
			continue
		}
		a, err := mail.ParseAddress(item)
		if err == nil {
			out = append(out, participant(field, item, a.Address))
			continue
		}
		out = append(out, malformed(field, item, fmt.Errorf("%q is not an email address (%s)", item, strings.TrimPrefix(err.Error(), "mail: ")))...)
	}
	if len(out) == 0 {
		// Only group names and separators, but not well formed ("Team:"):
		// say so rather than return nothing.
		out = malformed(field, strings.TrimSpace(header), fmt.Errorf("%q is not an address list (%s)", header, strings.TrimPrefix(whole.Error(), "mail: ")))
	}
	return out
}

func participant(field, raw, spec string) Participant {
	addr, err := normalizeSpec(spec)
	if err != nil {
		p := Participant{Field: field, Raw: raw, Err: err}
		if s := salvage(spec); len(s) > 0 {
			p.Address = s[0]
		}
		return p
	}
	return Participant{Field: field, Raw: raw, Address: addr}
}

// malformed reports an unreadable item with every address salvaged from it.
func malformed(field, item string, err error) []Participant {
	addrs := salvage(item)
	if len(addrs) == 0 {
		return []Participant{{Field: field, Raw: item, Err: err}}
	}
	out := make([]Participant, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, Participant{Field: field, Raw: item, Address: a, Err: err})
	}
	return out
}

// salvage finds everything shaped like local@domain in a malformed item, so
// the Never Log List is still checked against it.
func salvage(s string) []string {
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
		if addr, err := normalizeSpec(local + "@" + tok[i+1:]); err == nil && !slices.Contains(out, addr) {
			out = append(out, addr)
		}
	}
	return out
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
		case c == ':' && !strings.Contains(s[start:i], "@"):
			// A group name is a phrase: it holds no address, so nothing is
			// lost by dropping it.
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
