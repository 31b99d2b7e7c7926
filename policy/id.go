package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
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

// EmailID is the identity of a logged email: a hash of its normalized
// Message-ID, or of the Gmail message id when it has none. Logging the same
// message twice, by two reps or at once, yields one id.
func EmailID(messageID, gmailMessageID string) string {
	key := "mid:" + NormalizeMessageID(messageID)
	if NormalizeMessageID(messageID) == "" {
		key = "gmail:" + strings.TrimSpace(gmailMessageID)
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}
