// Package policy holds Discreet's rules as pure functions of data: address
// normalization, the Never Log matcher, the log decision and the access
// check. It does no I/O and imports nothing from store, gateway or Google.
package policy

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"

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
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", errors.New("the domain is empty")
	}
	if strings.ContainsAny(d, " \t\r\n") {
		return "", fmt.Errorf("the domain %q contains a space", d)
	}
	if strings.HasPrefix(d, "[") {
		return "", fmt.Errorf("the domain %q is an address literal, not a name", d)
	}
	a, err := idnaProfile.ToASCII(d)
	if err != nil {
		return "", fmt.Errorf("the domain %q has a bad label", d)
	}
	if !strings.Contains(a, ".") {
		return "", fmt.Errorf("the domain %q needs at least two labels, like example.com", d)
	}
	return a, nil
}

// NormalizeAddress returns the canonical form of an email address: display
// name and angle brackets dropped, lower case, domain in punycode, +tag
// stripped, and for gmail.com/googlemail.com the dots of the local part
// removed and the domain gmail.com.
func NormalizeAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("the address is empty")
	}
	spec := s
	if strings.ContainsAny(s, "<\"(") || strings.Count(s, "@") == 1 && strings.ContainsAny(s, " \t") {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return "", fmt.Errorf("%q is not an email address", s)
		}
		spec = a.Address
	}
	return normalizeSpec(spec)
}

// normalizeSpec normalizes a bare local@domain.
func normalizeSpec(spec string) (string, error) {
	at := strings.LastIndexByte(spec, '@')
	if at < 0 {
		return "", fmt.Errorf("%q has no '@'", spec)
	}
	local, domain := spec[:at], spec[at+1:]
	if strings.Contains(local, "@") && !strings.HasPrefix(local, "\"") {
		return "", fmt.Errorf("%q has more than one '@'", spec)
	}
	if local == "" {
		return "", fmt.Errorf("%q has an empty local part", spec)
	}
	if domain == "" {
		return "", fmt.Errorf("%q has an empty domain", spec)
	}
	if strings.ContainsAny(local, " \t\r\n") && !strings.HasPrefix(local, "\"") {
		return "", fmt.Errorf("%q contains a space", spec)
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return "", fmt.Errorf("%q: %w", spec, err)
	}
	local = strings.ToLower(local)
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if d == "googlemail.com" {
		d = "gmail.com"
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
	if strings.HasPrefix(local, "\"") && strings.HasSuffix(local, "\"") && len(local) > 1 {
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

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r >= 0x80 {
			continue // RFC 6532 UTF-8
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
// reported in place and never hides the others.
func ParseAddressList(field, header string) []Participant {
	if strings.TrimSpace(header) == "" {
		return nil
	}
	if list, err := mail.ParseAddressList(header); err == nil {
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
		if a, err := mail.ParseAddress(item); err == nil {
			out = append(out, participant(field, item, a.Address))
			continue
		}
		if gl, err := mail.ParseAddressList(item); err == nil { // a group
			for _, a := range gl {
				out = append(out, participant(field, a.String(), a.Address))
			}
			continue
		}
		p := Participant{Field: field, Raw: item, Err: fmt.Errorf("%q is not an email address", item)}
		if addr, ok := salvage(item); ok {
			p.Address = addr
		}
		out = append(out, p)
	}
	return out
}

func participant(field, raw, spec string) Participant {
	addr, err := normalizeSpec(spec)
	if err != nil {
		p := Participant{Field: field, Raw: raw, Err: err}
		p.Address, _ = salvage(spec)
		return p
	}
	return Participant{Field: field, Raw: raw, Address: addr}
}

// salvage finds something shaped like local@domain in a malformed item, so
// the Never Log List is still checked against it.
func salvage(s string) (string, bool) {
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune(" \t\r\n<>()[],;:\"'", r)
	}) {
		if i := strings.LastIndexByte(tok, '@'); i > 0 && i < len(tok)-1 {
			local := tok[:i]
			if j := strings.LastIndexByte(local, '@'); j >= 0 {
				local = local[j+1:]
			}
			if local == "" {
				continue
			}
			if addr, err := normalizeSpec(local + "@" + tok[i+1:]); err == nil {
				return addr, true
			}
		}
	}
	return "", false
}

// splitAddressList splits on commas outside quotes, angle brackets,
// comments and groups.
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
		case (c == ',' || c == ';') && angle == 0:
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
