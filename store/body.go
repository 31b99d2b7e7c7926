package store

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBodyBytes caps the body of a stored email, on every store alike.
// Firestore holds at most 1 MiB per document, and an email's document
// also carries its subject, participants, contacts and the Never Log
// index keys (hundreds of addresses and their domains for a large
// distribution): half the limit leaves them the other half.
const MaxBodyBytes = 512 << 10

// bodyMarker ends a body that was cut; %d is the limit.
const bodyMarker = "\n\n[Discreet: this email's body was cut after %d bytes; the rest was not kept.]"

// TruncateBody cuts body to at most limit bytes (the marker alone when
// limit is smaller than it), on a UTF-8 boundary, and ends it with a
// visible marker saying so; a body within limit is returned as it is. A cut email is never dropped: the reader sees what
// was kept and that it is not all.
func TruncateBody(body string, limit int) string {
	if len(body) <= limit {
		return body
	}
	marker := strings.Replace(bodyMarker, "%d", strconv.Itoa(limit), 1)
	n := max(limit-len(marker), 0)
	for n > 0 && !utf8.RuneStart(body[n]) {
		n--
	}
	return body[:n] + marker
}

// BodyTruncated reports whether body ends with TruncateBody's marker.
func BodyTruncated(body string) bool {
	i := strings.LastIndex(body, "\n\n[Discreet: this email's body was cut after ")
	return i >= 0 && strings.HasSuffix(body, " bytes; the rest was not kept.]")
}
