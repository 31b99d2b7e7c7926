package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // database/sql's "sqlite", for looking into the file

	"github.com/discreet-crm/discreet"

	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/storetest"
)

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawDB is a read-only database/sql handle on s's file, for tests that
// look at the schema or plans.
func rawDB(t testing.TB, s *Store) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", s.path+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestReopen checks that a second Open of the same directory keeps the data
// and applies no migration twice.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.PutTeam(t.Context(), discreet.Team{ID: "de", Name: "Germany"}); err != nil {
		t.Fatalf("PutTeam: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s, err = Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer s.Close()
	if tm, err := s.Team(t.Context(), "de"); err != nil || tm.Name != "Germany" {
		t.Fatalf("Team after reopening = %+v, %v", tm, err)
	}
	var n, latest int
	if err := rawDB(t, s).QueryRow("SELECT count(*), max(version) FROM schema_version").Scan(&n, &latest); err != nil {
		t.Fatal(err)
	}
	if n != latest {
		t.Fatalf("schema_version has %d rows up to version %d", n, latest)
	}
}

// TestCanceled checks that an expired context is unavailable, not internal.
func TestCanceled(t *testing.T) {
	s := open(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Timeline(ctx, store.TimelineQuery{Contact: "a@b.example", Keys: []string{"x:all"}, Limit: 10})
	if got := discreet.ErrorCode(err); got != discreet.EUnavailable {
		t.Fatalf("Timeline with a canceled context: code %q (%v), want unavailable", got, err)
	}
	err = s.PutTeam(ctx, discreet.Team{ID: "de"})
	if got := discreet.ErrorCode(err); got != discreet.EUnavailable {
		t.Fatalf("PutTeam with a canceled context: code %q (%v), want unavailable", got, err)
	}
}

// Writes that share one commit stay independent: a write that fails undoes
// only itself, and every acknowledged write is there after a reopen.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			// Every fourth entry repeats the pattern of the one before it.
			pattern := fmt.Sprintf("@g%03d.example", i-i%4/3)
			errs[i] = st.AddNeverLog(ctx, []discreet.NeverLogEntry{{ID: fmt.Sprintf("e%03d", i), Pattern: pattern, AddedBy: "admin@acme.example", AddedAt: time.Now()}})
		})
	}
	wg.Wait()
	var added []string
	for i, err := range errs {
		switch discreet.ErrorCode(err) {
		case "":
			added = append(added, fmt.Sprintf("e%03d", i))
		case discreet.EConflict:
		default:
			t.Fatalf("AddNeverLog %d: %v", i, err)
		}
	}
	if len(added) != n-n/4 {
		t.Errorf("%d entries added, want %d (one conflict in four)", len(added), n-n/4)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, _, err := st.NeverLog(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range list {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, added) {
		t.Errorf("after reopen the list holds %v, want the acknowledged %v", ids, added)
	}
}

// TestEmailIDKeySurvivesReopen: the email-id key is made once; reopening
// the file gives the same key, so ids logged before stay the ids of the
// same messages.
func TestEmailIDKeySurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := s.EmailIDKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k2, err := s.EmailIDKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(k1, k2) {
		t.Fatalf("the key changed on reopening: %x, then %x", k1, k2)
	}
}

// TestGroupFirstWriteFails: a group whose first write fails (it runs
// without a savepoint) and whose later writes fail and succeed in turn
// keeps exactly the writes that succeeded, panics included.
func TestGroupFirstWriteFails(t *testing.T) {
	s := open(t)
	put := func(id string, fail string) *writeReq {
		return &writeReq{ctx: context.Background(), op: "test", done: make(chan error, 1),
			fn: func(ctx context.Context, c *conn) error {
				if _, err := c.exec(ctx, "INSERT INTO teams (id, name) VALUES (?, 'x')", text(id)); err != nil {
					return err
				}
				switch fail {
				case "error":
					return fmt.Errorf("write %s fails after its insert", id)
				case "panic":
					panic("write " + id)
				}
				return nil
			}}
	}
	group := []*writeReq{put("a", "error"), put("b", "panic"), put("c", ""), put("d", "error"), put("e", ""), put("f", "panic")}
	s.commitGroup(group)
	for i, r := range group {
		err := <-r.done
		if wantErr := i != 2 && i != 4; (err != nil) != wantErr {
			t.Errorf("write %d: %v", i, err)
		}
	}
	teams, err := s.Teams(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(teams) != 2 || teams[0].ID != "c" || teams[1].ID != "e" {
		t.Fatalf("teams after the group: %+v, want c and e", teams)
	}
}

// blockWrites starts a write that holds the lead until the returned
// function is called, and returns once it runs.
func blockWrites(t *testing.T, s *Store) (release func() error) {
	t.Helper()
	running, unblock := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.write(context.Background(), "block", func(ctx context.Context, c *conn) error {
			close(running)
			<-unblock
			return nil
		})
	}()
	<-running
	return func() error { close(unblock); return <-done }
}

// TestWriteLeaders: writes commit on their callers' goroutines, one leader
// at a time. A write given up while it waits is withdrawn and never runs,
// and the lead is not lost with it; Close waits for the writes already
// waiting, which all commit, and refuses new ones.
func TestWriteLeaders(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	// Many at once, each with its own row: all there, none twice.
	const n = 300
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = s.PutTeam(ctx, discreet.Team{ID: fmt.Sprintf("t%03d", i)}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("PutTeam %d: %v", i, err)
		}
	}
	teams, err := s.Teams(ctx)
	if err != nil || len(teams) != n {
		t.Fatalf("%d teams, %v; want %d", len(teams), err, n)
	}

	// Given up while waiting behind a held lead: withdrawn, never run.
	release := blockWrites(t, s)
	wctx, cancel := context.WithCancel(ctx)
	ran := false
	gaveUp := make(chan error, 1)
	go func() {
		gaveUp <- s.write(wctx, "given up", func(ctx context.Context, c *conn) error { ran = true; return nil })
	}()
	for {
		s.wmu.Lock()
		waiting := len(s.pending)
		s.wmu.Unlock()
		if waiting == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gaveUp; discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("a write given up while waiting: %v, want unavailable", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Fatal("a withdrawn write ran")
	}
	if err := s.PutTeam(ctx, discreet.Team{ID: "after-withdrawal"}); err != nil {
		t.Fatalf("a write after a withdrawal: %v", err)
	}

	// Close with writes waiting: they commit, then Close returns; a write
	// after Close began is refused.
	release = blockWrites(t, s)
	queued := make(chan error, 5)
	for i := range 5 {
		go func() { queued <- s.PutTeam(ctx, discreet.Team{ID: fmt.Sprintf("queued%d", i)}) }()
	}
	for {
		s.wmu.Lock()
		waiting := len(s.pending)
		s.wmu.Unlock()
		if waiting == 5 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for {
		s.wmu.Lock()
		closing := s.closing
		s.wmu.Unlock()
		if closing {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.PutTeam(ctx, discreet.Team{ID: "too-late"}); discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("a write after Close began: %v, want unavailable", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with writes waiting", err)
	case <-time.After(20 * time.Millisecond):
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := <-queued; err != nil {
			t.Fatalf("a write waiting at Close: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	teams, err = s.Teams(ctx)
	if err != nil || len(teams) != n+1+5 {
		t.Fatalf("after reopening: %d teams, %v; want %d", len(teams), err, n+1+5)
	}
}

// TestCommitPanic: a panic while committing (a bug, not a write's own
// failure) reaches the caller that was committing, answers no write as
// done, keeps nothing of the group, and leaves the lead free.
func TestCommitPanic(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	commitFault = func() { panic("a bug in committing") }
	var err error
	func() {
		defer func() {
			if p := recover(); p == nil {
				t.Error("the panic did not reach the committing caller")
			}
		}()
		err = s.PutTeam(ctx, discreet.Team{ID: "lost"})
	}()
	commitFault = nil
	if err != nil {
		t.Errorf("PutTeam returned %v, where it should have panicked", err)
	}
	if err := s.PutTeam(ctx, discreet.Team{ID: "after"}); err != nil {
		t.Fatalf("a write after the panic: %v", err)
	}
	teams, err := s.Teams(ctx)
	if err != nil || len(teams) != 1 || teams[0].ID != "after" {
		t.Fatalf("teams %+v, %v; want only the write after the panic", teams, err)
	}
}
