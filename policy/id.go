package policy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/discreet-crm/discreet"
)

// NormalizeMessageID strips spaces and angle brackets and lower-cases the
// part after the last '@' (a domain), keeping the id's case-sensitive left
// side as sent.
func NormalizeMessageID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimPrefix(id, "<")
	id = strings.TrimSuffix(id, ">")
	id = strings.TrimSpace(id)
	if i := strings.LastIndexByte(id, '@'); i >= 0 {
		id = id[:i+1] + strings.ToLower(id[i+1:])
	}
	return id
}

// Content is what every genuine copy of one email shares beyond its
// Message-ID: the sender's copy, each recipient's copy as Gmail fetches it
// and the same bytes uploaded. Bcc is left out because only the sender's
// copy has it; Reply-To, Sender and Resent-* are left out because mail
// systems add and rewrite them on the way.
type Content struct {
	// From, To and Cc are the normalized addresses of each field (the raw
	// text of a participant that is not a readable address), in any order.
	From, To, Cc []string
	// Date is the Date header; zero when missing or unreadable.
	Date time.Time
	// Subject is the decoded Subject header.
	Subject string
	// BodyHash is the hash of the whole decoded body text, whatever part
	// of it the org stores (message.Message.BodyHash).
	BodyHash string
}

// Fingerprint is a hash of c that two copies of one email share: address
// lists as sets, the date in UTC to the second, the subject with its
// white space collapsed, control characters dropped and in Unicode NFC.
func (c Content) Fingerprint() string {
	date := ""
	if !c.Date.IsZero() {
		date = c.Date.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	canonical, err := json.Marshal(struct {
		From, To, Cc        []string
		Date, Subject, Body string
	}{addressSet(c.From), addressSet(c.To), addressSet(c.Cc), date, fingerprintText(c.Subject), c.BodyHash})
	if err != nil {
		panic("policy: encoding a fingerprint: " + err.Error()) // strings and slices always encode
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

func addressSet(l []string) []string {
	out := make([]string, 0, len(l))
	for _, a := range l {
		if a = fingerprintText(strings.ToLower(a)); a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func fingerprintText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return norm.NFC.String(strings.Join(strings.Fields(s), " "))
}

// IdentityKey names one email: its normalized Message-ID (else the Gmail
// message id, else nothing) and its content fingerprint. A message that
// reuses a Message-ID with other content is another email.
func IdentityKey(messageID, gmailMessageID, fingerprint string) string {
	var b strings.Builder
	switch id := NormalizeMessageID(messageID); {
	case id != "":
		b.WriteString("mid:" + id)
	case strings.TrimSpace(gmailMessageID) != "":
		b.WriteString("gmail:" + strings.TrimSpace(gmailMessageID))
	default:
		b.WriteString("none:")
	}
	b.WriteString("\x00fp:" + fingerprint)
	return b.String()
}

// OwnCopyKey names owner's own record of the email key names: the one
// kept for a caller who cannot read the record that others logged first.
func OwnCopyKey(key, owner string) string { return key + "\x00copy-of:" + owner }

// EmailID is the store id of the email an identity key names: a keyed hash
// (HMAC-SHA-256 with the store's secret, 128 bits in hex). Without the
// secret nobody can compute the id of a given message, so an id in an
// answer never tells a caller whether someone else logged that message.
func EmailID(secret []byte, key string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// LegacyEmailID is the id emails were stored under before content
// fingerprints: a hash of the normalized Message-ID alone, or of the Gmail
// message id when there is none. Those emails keep it; the service finds
// them under it.
func LegacyEmailID(messageID, gmailMessageID string) string {
	key := "mid:" + NormalizeMessageID(messageID)
	if NormalizeMessageID(messageID) == "" {
		key = "gmail:" + strings.TrimSpace(gmailMessageID)
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// LogDate is the date an email is filed under: its Date header, or the
// time it is logged when the header is missing or outside 1970–9999.
func LogDate(date, now time.Time) time.Time {
	date = date.UTC()
	if date.IsZero() || date.Year() < 1970 || date.Year() > 9999 {
		return now
	}
	return date
}

// LegacyContent is a message as the service stored it before content
// fingerprints, for comparing with an email stored under LegacyEmailID.
type LegacyContent struct {
	// From is the first normalized From address, else the header's text.
	From   string
	To, Cc []string
	// Date is the Date header; zero when missing or unreadable.
	Date    time.Time
	Subject string
	// Body is the whole body text; Snippet its start as stored.
	Body, Snippet string
}

// SameAsLegacy reports whether e, stored under LegacyEmailID, holds c: the
// same From, To, Cc (as sets), Date and Subject, and a body of which the
// stored one is the start (it was capped at the org's size then), or, with
// no body stored, the same snippet. Another message reusing the
// Message-ID is not the same email.
func SameAsLegacy(e discreet.Email, c LegacyContent) bool {
	if e.From != c.From || e.Subject != c.Subject ||
		!slices.Equal(addressSet(e.To), addressSet(c.To)) || !slices.Equal(addressSet(e.Cc), addressSet(c.Cc)) {
		return false
	}
	// An unusable Date was replaced by the time of logging (LogDate).
	if !e.Date.Equal(LogDate(c.Date, e.LoggedAt)) {
		return false
	}
	switch {
	case e.Body != "":
		return strings.HasPrefix(c.Body, e.Body)
	case e.Snippet != "":
		return e.Snippet == c.Snippet
	}
	return true
}
