package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// RunWatches runs the conformance tests of store.Watches.
func RunWatches(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"WatchState", testWatchState},
		{"WatchAdvanceMonotonic", testWatchAdvanceMonotonic},
		{"WatchAdvanceConcurrent", testWatchAdvanceConcurrent},
		{"WatchClaims", testWatchClaims},
		{"WatchClaimConcurrent", testWatchClaimConcurrent},
		{"WatchPrune", testWatchPrune},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func testWatchState(t *testing.T, s store.Store) {
	ctx := t.Context()
	const user = "anna@acme.example"
	_, err := s.WatchState(ctx, user)
	wantCode(t, err, discreet.ENotFound, "WatchState before any")

	// The first watch sets the history id.
	w, err := s.RenewWatch(ctx, user, 1000, at(7*24*60), at(0))
	must(t, err, "RenewWatch")
	if w.HistoryID != 1000 || !w.Expiration.Equal(at(7*24*60)) || !w.RenewedAt.Equal(at(0)) || !w.HistoryAt.Equal(at(0)) {
		t.Fatalf("RenewWatch = %+v, want history 1000, expiration in a week, renewed and history at 0", w)
	}
	got, err := s.WatchState(ctx, user)
	must(t, err, "WatchState")
	if got != w {
		t.Fatalf("WatchState = %+v, want %+v", got, w)
	}

	// A renewal keeps the captured history id, newer or older.
	w, err = s.RenewWatch(ctx, user, 5000, at(8*24*60), at(24*60))
	must(t, err, "RenewWatch again")
	if w.HistoryID != 1000 || !w.HistoryAt.Equal(at(0)) || !w.Expiration.Equal(at(8*24*60)) || !w.RenewedAt.Equal(at(24*60)) {
		t.Fatalf("renewal = %+v, want history 1000 from 0, new expiration and renewal time", w)
	}

	// Other users are separate.
	_, err = s.WatchState(ctx, "beat@acme.example")
	wantCode(t, err, discreet.ENotFound, "WatchState of another user")

	// AdvanceHistory creates a watch when there is none; RenewWatch then
	// keeps its id.
	moved, err := s.AdvanceHistory(ctx, "carla@acme.example", 42, at(1))
	must(t, err, "AdvanceHistory of a new user")
	if !moved {
		t.Fatal("AdvanceHistory of a new user did not move")
	}
	w, err = s.RenewWatch(ctx, "carla@acme.example", 99, at(100), at(2))
	must(t, err, "RenewWatch after AdvanceHistory")
	if w.HistoryID != 42 || !w.HistoryAt.Equal(at(1)) {
		t.Fatalf("RenewWatch after AdvanceHistory = %+v, want history 42 at 1", w)
	}
}

func testWatchAdvanceMonotonic(t *testing.T, s store.Store) {
	ctx := t.Context()
	const user = "anna@acme.example"
	steps := []struct {
		id    uint64
		moved bool
		want  uint64
	}{
		{100, true, 100},
		{200, true, 200},
		{150, false, 200}, // out of order
		{200, false, 200}, // duplicate
		{1 << 40, true, 1 << 40},
	}
	for i, st := range steps {
		moved, err := s.AdvanceHistory(ctx, user, st.id, at(i))
		must(t, err, "AdvanceHistory")
		if moved != st.moved {
			t.Fatalf("step %d: AdvanceHistory(%d) moved = %v, want %v", i, st.id, moved, st.moved)
		}
		w, err := s.WatchState(ctx, user)
		must(t, err, "WatchState")
		if w.HistoryID != st.want {
			t.Fatalf("step %d: history = %d, want %d", i, w.HistoryID, st.want)
		}
	}
	w, _ := s.WatchState(ctx, user)
	if !w.HistoryAt.Equal(at(4)) {
		t.Fatalf("HistoryAt = %v, want the time of the last move %v", w.HistoryAt, at(4))
	}
}

func testWatchAdvanceConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const user = "anna@acme.example"
	var wg sync.WaitGroup
	// Few writers: the Firestore emulator serializes contended transactions slowly.
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			_, err := s.AdvanceHistory(ctx, user, uint64(1000+i), at(i))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err, "concurrent AdvanceHistory")
	}
	w, err := s.WatchState(ctx, user)
	must(t, err, "WatchState")
	if w.HistoryID != 1007 {
		t.Fatalf("history after concurrent advances = %d, want the largest, 1007", w.HistoryID)
	}
}

func testWatchClaims(t *testing.T, s store.Store) {
	ctx := t.Context()
	const user, msg = "anna@acme.example", "18c0ffee"
	claim := func(now time.Time, want store.Claim, what string) {
		t.Helper()
		got, err := s.ClaimMessage(ctx, user, msg, now, 2*time.Minute)
		must(t, err, what)
		if got != want {
			t.Fatalf("%s: claim = %d, want %d", what, got, want)
		}
	}
	claim(at(0), store.ClaimAcquired, "first claim")
	claim(at(1), store.ClaimHeld, "claim within the lease")
	claim(at(3), store.ClaimAcquired, "claim after the lease ended")
	// Dropping the claim lets the next attempt take it at once.
	must(t, s.ReleaseMessage(ctx, user, msg, false, at(3)), "release not done")
	claim(at(3), store.ClaimAcquired, "claim after release")
	must(t, s.ReleaseMessage(ctx, user, msg, true, at(4)), "release done")
	claim(at(5), store.ClaimDone, "claim after done")
	claim(at(60), store.ClaimDone, "claim long after done")
	// Dropping a done message's claim keeps it done.
	must(t, s.ReleaseMessage(ctx, user, msg, false, at(61)), "release not done after done")
	claim(at(62), store.ClaimDone, "claim after a late release")
	// Messages are per user.
	got, err := s.ClaimMessage(ctx, "beat@acme.example", msg, at(5), time.Minute)
	must(t, err, "claim of another user")
	if got != store.ClaimAcquired {
		t.Fatalf("another user's claim = %d, want acquired", got)
	}
	// Ids with characters document stores reserve work too.
	for _, id := range []string{"a/b", "..", "__x__", "%2F"} {
		got, err := s.ClaimMessage(ctx, user, id, at(0), time.Minute)
		must(t, err, "claim "+id)
		if got != store.ClaimAcquired {
			t.Fatalf("claim %q = %d, want acquired", id, got)
		}
	}
	_, err = s.ClaimMessage(ctx, user, "", at(0), time.Minute)
	wantCode(t, err, discreet.EInvalid, "claim without an id")
}

func testWatchClaimConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	var wg sync.WaitGroup
	results := make(chan store.Claim, 10)
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			c, err := s.ClaimMessage(ctx, "anna@acme.example", "m1", at(0), time.Minute)
			errs <- err
			results <- c
		})
	}
	wg.Wait()
	close(errs)
	close(results)
	for err := range errs {
		must(t, err, "concurrent ClaimMessage")
	}
	acquired := 0
	for c := range results {
		if c == store.ClaimAcquired {
			acquired++
		}
	}
	if acquired != 1 {
		t.Fatalf("%d concurrent claims acquired the message, want 1", acquired)
	}
}

func testWatchPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	const user = "anna@acme.example"
	for i, id := range []string{"old1", "old2", "new"} {
		_, err := s.ClaimMessage(ctx, user, id, at(i*60), time.Minute)
		must(t, err, "claim")
		must(t, s.ReleaseMessage(ctx, user, id, true, at(i*60)), "release")
	}
	_, err := s.ClaimMessage(ctx, "beat@acme.example", "old1", at(0), time.Minute)
	must(t, err, "claim of another user")
	n, err := s.PruneMessages(ctx, user, at(100))
	must(t, err, "PruneMessages")
	if n != 2 {
		t.Fatalf("pruned %d, want 2", n)
	}
	// A pruned message can be claimed again; the recent one is still done.
	if c, _ := s.ClaimMessage(ctx, user, "old1", at(200), time.Minute); c != store.ClaimAcquired {
		t.Fatalf("claim of a pruned message = %d, want acquired", c)
	}
	if c, _ := s.ClaimMessage(ctx, user, "new", at(200), time.Minute); c != store.ClaimDone {
		t.Fatalf("claim of a kept message = %d, want done", c)
	}
	if c, _ := s.ClaimMessage(ctx, "beat@acme.example", "old1", at(200), time.Minute); c != store.ClaimAcquired {
		t.Fatalf("another user's expired claim = %d, want acquired (its lease ended)", c)
	}
}
