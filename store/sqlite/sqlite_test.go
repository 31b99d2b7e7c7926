package sqlite

import (
	"context"
	"testing"

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
	if err := s.r.QueryRow("SELECT count(*), max(version) FROM schema_version").Scan(&n, &latest); err != nil {
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
