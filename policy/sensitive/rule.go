// Package sensitive finds what an org's sensitivity rules look for in an
// email — IBANs, payment card numbers, automated mail and admin keywords —
// and says which rule fired. Rules are compiled once into a Scanner; a scan
// runs every detector in one pass over the subject and the body. It is pure:
// no I/O, nothing from store, gateway or Google.
package sensitive

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/discreet-crm/discreet"
)

// MaxKeyword bounds a keyword's length, in characters.
const MaxKeyword = 100

// ParseRule checks one rule and returns it in canonical form: a keyword
// trimmed, its runs of white space made single spaces, in Unicode NFC. The
// error is a *discreet.Error (invalid_argument) whose Field and message
// name the field at fault.
func ParseRule(r discreet.SensitivityRule) (discreet.SensitivityRule, error) {
	switch {
	case r.Detector == "":
		return r, discreet.FieldError("detector", "is missing; use iban, card, automated or keyword")
	case !r.Detector.Valid():
		return r, discreet.FieldError("detector", "%q is not a detector; use iban, card, automated or keyword", string(r.Detector))
	case r.Action == "":
		return r, discreet.FieldError("action", "is missing; use never_log or private")
	case !r.Action.Valid():
		return r, discreet.FieldError("action", "%q is not an action; use never_log or private", string(r.Action))
	}
	if r.Detector != discreet.DetectorKeyword {
		if strings.TrimSpace(r.Keyword) != "" {
			return r, discreet.FieldError("keyword", "only a keyword rule has one; a %s rule needs none", r.Detector)
		}
		r.Keyword = ""
		return r, nil
	}
	k, err := canonicalKeyword(r.Keyword)
	if err != nil {
		return r, discreet.FieldError("keyword", "%v", err)
	}
	r.Keyword = k
	return r, nil
}

// canonicalKeyword is the form a keyword is stored and matched in.
func canonicalKeyword(k string) (string, error) {
	if !utf8.ValidString(k) {
		return "", fmt.Errorf("is not valid UTF-8")
	}
	// Any white space in a keyword matches any run of white space in the
	// text, so a phrase still matches where a line was wrapped.
	k = strings.Join(strings.Fields(k), " ")
	if k == "" {
		return "", fmt.Errorf("is empty; a keyword rule needs a word or phrase")
	}
	k = norm.NFC.String(k)
	hasWord := false
	for _, r := range k {
		switch {
		case unicode.IsControl(r):
			return "", fmt.Errorf("%q contains a control character (%U)", k, r)
		case unicode.Is(unicode.Cf, r):
			return "", fmt.Errorf("%q contains an invisible character (%U)", k, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			hasWord = true
		}
	}
	if n := utf8.RuneCountInString(k); n > MaxKeyword {
		return "", fmt.Errorf("is %d characters long; at most %d", n, MaxKeyword)
	}
	if !hasWord {
		return "", fmt.Errorf("%q needs at least one letter or digit", k)
	}
	return k, nil
}
