// Package sqlite is the Store of a single Discreet instance: one SQLite file
// (modernc.org/sqlite, pure Go) in WAL mode with synchronous=FULL, so a write
// that returned nil survives a crash or kill -9.
//
// Writes go through one connection, one IMMEDIATE transaction at a time
// (writes that wait together share it: group commit), so concurrent writers
// queue instead of failing with SQLITE_BUSY; reads use a pool of read-only
// connections and never wait for writers (WAL).
package sqlite

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store implements store.Store on SQLite.
type Store struct {
	path   string
	unlock func() error // nil: no lock, memos off

	vs           versions
	users        *memo[string, discreet.User]
	org          *memo[struct{}, discreet.OrgSettings]
	userSettings *memo[string, discreet.UserSettings]
	neverLog     *memo[struct{}, store.NeverLogChanges]
	legacyIDs    *memo[struct{}, bool]

	w *conn // the one writer connection, used by the leading writer only
	// readers are the read-only connections not in use; nil slots are
	// opened on first use.
	readers chan *conn

	// Writes waiting for a commit, and who commits them (write says how).
	wmu     sync.Mutex
	pending []*writeReq
	leading bool          // a caller is committing groups
	closing bool          // Close was called: no new writes
	idle    chan struct{} // closed when the last leader stops after closing
}

var _ store.Store = (*Store)(nil)

// Every connection's settings; the writer's also make the file WAL (which
// persists) with synchronous=FULL, readers may only read.
//
// The writer checkpoints every 10,000 WAL pages (about 40 MB), not every
// 1,000: a checkpoint copies each page changed since the last one, and a
// logged email changes the same hot pages (the newest index leaves) as the
// emails before it, so ten times fewer checkpoints copy far fewer pages
// (a quarter of a logged email's commit cost went to them). A WAL grown
// past 64 MB, when readers held a checkpoint back, is cut back after it.
var (
	commonPragmas = []string{"busy_timeout = 10000", "foreign_keys = ON", "cache_size = -16000", "temp_store = MEMORY"}
	writerPragmas = append([]string{"journal_mode = WAL", "synchronous = FULL",
		"wal_autocheckpoint = 10000", "journal_size_limit = 67108864"}, commonPragmas...)
	readerPragmas = append([]string{"query_only = 1"}, commonPragmas...)
)

// Open opens (creating when needed) dir/discreet.db and brings its schema up
// to date.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, discreet.Wrap(err, discreet.EUnavailable, "cannot create the database directory")
	}
	unlock, err := lockDir(dir)
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return nil, err
	}
	path := filepath.Join(dir, "discreet.db")
	w, err := openConn(path, writerPragmas...)
	if err != nil {
		if unlock != nil {
			unlock()
		}
		return nil, discreet.Wrap(err, discreet.EInternal, "cannot open the database")
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s := &Store{path: path, unlock: unlock, w: w, readers: make(chan *conn, n)}
	off := unlock == nil
	s.users = newMemo[string, discreet.User](&s.vs, tabUsers, off)
	s.org = newMemo[struct{}, discreet.OrgSettings](&s.vs, tabOrgSettings, off)
	s.userSettings = newMemo[string, discreet.UserSettings](&s.vs, tabUserSettings, off)
	s.neverLog = newMemo[struct{}, store.NeverLogChanges](&s.vs, tabCounters|tabNeverLogChanges|tabTombstones, off)
	s.legacyIDs = newMemo[struct{}, bool](&s.vs, tabLegacyIDs, off)
	for range n {
		s.readers <- nil
	}
	if err := s.migrate(ctx); err != nil {
		s.stopWriter()
		w.close()
		if unlock != nil {
			unlock()
		}
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// stopWriter refuses new writes and returns once those already waiting
// are committed.
func (s *Store) stopWriter() {
	s.wmu.Lock()
	s.closing = true
	if !s.leading {
		s.wmu.Unlock()
		return
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.wmu.Unlock()
	<-idle
}

// Close closes the database. Reads still running keep their connection
// until they end; it is closed then.
func (s *Store) Close() error {
	s.stopWriter()
	var errs []error
	for range cap(s.readers) {
		if c := <-s.readers; c != nil {
			errs = append(errs, c.close())
		}
	}
	_, err := s.w.exec(context.Background(), "PRAGMA optimize")
	errs = append(errs, err, s.w.close())
	if s.unlock != nil {
		errs = append(errs, s.unlock())
	}
	return errors.Join(errs...)
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.read(ctx, "ping", func(c *conn) error {
		_, err := c.exec(ctx, "SELECT 1")
		return err
	})
}

// reader lends a read-only connection; put gives it back.
func (s *Store) reader(ctx context.Context) (*conn, error) {
	var c *conn
	select {
	case c = <-s.readers:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c == nil {
		var err error
		if c, err = openConn(s.path, readerPragmas...); err != nil {
			s.readers <- nil
			return nil, err
		}
	}
	return c, nil
}

func (s *Store) put(c *conn) { s.readers <- c }

// read runs fn on a read-only connection, each statement on its own.
func (s *Store) read(ctx context.Context, op string, fn func(c *conn) error) error {
	c, err := s.reader(ctx)
	if err != nil {
		return s.fail(ctx, err, op)
	}
	defer s.put(c)
	if err := fn(c); err != nil {
		return s.fail(ctx, err, op)
	}
	return nil
}

// snapshot runs fn in one read transaction, so what it reads is one
// moment of the database.
func (s *Store) snapshot(ctx context.Context, op string, fn func(c *conn) error) error {
	return s.read(ctx, op, func(c *conn) error {
		if _, err := c.exec(ctx, "BEGIN"); err != nil {
			return err
		}
		err := fn(c)
		// Read-only: nothing to undo or keep; ending it frees the snapshot.
		if _, rerr := c.exec(context.Background(), "ROLLBACK"); rerr != nil && err == nil {
			err = rerr
		}
		return err
	})
}

// migrate applies, in one transaction, every migrations/NNNN_*.sql newer
// than the schema_version the file is at, each followed by its Go step
// (migrateSteps) if it has one: a crash part way leaves the file as it was.
func (s *Store) migrate(ctx context.Context) error {
	list, err := migrationList()
	if err != nil {
		return discreet.Wrap(err, discreet.EInternal, "cannot list migrations")
	}
	return s.write(ctx, "migrate", func(ctx context.Context, c *conn) error {
		if _, err := c.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version    INTEGER PRIMARY KEY,
			applied_at TEXT NOT NULL)`); err != nil {
			return err
		}
		var current int64
		if _, err := c.one(ctx, func(r *stmt) error { current = r.int(0); return nil }, "SELECT coalesce(max(version), 0) FROM schema_version"); err != nil {
			return err
		}
		for _, m := range list {
			if int64(m.version) <= current {
				continue
			}
			if err := m.apply(ctx, c); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := c.exec(ctx, "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
				num(m.version), text(tsKey(time.Now()))); err != nil {
				return err
			}
		}
		return nil
	})
}

// maxGroup bounds how many writes share one commit.
const maxGroup = 128

// writeReq is one write waiting for its commit.
type writeReq struct {
	ctx  context.Context
	op   string
	fn   func(ctx context.Context, c *conn) error
	done chan error // its result; errLead first when it is to lead
}

// errLead, sent on a waiting write's done, hands it the commits.
var errLead = errors.New("lead the commits")

// write runs fn in a transaction on the writer connection and returns once
// its changes are durable. Writes that arrive together share one commit
// (group commit): each runs in a savepoint of its own, so one failing
// write undoes only itself, and every caller is answered only after the
// fsync that covers its write. fn gets a context that keeps the caller's
// values but not its cancellation: an interrupted statement would roll
// back the whole shared transaction.
//
// No goroutine of the store's own commits: the caller that finds no one
// committing leads, committing what is waiting, group after group, until
// its own write is done; then it hands the lead to the oldest write still
// waiting, if any, and returns. One leader at a time uses the writer
// connection. A lone write so commits on its caller's goroutine, with no
// hand-over to another goroutine and back.
func (s *Store) write(ctx context.Context, op string, fn func(ctx context.Context, c *conn) error) error {
	if err := ctx.Err(); err != nil {
		return s.fail(ctx, err, op)
	}
	req := &writeReq{ctx: ctx, op: op, fn: fn, done: make(chan error, 1)}
	s.wmu.Lock()
	if s.closing {
		s.wmu.Unlock()
		return discreet.Errorf(discreet.EUnavailable, "the database is closed")
	}
	s.pending = append(s.pending, req)
	if !s.leading {
		s.leading = true
		s.wmu.Unlock()
		return s.lead(req)
	}
	s.wmu.Unlock()
	select {
	case err := <-req.done:
		if err == errLead {
			return s.lead(req)
		}
		return err
	case <-ctx.Done():
	}
	// Given up while waiting: a write no group has taken yet is withdrawn;
	// one taken is waited for, since answering early would leave the
	// caller unsure whether it happened.
	s.wmu.Lock()
	select {
	case err := <-req.done:
		s.wmu.Unlock()
		if err == errLead {
			return s.lead(req)
		}
		return err
	default:
	}
	if i := slices.Index(s.pending, req); i >= 0 {
		s.pending = slices.Delete(s.pending, i, i+1)
		s.wmu.Unlock()
		return s.fail(ctx, ctx.Err(), op)
	}
	s.wmu.Unlock()
	return <-req.done
}

// lead commits waiting writes, at most maxGroup to a transaction, until
// own is answered; then it hands the lead on or gives it up.
//
// A panic while committing (not in a write's fn, which runSavepoint and
// runFirst turn into that write's error) would otherwise leave the lead
// taken for ever once something up the caller's stack recovers it: the
// open transaction is rolled back, the group is answered with an error,
// the lead passes on, and the panic goes on up.
func (s *Store) lead(own *writeReq) error {
	var group []*writeReq
	defer func() {
		if p := recover(); p != nil {
			_, _ = s.w.exec(context.Background(), "ROLLBACK")
			err := discreet.Wrap(fmt.Errorf("panic while committing: %v", p), discreet.EInternal, "the database failed")
			for _, r := range group {
				select {
				case r.done <- err:
				default: // answered already
				}
			}
			s.handOn()
			panic(p)
		}
	}()
	for {
		s.wmu.Lock()
		group = slices.Clone(s.pending[:min(len(s.pending), maxGroup)])
		s.pending = slices.Delete(s.pending, 0, len(group))
		s.wmu.Unlock()
		s.commitGroup(group)
		select {
		case err := <-own.done:
			s.handOn()
			return err
		default:
		}
	}
}

// handOn gives the lead to the oldest waiting write, or gives it up.
func (s *Store) handOn() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if len(s.pending) > 0 {
		s.pending[0].done <- errLead
		return
	}
	s.leading = false
	if s.idle != nil {
		close(s.idle)
	}
}

// commitFault, when set (by a test), runs before a group's COMMIT; a panic
// from it is a bug in committing.
var commitFault func()

func (s *Store) commitGroup(group []*writeReq) {
	results := make([]error, len(group))
	bg := context.Background()
	begin := func() error {
		_, err := s.w.exec(bg, "BEGIN IMMEDIATE")
		return err
	}
	if err := begin(); err != nil {
		s.vs.bump(s.w.touched)
		s.w.touched = 0
		for _, r := range group {
			r.done <- s.fail(r.ctx, err, r.op)
		}
		return
	}
	ok := 0
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results[i] = err // given up while waiting: not run
			continue
		}
		ctx := context.WithoutCancel(r.ctx)
		if ok > 0 {
			results[i] = runSavepoint(ctx, s.w, r.fn)
		} else if results[i] = runFirst(ctx, s.w, r.fn); results[i] != nil {
			// The first write of a transaction runs without a savepoint
			// (saving a copy of every page it touches); failing, it takes
			// the transaction with it, which holds nothing else yet.
			_, _ = s.w.exec(bg, "ROLLBACK")
			if err := begin(); err != nil {
				for j := i + 1; j < len(group); j++ {
					results[j] = err
				}
				break
			}
			continue
		}
		if results[i] == nil {
			ok++
		}
	}
	var commitErr error
	// Whatever happened, the memos of what the group wrote are stale once
	// it ends, before anyone hears of it (memo.go). A panic here commits
	// nothing: no write of the group is answered as done.
	defer func() {
		p := recover()
		s.vs.bump(s.w.touched)
		s.w.touched = 0
		for i, r := range group {
			err := results[i]
			if err == nil {
				err = commitErr
			}
			if err == nil && p != nil {
				err = fmt.Errorf("panic while committing: %v", p)
			}
			if err != nil {
				err = s.fail(r.ctx, err, r.op)
			}
			r.done <- err
		}
		if p != nil {
			panic(p)
		}
	}()
	if ok > 0 {
		if commitFault != nil {
			commitFault()
		}
		if _, commitErr = s.w.exec(bg, "COMMIT"); commitErr != nil {
			_, _ = s.w.exec(bg, "ROLLBACK")
		}
	} else if sqlite3.Xsqlite3_get_autocommit(s.w.tls, s.w.db) == 0 {
		_, _ = s.w.exec(bg, "ROLLBACK")
	}
}

// runFirst runs fn as the first write of the open transaction, turning a
// panic into an error.
func runFirst(ctx context.Context, c *conn, fn func(ctx context.Context, c *conn) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a write: %v", p)
		}
	}()
	return fn(ctx, c)
}

// runSavepoint runs fn inside a savepoint of the open transaction, undoing
// only fn's changes when it fails or panics.
func runSavepoint(ctx context.Context, c *conn, fn func(ctx context.Context, c *conn) error) (err error) {
	if _, err := c.exec(ctx, "SAVEPOINT w"); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a write: %v", p)
		}
		if err != nil {
			if _, rerr := c.exec(ctx, "ROLLBACK TO w"); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		if _, rerr := c.exec(ctx, "RELEASE w"); rerr != nil && err == nil {
			err = rerr
		}
	}()
	return fn(ctx, c)
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
	var se *dbError
	if errors.As(err, &se) {
		switch se.primary() {
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

// takeRow reads the row of table whose key column is key, with scan, and
// deletes it: a delete that answers with what it removed. what names the
// row in the not-found error when there is none.
func takeRow[T any](ctx context.Context, c *conn, table, columns, keyColumn, key, what string, scan func(*stmt) T) (T, error) {
	var out T
	found, err := c.one(ctx, func(r *stmt) error { out = scan(r); return nil },
		"SELECT "+columns+" FROM "+table+" WHERE "+keyColumn+" = ?", text(key))
	if err != nil {
		return out, err
	}
	if !found {
		return out, notFound(what)
	}
	_, err = c.exec(ctx, "DELETE FROM "+table+" WHERE "+keyColumn+" = ?", text(key))
	return out, err
}

func notFound(what string) error {
	return discreet.Errorf(discreet.ENotFound, "the %s does not exist", what)
}
