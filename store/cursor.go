package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/discreet-crm/discreet"
)

// Cursors are opaque to callers but not secret: a store re-applies the
// viewer's keys to every page, so a forged cursor shows nothing new. The
// checksum only makes a mangled cursor fail loudly instead of paging from a
// random place.

type cursorPayload struct {
	Scope string `json:"s"`
	Key   string `json:"k"`
}

// EncodeCursor returns an opaque cursor for the page after key (exclusive)
// in scope, e.g. TimelineCursorScope(contact).
func EncodeCursor(scope, key string) string {
	p, _ := json.Marshal(cursorPayload{Scope: scope, Key: key}) // two strings always marshal
	sum := sha256.Sum256(p)
	return base64.RawURLEncoding.EncodeToString(p) + "." + base64.RawURLEncoding.EncodeToString(sum[:8])
}

// DecodeCursor returns the key a cursor made by EncodeCursor(scope, key)
// holds. A cursor that was altered, or made for another scope, is an
// invalid_argument error.
func DecodeCursor(cursor, scope string) (string, error) {
	bad := discreet.FieldError("cursor", "the cursor is not valid here; start again from the first page")
	body, sumText, ok := strings.Cut(cursor, ".")
	if !ok {
		return "", bad
	}
	enc := base64.RawURLEncoding.Strict()
	p, err := enc.DecodeString(body)
	if err != nil {
		return "", bad
	}
	got, err := enc.DecodeString(sumText)
	if err != nil {
		return "", bad
	}
	want := sha256.Sum256(p)
	if !bytes.Equal(got, want[:8]) {
		return "", bad
	}
	var c cursorPayload
	if err := json.Unmarshal(p, &c); err != nil || c.Scope != scope || c.Key == "" {
		return "", bad
	}
	return c.Key, nil
}

// TimelineCursorScope binds a timeline cursor to its contact.
func TimelineCursorScope(contact string) string { return "timeline:" + contact }

// AuditCursorScope binds an audit cursor to its EmailOwner filter ("" for
// the whole log).
func AuditCursorScope(emailOwner string) string { return "audit:" + emailOwner }
