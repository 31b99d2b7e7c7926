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
	"sync"
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
	w *sql.DB // the one writer connection, used by the writer goroutine only
	r *sql.DB // read-only pool

	writes     chan *writeReq
	closed     chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
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
	s := &Store{w: w, writes: make(chan *writeReq), closed: make(chan struct{}), writerDone: make(chan struct{})}
	go s.writer()
	if err := s.migrate(ctx); err != nil {
		s.stopWriter()
		w.Close()
		return nil, err
	}
	// Opened after the writer has switched the file to WAL, which persists.
	r, err := sql.Open("sqlite", path+"?"+common+"&_query_only=1")
	if err != nil {
		s.stopWriter()
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

// stopWriter ends the writer goroutine once the write in hand is done.
func (s *Store) stopWriter() {
	s.closeOnce.Do(func() { close(s.closed) })
	<-s.writerDone
}

// Close closes the database.
func (s *Store) Close() error {
	s.stopWriter()
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
	return s.write(ctx, "migrate", func(ctx context.Context, tx *sql.Tx) error {
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

// maxGroup bounds how many writes share one commit.
const maxGroup = 128

// writeReq is one write waiting for the writer.
type writeReq struct {
	ctx  context.Context
	op   string
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// write runs fn in a transaction on the writer connection and returns once
// its changes are durable. Writes that arrive together share one commit
// (group commit): each runs in a savepoint of its own, so one failing
// write undoes only itself, and every caller is answered only after the
// fsync that covers its write. fn gets a context that keeps the caller's
// values but not its cancellation: an interrupted statement would roll
// back the whole shared transaction.
func (s *Store) write(ctx context.Context, op string, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return s.fail(ctx, err, op)
	}
	req := &writeReq{ctx: ctx, op: op, fn: fn, done: make(chan error, 1)}
	select {
	case s.writes <- req:
	case <-s.closed:
		return discreet.Errorf(discreet.EUnavailable, "the database is closed")
	case <-ctx.Done():
		return s.fail(ctx, ctx.Err(), op)
	}
	// Once handed over, the write is waited for: answering early would leave
	// the caller unsure whether it happened.
	return <-req.done
}

// writer is the one goroutine that writes: it takes what is waiting, up to
// maxGroup, and commits it as one transaction.
func (s *Store) writer() {
	defer close(s.writerDone)
	for {
		var first *writeReq
		select {
		case first = <-s.writes:
		case <-s.closed:
			return
		}
		group := []*writeReq{first}
	drain:
		for len(group) < maxGroup {
			select {
			case r := <-s.writes:
				group = append(group, r)
			default:
				break drain
			}
		}
		s.commitGroup(group)
	}
}

func (s *Store) commitGroup(group []*writeReq) {
	results := make([]error, len(group))
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		for i, r := range group {
			r.done <- s.fail(r.ctx, err, r.op)
			results[i] = err
		}
		return
	}
	ok := 0
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results[i] = err // given up while waiting: not run
			continue
		}
		results[i] = runSavepoint(context.WithoutCancel(r.ctx), tx, r.fn)
		if results[i] == nil {
			ok++
		}
	}
	var commitErr error
	if ok > 0 {
		commitErr = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	for i, r := range group {
		err := results[i]
		if err == nil {
			err = commitErr
		}
		if err != nil {
			err = s.fail(r.ctx, err, r.op)
		}
		r.done <- err
	}
}

// runSavepoint runs fn inside a savepoint of tx, undoing only fn's changes
// when it fails or panics.
func runSavepoint(ctx context.Context, tx *sql.Tx, fn func(ctx context.Context, tx *sql.Tx) error) (err error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a write: %v", p)
		}
		if err != nil {
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO w"); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		if _, rerr := tx.ExecContext(ctx, "RELEASE w"); rerr != nil && err == nil {
			err = rerr
		}
	}()
	return fn(ctx, tx)
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
