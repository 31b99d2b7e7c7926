package sqlite

import (
	"context"
	"slices"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

const (
	neverLogCounter = "never_log_version"
	neverLogSince   = "never_log_since"
)

// NeverLog lists one list by pattern, with its version, in one read
// transaction.
func (s *Store) NeverLog(ctx context.Context, scope string) ([]discreet.NeverLogEntry, int64, error) {
	var out []discreet.NeverLogEntry
	var version int64
	err := s.snapshot(ctx, "never log", func(c *conn) error {
		rows, err := c.query(ctx, `SELECT id, pattern, note, added_by, added_at FROM never_log
			WHERE scope = ? ORDER BY pattern`, text(scope))
		if err != nil {
			return err
		}
		for rows.next() {
			e, err := scanNeverLog(rows, scope)
			if err != nil {
				rows.close()
				return err
			}
			out = append(out, e)
		}
		err = rows.error()
		rows.close()
		if err != nil {
			return err
		}
		if scope == "" {
			version, err = counter(ctx, c, neverLogCounter)
		} else {
			version, err = personalVersion(ctx, c, scope)
		}
		return err
	})
	return out, version, err
}

func scanNeverLog(r *stmt, scope string) (discreet.NeverLogEntry, error) {
	e := discreet.NeverLogEntry{Scope: scope, ID: r.text(0), Pattern: r.text(1), Note: r.text(2), AddedBy: r.text(3)}
	var err error
	e.AddedAt, err = r.time(4)
	return e, err
}

func counter(ctx context.Context, c *conn, name string) (int64, error) {
	var v int64
	_, err := c.one(ctx, func(r *stmt) error { v = r.int(0); return nil }, "SELECT value FROM counters WHERE name = ?", text(name))
	return v, err
}

func personalVersion(ctx context.Context, c *conn, email string) (int64, error) {
	var v int64
	_, err := c.one(ctx, func(r *stmt) error { v = r.int(0); return nil },
		"SELECT never_log_version FROM user_settings WHERE email = ?", text(email))
	return v, err
}

// NeverLogVersion is the org list's version and recent changes, in one
// read transaction (memo.go).
func (s *Store) NeverLogVersion(ctx context.Context) (store.NeverLogChanges, error) {
	return s.neverLogVersion(ctx)
}

func (s *Store) neverLogVersion(ctx context.Context) (store.NeverLogChanges, error) {
	return s.neverLog.get(struct{}{}, func() (store.NeverLogChanges, error) {
		var out store.NeverLogChanges
		err := s.snapshot(ctx, "never log version", func(c *conn) error {
			var err error
			out, err = neverLogChanges(ctx, c)
			return err
		})
		return out, err
	}, func(ch store.NeverLogChanges) store.NeverLogChanges {
		ch.Changes = slices.Clone(ch.Changes)
		return ch
	})
}

func neverLogChanges(ctx context.Context, c *conn) (store.NeverLogChanges, error) {
	var out store.NeverLogChanges
	if _, err := c.one(ctx, func(r *stmt) error {
		out.Version, out.Since, out.Tombstones, out.Rules, out.Protected = r.int(0), r.int(1), r.int(2), r.int(3), r.int(4)
		return nil
	}, `SELECT coalesce((SELECT value FROM counters WHERE name = ?1), 0),
		coalesce((SELECT value FROM counters WHERE name = ?2), 0),
		(SELECT count(*) FROM tombstones),
		coalesce((SELECT value FROM counters WHERE name = ?3), 0),
		coalesce((SELECT value FROM counters WHERE name = ?4), 0)`,
		text(neverLogCounter), text(neverLogSince), text(rulesCounter), text(protectedCounter)); err != nil {
		return out, err
	}
	if out.Version == out.Since {
		return out, nil // nothing recorded since
	}
	rows, err := c.query(ctx, `SELECT version, removed, id, pattern FROM never_log_changes
		WHERE version > ? ORDER BY version, seq`, num(out.Since))
	if err != nil {
		return out, err
	}
	defer rows.close()
	for rows.next() {
		out.Changes = append(out.Changes, store.NeverLogChange{Version: rows.int(0), Removed: rows.int(1) != 0, ID: rows.text(2), Pattern: rows.text(3)})
	}
	return out, rows.error()
}

// recordNeverLogChange moves the version of list scope: the org's with
// its changes recorded, or the user's own.
func recordNeverLogChange(ctx context.Context, c *conn, scope string, changes []store.NeverLogChange) error {
	if scope != "" {
		_, err := c.exec(ctx, `INSERT INTO user_settings (email, never_log_version) VALUES (?, 1)
			ON CONFLICT (email) DO UPDATE SET never_log_version = never_log_version + 1`, text(scope))
		return err
	}
	prev, err := neverLogChanges(ctx, c)
	if err != nil {
		return err
	}
	next := store.AppendNeverLogChanges(prev, changes)
	for _, v := range []struct {
		name  string
		value int64
	}{{neverLogCounter, next.Version}, {neverLogSince, next.Since}} {
		if _, err := c.exec(ctx, `INSERT INTO counters (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, text(v.name), num(v.value)); err != nil {
			return err
		}
	}
	if _, err := c.exec(ctx, "DELETE FROM never_log_changes WHERE version <= ?", num(next.Since)); err != nil {
		return err
	}
	for i, ch := range next.Changes {
		if ch.Version != next.Version {
			continue
		}
		if _, err := c.exec(ctx, `INSERT INTO never_log_changes (version, seq, removed, id, pattern) VALUES (?, ?, ?, ?, ?)`,
			num(ch.Version), num(i), flag(ch.Removed), text(ch.ID), text(ch.Pattern)); err != nil {
			return err
		}
	}
	return nil
}

// neverLogTaken tells whether a pattern (?2) or an id (?3) is on list ?1
// already: two lookups, each on every column of a unique index, so no
// statistics can make it a scan. (One lookup "pattern = ? OR id = ?" was
// planned as a scan of the table once PRAGMA optimize had seen a small
// list; an import then read the whole list once per entry, holding the
// writer for minutes.)
const neverLogTaken = `SELECT EXISTS (SELECT 1 FROM never_log WHERE scope = ?1 AND pattern = ?2)
	OR EXISTS (SELECT 1 FROM never_log WHERE scope = ?1 AND id = ?3)`

// AddNeverLog adds entries all or none; a pattern or id already on its list
// is a conflict.
func (s *Store) AddNeverLog(ctx context.Context, entries []discreet.NeverLogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	scope := entries[0].Scope
	changes := make([]store.NeverLogChange, 0, len(entries))
	for _, e := range entries {
		if e.ID == "" {
			return discreet.FieldError("id", "is required")
		}
		if e.Pattern == "" {
			return discreet.FieldError("pattern", "is required")
		}
		if e.Scope != scope {
			return discreet.FieldError("scope", "entries added at once must be on one list")
		}
		changes = append(changes, store.NeverLogChange{ID: e.ID, Pattern: e.Pattern})
	}
	return s.write(ctx, "add never log", func(ctx context.Context, c *conn) error {
		for _, e := range entries {
			var taken bool
			if _, err := c.one(ctx, func(r *stmt) error { taken = r.int(0) != 0; return nil },
				neverLogTaken, text(e.Scope), text(e.Pattern), text(e.ID)); err != nil {
				return err
			}
			if taken {
				return discreet.Errorf(discreet.EConflict, "%s is already on the list", e.Pattern)
			}
			if _, err := c.exec(ctx, `INSERT INTO never_log (scope, id, pattern, note, added_by, added_at)
				VALUES (?, ?, ?, ?, ?, ?)`, text(e.Scope), text(e.ID), text(e.Pattern), text(e.Note), text(e.AddedBy),
				text(e.AddedAt.UTC().Format(time.RFC3339Nano))); err != nil {
				return err
			}
		}
		return recordNeverLogChange(ctx, c, scope, changes)
	})
}

// DeleteNeverLog removes one entry and returns it.
func (s *Store) DeleteNeverLog(ctx context.Context, scope, id string) (discreet.NeverLogEntry, error) {
	var out discreet.NeverLogEntry
	err := s.write(ctx, "delete never log", func(ctx context.Context, c *conn) error {
		var err error
		out, err = getNeverLog(ctx, c, scope, id)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, "DELETE FROM never_log WHERE scope = ? AND id = ?", text(scope), text(id)); err != nil {
			return err
		}
		return recordNeverLogChange(ctx, c, scope, []store.NeverLogChange{{Removed: true, ID: out.ID, Pattern: out.Pattern}})
	})
	return out, err
}

// NeverLogEntry returns one entry of a list.
func (s *Store) NeverLogEntry(ctx context.Context, scope, id string) (discreet.NeverLogEntry, error) {
	var e discreet.NeverLogEntry
	err := s.read(ctx, "never log entry", func(c *conn) error {
		var err error
		e, err = getNeverLog(ctx, c, scope, id)
		return err
	})
	return e, err
}

func getNeverLog(ctx context.Context, c *conn, scope, id string) (discreet.NeverLogEntry, error) {
	var e discreet.NeverLogEntry
	found, err := c.one(ctx, func(r *stmt) (err error) {
		e, err = scanNeverLog(r, scope)
		return err
	}, `SELECT id, pattern, note, added_by, added_at FROM never_log WHERE scope = ? AND id = ?`, text(scope), text(id))
	if err == nil && !found {
		err = notFound("Never Log entry")
	}
	return e, err
}
