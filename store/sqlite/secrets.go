package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Secrets = (*Store)(nil)

const secretEmailID = "email-id"

// EmailIDKey returns the email-id key, making it on the first call. The
// insert keeps a key already there, so concurrent first calls agree.
func (s *Store) EmailIDKey(ctx context.Context) ([]byte, error) {
	if key, err := s.secret(ctx, s.r, secretEmailID); err == nil || discreet.ErrorCode(err) != discreet.ENotFound {
		return key, err
	}
	fresh := make([]byte, store.EmailIDKeySize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, discreet.Wrap(err, discreet.EInternal, "cannot make the email-id key")
	}
	var key []byte
	err := s.write(ctx, "email-id key", func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
			secretEmailID, fresh); err != nil {
			return err
		}
		var err error
		key, err = s.secret(ctx, tx, secretEmailID)
		return err
	})
	return key, err
}

func (s *Store) secret(ctx context.Context, q queryer, name string) ([]byte, error) {
	var v []byte
	err := q.QueryRowContext(ctx, "SELECT value FROM secrets WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("secret")
	}
	if err != nil {
		return nil, s.fail(ctx, err, "secret")
	}
	if len(v) != store.EmailIDKeySize {
		return nil, discreet.Errorf(discreet.EInternal, "the stored %s key has %d bytes, not %d", name, len(v), store.EmailIDKeySize)
	}
	return v, nil
}
