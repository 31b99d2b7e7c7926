package firestore

import (
	"context"
	"crypto/rand"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Secrets = (*Store)(nil)

// docEmailIDKey is config/emailIdKey: {key}, the email-id key.
const docEmailIDKey = "emailIdKey"

type secretDoc struct {
	Key []byte `firestore:"key"`
}

// EmailIDKey reads config/emailIdKey, creating it on the first call.
// Create fails when another instance created it first; its key is then
// read, so every instance ends up with the one stored key.
func (s *Store) EmailIDKey(ctx context.Context) ([]byte, error) {
	ref := s.c.Collection(colConfig).Doc(docEmailIDKey)
	for attempt := 0; attempt < 2; attempt++ {
		snap, err := ref.Get(ctx)
		switch {
		case err == nil:
			var d secretDoc
			if err := snap.DataTo(&d); err != nil {
				return nil, wrap(err, "cannot read the email-id key")
			}
			if len(d.Key) != store.EmailIDKeySize {
				return nil, discreet.Errorf(discreet.EInternal, "the stored email-id key has %d bytes, not %d", len(d.Key), store.EmailIDKeySize)
			}
			return d.Key, nil
		case !isNotFound(err):
			return nil, wrap(err, "cannot read the email-id key")
		}
		fresh := make([]byte, store.EmailIDKeySize)
		if _, err := rand.Read(fresh); err != nil {
			return nil, discreet.Wrap(err, discreet.EInternal, "cannot make the email-id key")
		}
		if _, err := ref.Create(ctx, secretDoc{Key: fresh}); err == nil {
			return fresh, nil
		} else if status.Code(err) != codes.AlreadyExists {
			return nil, wrap(err, "cannot store the email-id key")
		}
	}
	return nil, discreet.Errorf(discreet.EUnavailable, "the email-id key could not be read; try again")
}
