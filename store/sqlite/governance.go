package sqlite

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

var _ store.Governance = (*Store)(nil)

// PutTombstone inserts t unless its hash is there.
func (s *Store) PutTombstone(ctx context.Context, t discreet.Tombstone) (bool, error) {
	if t.Hash == "" {
		return false, discreet.FieldError("hash", "is required")
	}
	var added bool
	err := s.write(ctx, "put tombstone", func(ctx context.Context, c *conn) error {
		n, err := c.exec(ctx, `INSERT INTO tombstones (hash, kind, erased_by, erased_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (hash) DO NOTHING`, text(t.Hash), text(string(t.Kind)), text(t.ErasedBy), text(tsKey(t.ErasedAt)))
		added = n == 1
		return err
	})
	return added, err
}

// Tombstones reads the list in one read; its version is the row count
// (tombstones are never removed).
func (s *Store) Tombstones(ctx context.Context) ([]discreet.Tombstone, int64, error) {
	var out []discreet.Tombstone
	err := s.read(ctx, "tombstones", func(c *conn) error {
		var err error
		out, err = queryAll(ctx, c, func(r *stmt) discreet.Tombstone {
			t := discreet.Tombstone{Hash: r.text(0), Kind: discreet.TombstoneKind(r.text(1)), ErasedBy: r.text(2)}
			t.ErasedAt, _ = parseTSKey(r.text(3))
			return t
		}, "SELECT hash, kind, erased_by, erased_at FROM tombstones ORDER BY hash")
		return err
	})
	return out, int64(len(out)), err
}

// TombstoneVersion counts the rows: tombstones are never removed.
func (s *Store) TombstoneVersion(ctx context.Context) (int64, error) {
	var n int64
	err := s.read(ctx, "tombstone version", func(c *conn) error {
		_, err := c.one(ctx, func(r *stmt) error { n = r.int(0); return nil }, "SELECT count(*) FROM tombstones")
		return err
	})
	return n, err
}

func (s *Store) ContactAddresses(ctx context.Context, after string, limit int) ([]string, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	return s.ids(ctx, "contact addresses", "SELECT email FROM contacts WHERE email > ? ORDER BY email LIMIT ?", text(after), num(limit))
}

// EraseContact deletes the contact with its timeline rows and counts.
func (s *Store) EraseContact(ctx context.Context, email string) error {
	return s.write(ctx, "erase contact", func(ctx context.Context, c *conn) error {
		for _, q := range []string{
			"DELETE FROM timeline WHERE contact = ?",
			"DELETE FROM audience WHERE contact = ?",
			"DELETE FROM audience_count WHERE contact = ?",
			"DELETE FROM contacts WHERE email = ?",
		} {
			if _, err := c.exec(ctx, q, text(email)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) Intents(ctx context.Context, after string, limit int) ([]discreet.Intent, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	var out []discreet.Intent
	err := s.read(ctx, "intents", func(c *conn) error {
		out = nil
		rows, err := c.query(ctx, "SELECT "+intentColumns+" FROM intents WHERE id > ? ORDER BY id LIMIT ?", text(after), num(limit))
		if err != nil {
			return err
		}
		defer rows.close()
		for rows.next() {
			in, err := scanIntent(rows)
			if err != nil {
				return err
			}
			out = append(out, in)
		}
		return rows.error()
	})
	return out, err
}

func (s *Store) DeleteIntents(ctx context.Context, ids []string) error {
	return s.deleteIDs(ctx, "delete intents", "DELETE FROM intents WHERE id = ?", ids)
}

func (s *Store) DeleteAudit(ctx context.Context, ids []string) error {
	return s.deleteIDs(ctx, "delete audit", "DELETE FROM audit WHERE id = ?", ids)
}

func (s *Store) deleteIDs(ctx context.Context, op, q string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, op, func(ctx context.Context, c *conn) error {
		for _, id := range ids {
			if _, err := c.exec(ctx, q, text(id)); err != nil {
				return err
			}
		}
		return nil
	})
}
