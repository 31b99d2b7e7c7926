package sqlite

import (
	"context"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// auditColumns are an audit row but its sort key, in auditArgs' order.
const auditColumns = "id, at, actor, action, email_id, email_owner, target, count, detail"

func auditArgs(r discreet.AuditRecord) [10]arg {
	return [10]arg{text(r.ID), timeArg(r.At), text(r.Actor), text(r.Action), text(r.EmailID), text(r.EmailOwner),
		text(r.Target), num(r.Count), mapArg(r.Detail), text(store.SortKey(r.At, r.ID))}
}

func scanAudit(r *stmt) (discreet.AuditRecord, error) {
	a := discreet.AuditRecord{ID: r.text(0), Actor: r.text(2), Action: r.text(3), EmailID: r.text(4), EmailOwner: r.text(5),
		Target: r.text(6), Count: int(r.int(7))}
	var err error
	if a.At, err = r.time(1); err != nil {
		return a, err
	}
	a.Detail, err = stringMap[string, string](r, 8)
	return a, err
}

const insertAudit = "INSERT INTO audit (" + auditColumns + ", sort_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// appendAudit writes r in c's transaction; its ID must be new.
func appendAudit(ctx context.Context, c *conn, r discreet.AuditRecord) error {
	a := auditArgs(r)
	_, err := c.exec(ctx, insertAudit, a[:]...)
	return err
}

// AppendAudit appends one record; its ID must be new.
func (s *Store) AppendAudit(ctx context.Context, r discreet.AuditRecord) error {
	if r.ID == "" {
		return discreet.FieldError("id", "is required")
	}
	return s.write(ctx, "append audit", func(ctx context.Context, c *conn) error {
		return appendAudit(ctx, c, r)
	})
}

// Audit lists records newest first (by At, then ID), optionally only those
// about one user's emails.
func (s *Store) Audit(ctx context.Context, q store.AuditQuery) ([]discreet.AuditRecord, string, error) {
	scope := store.AuditCursorScope(q.EmailOwner)
	before, err := listStart(q.Limit, q.Cursor, scope)
	if err != nil {
		return nil, "", err
	}
	var out []discreet.AuditRecord
	var next string
	err = s.read(ctx, "audit", func(c *conn) error {
		var rows *stmt
		var err error
		if q.EmailOwner != "" {
			rows, err = c.query(ctx, `SELECT `+auditColumns+`, sort_key FROM audit WHERE email_owner = ? AND sort_key < ?
				ORDER BY sort_key DESC LIMIT ?`, text(q.EmailOwner), text(before), num(q.Limit+1))
		} else {
			rows, err = c.query(ctx, `SELECT `+auditColumns+`, sort_key FROM audit WHERE sort_key < ?
				ORDER BY sort_key DESC LIMIT ?`, text(before), num(q.Limit+1))
		}
		if err != nil {
			return err
		}
		defer rows.close()
		var lastKey string
		for rows.next() {
			if len(out) == q.Limit {
				next = store.EncodeCursor(scope, lastKey)
				break
			}
			r, err := scanAudit(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
			lastKey = rows.text(9)
		}
		return rows.error()
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// listStart checks a newest-first listing's limit and turns its cursor
// into the key to list before.
func listStart(limit int, cursor, scope string) (string, error) {
	if limit < 1 || limit > 1000 {
		return "", discreet.FieldError("limit", "must be between 1 and 1000")
	}
	if cursor == "" {
		return afterAll, nil
	}
	return store.DecodeCursor(cursor, scope)
}
