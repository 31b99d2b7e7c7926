package firestore

import (
	"context"

	"github.com/discreet-crm/discreet"
)

// SetNeverLogReadHook makes NeverLog call hook between reading a list's
// entries and its version, so a test can commit an edit exactly there.
func SetNeverLogReadHook(s *Store, hook func(scope string)) { s.neverLogReadHook = hook }

// EnsureContacts runs LogEmail's repair of e's contacts.
func EnsureContacts(s *Store, e discreet.Email) error {
	return s.ensureContacts(context.Background(), e, e.LoggedAt)
}
