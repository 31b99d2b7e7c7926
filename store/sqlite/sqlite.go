// Package sqlite is the Store of a single Discreet instance: one SQLite file
// (modernc.org/sqlite, pure Go) in WAL mode with synchronous=FULL, so a write
// that returned nil survives a crash or kill -9.
//
// Writes go through one connection, one IMMEDIATE transaction at a time, so
// concurrent writers queue in database/sql instead of failing with
// SQLITE_BUSY; reads use a pool of read-only connections and never wait for
// writers (WAL).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store implements store.Store on SQLite.
type Store struct {
	w *sql.DB // the one writer connection
	r *sql.DB // read-only pool
}

var _ store.Store = (*Store)(nil)

// Open opens (creating when needed) dir/discreet.db and brings its schema up
// to date.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, discreet.Wrap(err, discreet.EUnavailable, "cannot create the database directory")
	}
	path := filepath.Join(dir, "discreet.db")
	common := "_busy_timeout=10000&_foreign_keys=1&_pragma=cache_size(-16000)&_pragma=temp_store(memory)"
	w, err := sql.Open("sqlite", path+"?"+common+"&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		return nil, discreet.Wrap(err, discreet.EInternal, "cannot open the database")
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	// Opened after the writer has switched the file to WAL, which persists.
	r, err := sql.Open("sqlite", path+"?"+common+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, discreet.Wrap(err, discreet.EInternal, "cannot open the database")
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	_, _ = s.w.Exec("PRAGMA optimize")
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return s.fail(ctx, err, "ping")
	}
	return nil
}

// migrate applies, in one transaction, every migrations/NNNN_*.sql newer
// than the schema_version the file is at.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return discreet.Wrap(err, discreet.EInternal, "cannot list migrations")
	}
	sort.Strings(names)
	return s.write(ctx, "migrate", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version    INTEGER PRIMARY KEY,
			applied_at TEXT NOT NULL)`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&current); err != nil {
			return err
		}
		seen := map[int]string{}
		for _, name := range names {
			base := filepath.Base(name)
			num, _, _ := strings.Cut(base, "_")
			v, err := strconv.Atoi(num)
			if err != nil {
				return fmt.Errorf("migration %s: name must start with a number", base)
			}
			if other, ok := seen[v]; ok {
				return fmt.Errorf("migrations %s and %s share version %d; renumber one", other, base, v)
			}
			seen[v] = base
			if v <= current {
				continue
			}
			text, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(text)); err != nil {
				return fmt.Errorf("migration %s: %w", base, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
				v, tsKey(time.Now())); err != nil {
				return err
			}
		}
		return nil
	})
}

// write runs fn in one IMMEDIATE transaction on the writer connection.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(ctx, err, op)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return s.fail(ctx, err, op)
	}
	if err := tx.Commit(); err != nil {
		return s.fail(ctx, err, op)
	}
	return nil
}

// read runs fn in one read transaction, so what it reads is one snapshot.
func (s *Store) read(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s.fail(ctx, err, op)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	if err := fn(tx); err != nil {
		return s.fail(ctx, err, op)
	}
	return nil
}

// fail turns err into a *discreet.Error: codes already chosen are kept,
// busy and interrupted databases and expired contexts are unavailable,
// constraint violations conflicts, anything else internal.
func (s *Store) fail(ctx context.Context, err error, op string) error {
	var de *discreet.Error
	if errors.As(err, &de) {
		return err
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &discreet.Error{Code: discreet.EUnavailable, Message: "the database did not answer in time", RetryAfter: time.Second, Err: fmt.Errorf("%s: %w", op, err)}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT:
			return &discreet.Error{Code: discreet.EUnavailable, Message: "the database is busy; try again", RetryAfter: time.Second, Err: fmt.Errorf("%s: %w", op, err)}
		case sqlite3.SQLITE_CONSTRAINT:
			return discreet.Wrap(fmt.Errorf("%s: %w", op, err), discreet.EConflict, "it already exists")
		}
	}
	return discreet.Wrap(fmt.Errorf("%s: %w", op, err), discreet.EInternal, "the database failed")
}

// tsKey formats t as fixed-width UTC text that sorts as time does.
func tsKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func notFound(what string) error {
	return discreet.Errorf(discreet.ENotFound, "the %s does not exist", what)
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
