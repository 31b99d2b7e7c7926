package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// recipientsKey is one text for a recipient set; addresses hold no newline.
func recipientsKey(r []string) string { return strings.Join(r, "\n") }

// PutIntent stores a compose intent; putting it again keeps it consumed if
// it was.
func (s *Store) PutIntent(ctx context.Context, in discreet.Intent) error {
	if in.ID == "" {
		return discreet.FieldError("id", "is required")
	}
	data, err := json.Marshal(in)
	if err != nil {
		return s.fail(ctx, err, "put intent")
	}
	return s.write(ctx, "put intent", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO intents (id, user, recipients, subject, created_at, expires_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET user = excluded.user, recipients = excluded.recipients,
				subject = excluded.subject, created_at = excluded.created_at,
				expires_at = excluded.expires_at, data = excluded.data`,
			in.ID, in.User, recipientsKey(in.Recipients), in.Subject, tsKey(in.CreatedAt), tsKey(in.ExpiresAt), string(data))
		return err
	})
}

// ConsumeIntent takes the best unexpired, unconsumed intent of user for
// exactly these recipients: one with this subject first, then the newest.
func (s *Store) ConsumeIntent(ctx context.Context, user string, recipients []string, subject string, now time.Time) (discreet.Intent, error) {
	var out discreet.Intent
	err := s.write(ctx, "consume intent", func(ctx context.Context, tx *sql.Tx) error {
		var id, data string
		err := tx.QueryRowContext(ctx, `SELECT id, data FROM intents
			WHERE user = ? AND recipients = ? AND consumed = 0 AND expires_at > ?
			ORDER BY subject = ? DESC, created_at DESC, id DESC LIMIT 1`,
			user, recipientsKey(recipients), tsKey(now), subject).Scan(&id, &data)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("intent")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE intents SET consumed = 1 WHERE id = ?", id); err != nil {
			return err
		}
		return json.Unmarshal([]byte(data), &out)
	})
	return out, err
}

// ReleaseIntent marks a consumed intent unconsumed again.
func (s *Store) ReleaseIntent(ctx context.Context, id string) error {
	return s.write(ctx, "release intent", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE intents SET consumed = 0 WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return notFound("intent")
		}
		return nil
	})
}

// AppendAudit appends one record; its ID must be new.
func (s *Store) AppendAudit(ctx context.Context, r discreet.AuditRecord) error {
	if r.ID == "" {
		return discreet.FieldError("id", "is required")
	}
	return s.write(ctx, "append audit", func(ctx context.Context, tx *sql.Tx) error {
		return insertAudit(ctx, tx, r)
	})
}

// insertAudit appends r in tx; an existing id violates the key (conflict).
func insertAudit(ctx context.Context, tx *sql.Tx, r discreet.AuditRecord) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO audit (id, sort_key, email_owner, data) VALUES (?, ?, ?, ?)",
		r.ID, store.SortKey(r.At, r.ID), r.EmailOwner, string(data))
	return err
}

// Audit lists records newest first (by At, then ID), optionally only those
// about one user's emails.
func (s *Store) Audit(ctx context.Context, q store.AuditQuery) ([]discreet.AuditRecord, string, error) {
	if q.Limit < 1 || q.Limit > 1000 {
		return nil, "", discreet.FieldError("limit", "must be between 1 and 1000")
	}
	scope := store.AuditCursorScope(q.EmailOwner)
	before := afterAll
	if q.Cursor != "" {
		k, err := store.DecodeCursor(q.Cursor, scope)
		if err != nil {
			return nil, "", err
		}
		before = k
	}
	var rows *sql.Rows
	var err error
	if q.EmailOwner != "" {
		rows, err = s.r.QueryContext(ctx, `SELECT sort_key, data FROM audit WHERE email_owner = ? AND sort_key < ?
			ORDER BY sort_key DESC LIMIT ?`, q.EmailOwner, before, q.Limit+1)
	} else {
		rows, err = s.r.QueryContext(ctx, `SELECT sort_key, data FROM audit WHERE sort_key < ?
			ORDER BY sort_key DESC LIMIT ?`, before, q.Limit+1)
	}
	if err != nil {
		return nil, "", s.fail(ctx, err, "audit")
	}
	defer rows.Close()
	var out []discreet.AuditRecord
	var lastKey, next string
	for rows.Next() {
		var sk, data string
		if err := rows.Scan(&sk, &data); err != nil {
			return nil, "", s.fail(ctx, err, "audit")
		}
		if len(out) == q.Limit {
			next = store.EncodeCursor(scope, lastKey)
			break
		}
		var r discreet.AuditRecord
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			return nil, "", s.fail(ctx, err, "audit")
		}
		out = append(out, r)
		lastKey = sk
	}
	if err := rows.Err(); err != nil {
		return nil, "", s.fail(ctx, err, "audit")
	}
	return out, next, nil
}
