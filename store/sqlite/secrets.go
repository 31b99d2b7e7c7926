package sqlite

import (
	"context"
	"crypto/rand"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Secrets = (*Store)(nil)

const secretEmailID = "email-id"

// EmailIDKey returns the email-id key, making it on the first call. The
// insert keeps a key already there, so concurrent first calls agree.
func (s *Store) EmailIDKey(ctx context.Context) ([]byte, error) {
	var key []byte
	err := s.read(ctx, "email-id key", func(c *conn) error {
		var err error
		key, err = secret(ctx, c, secretEmailID)
		return err
	})
	if err == nil || discreet.ErrorCode(err) != discreet.ENotFound {
		return key, err
	}
	fresh := make([]byte, store.EmailIDKeySize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, discreet.Wrap(err, discreet.EInternal, "cannot make the email-id key")
	}
	err = s.write(ctx, "email-id key", func(ctx context.Context, c *conn) error {
		if _, err := c.exec(ctx, "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
			text(secretEmailID), blob(fresh)); err != nil {
			return err
		}
		var err error
		key, err = secret(ctx, c, secretEmailID)
		return err
	})
	return key, err
}

func secret(ctx context.Context, c *conn, name string) ([]byte, error) {
	var v []byte
	found, err := c.one(ctx, func(r *stmt) error { v = r.blob(0); return nil }, "SELECT value FROM secrets WHERE name = ?", text(name))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound("secret")
	}
	if len(v) != store.EmailIDKeySize {
		return nil, discreet.Errorf(discreet.EInternal, "the stored %s key has %d bytes, not %d", name, len(v), store.EmailIDKeySize)
	}
	return v, nil
}
