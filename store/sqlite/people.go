package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// OrgSettings returns the org's settings, the defaults before any were put.
func (s *Store) OrgSettings(ctx context.Context) (discreet.OrgSettings, error) {
	var data string
	err := s.r.QueryRowContext(ctx, "SELECT data FROM org_settings WHERE id = 1").Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return discreet.DefaultOrgSettings(), nil
	}
	if err != nil {
		return discreet.OrgSettings{}, s.fail(ctx, err, "org settings")
	}
	var out discreet.OrgSettings
	if err := json.Unmarshal([]byte(data), &out); err != nil {
		return out, s.fail(ctx, err, "org settings")
	}
	return out, nil
}

// PutOrgSettings replaces the org's settings.
func (s *Store) PutOrgSettings(ctx context.Context, v discreet.OrgSettings) error {
	data, err := json.Marshal(v)
	if err != nil {
		return s.fail(ctx, err, "put org settings")
	}
	return s.write(ctx, "put org settings", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO org_settings (id, data) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data`, string(data))
		return err
	})
}

// UserSettings returns a user's settings, the zero value before any were put.
func (s *Store) UserSettings(ctx context.Context, email string) (discreet.UserSettings, error) {
	var data string
	var version int64
	err := s.r.QueryRowContext(ctx, "SELECT data, never_log_version FROM user_settings WHERE email = ?", email).Scan(&data, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return discreet.UserSettings{}, nil
	}
	if err != nil {
		return discreet.UserSettings{}, s.fail(ctx, err, "user settings")
	}
	var out discreet.UserSettings
	if err := json.Unmarshal([]byte(data), &out); err != nil {
		return out, s.fail(ctx, err, "user settings")
	}
	out.NeverLogVersion = version
	return out, nil
}

// PutUserSettings replaces a user's settings.
func (s *Store) PutUserSettings(ctx context.Context, email string, v discreet.UserSettings) error {
	data, err := json.Marshal(v)
	if err != nil {
		return s.fail(ctx, err, "put user settings")
	}
	return s.write(ctx, "put user settings", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO user_settings (email, data) VALUES (?, ?)
			ON CONFLICT (email) DO UPDATE SET data = excluded.data`, email, string(data))
		return err
	})
}

// User returns one user.
func (s *Store) User(ctx context.Context, email string) (discreet.User, error) {
	u, err := getUser(ctx, s.r, email)
	if err != nil {
		return u, s.fail(ctx, err, "user")
	}
	return u, nil
}

func getUser(ctx context.Context, q queryer, email string) (discreet.User, error) {
	var data string
	err := q.QueryRowContext(ctx, "SELECT data FROM users WHERE email = ?", email).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return discreet.User{}, notFound("user")
	}
	if err != nil {
		return discreet.User{}, err
	}
	var u discreet.User
	err = json.Unmarshal([]byte(data), &u)
	return u, err
}

// PutUser creates or replaces a user.
func (s *Store) PutUser(ctx context.Context, u discreet.User) error {
	if u.Email == "" {
		return discreet.FieldError("email", "is required")
	}
	data, err := json.Marshal(u)
	if err != nil {
		return s.fail(ctx, err, "put user")
	}
	return s.write(ctx, "put user", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (email, data) VALUES (?, ?)
			ON CONFLICT (email) DO UPDATE SET data = excluded.data`, u.Email, string(data))
		return err
	})
}

// CreateUser creates u unless its email is taken, and returns the stored user.
func (s *Store) CreateUser(ctx context.Context, u discreet.User) (discreet.User, bool, error) {
	if u.Email == "" {
		return u, false, discreet.FieldError("email", "is required")
	}
	data, err := json.Marshal(u)
	if err != nil {
		return u, false, s.fail(ctx, err, "create user")
	}
	var stored discreet.User
	var created bool
	err = s.write(ctx, "create user", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, data) VALUES (?, ?) ON CONFLICT (email) DO NOTHING`, u.Email, string(data))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		stored, err = getUser(ctx, tx, u.Email)
		return err
	})
	return stored, created, err
}

// Users lists users by email after the given one.
func (s *Store) Users(ctx context.Context, after string, limit int) ([]discreet.User, error) {
	if limit < 1 || limit > 1000 {
		return nil, discreet.FieldError("limit", "must be between 1 and 1000")
	}
	rows, err := s.r.QueryContext(ctx, "SELECT data FROM users WHERE email > ? ORDER BY email LIMIT ?", after, limit)
	if err != nil {
		return nil, s.fail(ctx, err, "users")
	}
	defer rows.Close()
	var out []discreet.User
	for rows.Next() {
		var data string
		var u discreet.User
		if err := rows.Scan(&data); err != nil {
			return nil, s.fail(ctx, err, "users")
		}
		if err := json.Unmarshal([]byte(data), &u); err != nil {
			return nil, s.fail(ctx, err, "users")
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, err, "users")
	}
	return out, nil
}

// Team returns one team.
func (s *Store) Team(ctx context.Context, id string) (discreet.Team, error) {
	t := discreet.Team{ID: id}
	err := s.r.QueryRowContext(ctx, "SELECT name FROM teams WHERE id = ?", id).Scan(&t.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return discreet.Team{}, notFound("team")
	}
	if err != nil {
		return discreet.Team{}, s.fail(ctx, err, "team")
	}
	return t, nil
}

// PutTeam creates or renames a team.
func (s *Store) PutTeam(ctx context.Context, t discreet.Team) error {
	if t.ID == "" {
		return discreet.FieldError("id", "is required")
	}
	return s.write(ctx, "put team", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO teams (id, name) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name`, t.ID, t.Name)
		return err
	})
}

// Teams lists every team by id.
func (s *Store) Teams(ctx context.Context) ([]discreet.Team, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, name FROM teams ORDER BY id")
	if err != nil {
		return nil, s.fail(ctx, err, "teams")
	}
	defer rows.Close()
	var out []discreet.Team
	for rows.Next() {
		var t discreet.Team
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, s.fail(ctx, err, "teams")
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, err, "teams")
	}
	return out, nil
}

const (
	neverLogCounter = "never_log_version"
	neverLogSince   = "never_log_since"
)

// NeverLog lists one list by pattern, with its version, in one read
// transaction.
func (s *Store) NeverLog(ctx context.Context, scope string) ([]discreet.NeverLogEntry, int64, error) {
	var out []discreet.NeverLogEntry
	var version int64
	err := s.read(ctx, "never log", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, pattern, note, added_by, added_at FROM never_log
			WHERE scope = ? ORDER BY pattern`, scope)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanNeverLog(rows, scope)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if scope == "" {
			version, err = counter(ctx, tx, neverLogCounter)
		} else {
			version, err = personalVersion(ctx, tx, scope)
		}
		return err
	})
	return out, version, err
}

func scanNeverLog(row interface{ Scan(...any) error }, scope string) (discreet.NeverLogEntry, error) {
	e := discreet.NeverLogEntry{Scope: scope}
	var at string
	if err := row.Scan(&e.ID, &e.Pattern, &e.Note, &e.AddedBy, &at); err != nil {
		return e, err
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	e.AddedAt = t
	return e, err
}

func counter(ctx context.Context, q queryer, name string) (int64, error) {
	var v int64
	err := q.QueryRowContext(ctx, "SELECT value FROM counters WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

func personalVersion(ctx context.Context, q queryer, email string) (int64, error) {
	var v int64
	err := q.QueryRowContext(ctx, "SELECT never_log_version FROM user_settings WHERE email = ?", email).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// NeverLogVersion is the org list's version and recent changes, in one
// read transaction.
func (s *Store) NeverLogVersion(ctx context.Context) (store.NeverLogChanges, error) {
	var out store.NeverLogChanges
	err := s.read(ctx, "never log version", func(tx *sql.Tx) error {
		var err error
		out, err = neverLogChanges(ctx, tx)
		return err
	})
	return out, err
}

func neverLogChanges(ctx context.Context, q queryer) (store.NeverLogChanges, error) {
	var out store.NeverLogChanges
	var err error
	if out.Version, err = counter(ctx, q, neverLogCounter); err != nil {
		return out, err
	}
	if out.Since, err = counter(ctx, q, neverLogSince); err != nil {
		return out, err
	}
	rows, err := q.QueryContext(ctx, `SELECT version, removed, id, pattern FROM never_log_changes
		WHERE version > ? ORDER BY version, seq`, out.Since)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var c store.NeverLogChange
		if err := rows.Scan(&c.Version, &c.Removed, &c.ID, &c.Pattern); err != nil {
			return out, err
		}
		out.Changes = append(out.Changes, c)
	}
	return out, rows.Err()
}

// recordNeverLogChange moves the version of list scope: the org's with
// its changes recorded, or the user's own.
func recordNeverLogChange(ctx context.Context, tx *sql.Tx, scope string, changes []store.NeverLogChange) error {
	if scope != "" {
		_, err := tx.ExecContext(ctx, `INSERT INTO user_settings (email, data, never_log_version) VALUES (?, '{}', 1)
			ON CONFLICT (email) DO UPDATE SET never_log_version = never_log_version + 1`, scope)
		return err
	}
	prev, err := neverLogChanges(ctx, tx)
	if err != nil {
		return err
	}
	next := store.AppendNeverLogChanges(prev, changes)
	for _, c := range []struct {
		name  string
		value int64
	}{{neverLogCounter, next.Version}, {neverLogSince, next.Since}} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, c.name, c.value); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM never_log_changes WHERE version <= ?", next.Since); err != nil {
		return err
	}
	insert, err := tx.PrepareContext(ctx, `INSERT INTO never_log_changes (version, seq, removed, id, pattern) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insert.Close()
	for i, c := range next.Changes {
		if c.Version != next.Version {
			continue
		}
		if _, err := insert.ExecContext(ctx, c.Version, i, c.Removed, c.ID, c.Pattern); err != nil {
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
	return s.write(ctx, "add never log", func(ctx context.Context, tx *sql.Tx) error {
		// Prepared once for the batch: an import adds hundreds of entries
		// a step, and parsing each statement again cost more than running it.
		check, err := tx.PrepareContext(ctx, neverLogTaken)
		if err != nil {
			return err
		}
		defer check.Close()
		insert, err := tx.PrepareContext(ctx, `INSERT INTO never_log (scope, id, pattern, note, added_by, added_at)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insert.Close()
		for _, e := range entries {
			var taken bool
			if err := check.QueryRowContext(ctx, e.Scope, e.Pattern, e.ID).Scan(&taken); err != nil {
				return err
			}
			if taken {
				return discreet.Errorf(discreet.EConflict, "%s is already on the list", e.Pattern)
			}
			if _, err := insert.ExecContext(ctx, e.Scope, e.ID, e.Pattern, e.Note, e.AddedBy,
				e.AddedAt.UTC().Format(time.RFC3339Nano)); err != nil {
				return err
			}
		}
		return recordNeverLogChange(ctx, tx, scope, changes)
	})
}

// DeleteNeverLog removes one entry and returns it.
func (s *Store) DeleteNeverLog(ctx context.Context, scope, id string) (discreet.NeverLogEntry, error) {
	var out discreet.NeverLogEntry
	err := s.write(ctx, "delete never log", func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = getNeverLog(ctx, tx, scope, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM never_log WHERE scope = ? AND id = ?", scope, id); err != nil {
			return err
		}
		return recordNeverLogChange(ctx, tx, scope, []store.NeverLogChange{{Removed: true, ID: out.ID, Pattern: out.Pattern}})
	})
	return out, err
}

// NeverLogEntry returns one entry of a list.
func (s *Store) NeverLogEntry(ctx context.Context, scope, id string) (discreet.NeverLogEntry, error) {
	e, err := getNeverLog(ctx, s.r, scope, id)
	if err != nil {
		return e, s.fail(ctx, err, "never log entry")
	}
	return e, nil
}

func getNeverLog(ctx context.Context, q queryer, scope, id string) (discreet.NeverLogEntry, error) {
	row := q.QueryRowContext(ctx, `SELECT id, pattern, note, added_by, added_at FROM never_log
		WHERE scope = ? AND id = ?`, scope, id)
	e, err := scanNeverLog(row, scope)
	if errors.Is(err, sql.ErrNoRows) {
		return discreet.NeverLogEntry{}, notFound("Never Log entry")
	}
	return e, err
}
