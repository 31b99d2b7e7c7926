package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

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
	err := s.write(ctx, "put tombstone", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO tombstones (hash, kind, erased_by, erased_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (hash) DO NOTHING`, t.Hash, string(t.Kind), t.ErasedBy, tsKey(t.ErasedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		added = n == 1
		return err
	})
	return added, err
}

// Tombstones reads the list and its version (the row count) in one read
// transaction.
func (s *Store) Tombstones(ctx context.Context) ([]discreet.Tombstone, int64, error) {
	var out []discreet.Tombstone
	err := s.read(ctx, "tombstones", func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, "SELECT hash, kind, erased_by, erased_at FROM tombstones ORDER BY hash")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t discreet.Tombstone
			var kind, at string
			if err := rows.Scan(&t.Hash, &kind, &t.ErasedBy, &at); err != nil {
				return err
			}
			t.Kind = discreet.TombstoneKind(kind)
			t.ErasedAt, _ = time.Parse(time.RFC3339Nano, at)
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, int64(len(out)), err
}

// TombstoneVersion counts the rows: tombstones are never removed.
func (s *Store) TombstoneVersion(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM tombstones").Scan(&n); err != nil {
		return 0, s.fail(ctx, err, "tombstone version")
	}
	return n, nil
}

func (s *Store) ContactAddresses(ctx context.Context, after string, limit int) ([]string, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	rows, err := s.r.QueryContext(ctx, "SELECT email FROM contacts WHERE email > ? ORDER BY email LIMIT ?", after, limit)
	if err != nil {
		return nil, s.fail(ctx, err, "contact addresses")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, s.fail(ctx, err, "contact addresses")
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, err, "contact addresses")
	}
	return out, nil
}

// EraseContact deletes the contact with its timeline rows and counts.
func (s *Store) EraseContact(ctx context.Context, email string) error {
	return s.write(ctx, "erase contact", func(ctx context.Context, tx *sql.Tx) error {
		for _, q := range []string{
			"DELETE FROM timeline WHERE contact = ?",
			"DELETE FROM audience WHERE contact = ?",
			"DELETE FROM audience_count WHERE contact = ?",
			"DELETE FROM contacts WHERE email = ?",
		} {
			if _, err := tx.ExecContext(ctx, q, email); err != nil {
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
	rows, err := s.r.QueryContext(ctx, "SELECT data FROM intents WHERE id > ? ORDER BY id LIMIT ?", after, limit)
	if err != nil {
		return nil, s.fail(ctx, err, "intents")
	}
	defer rows.Close()
	var out []discreet.Intent
	for rows.Next() {
		var data string
		var in discreet.Intent
		if err := rows.Scan(&data); err != nil {
			return nil, s.fail(ctx, err, "intents")
		}
		if err := json.Unmarshal([]byte(data), &in); err != nil {
			return nil, s.fail(ctx, err, "intents")
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, err, "intents")
	}
	return out, nil
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
	return s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}
