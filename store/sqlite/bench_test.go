package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// The big timeline: one contact with bigN emails, of which the viewer may
// read one in a hundred (their own, or team emails of their team); the rest
// are private or team emails of other reps and teams.
const (
	bigN       = 100_000
	bigContact = "big@customer.example"
)

var (
	bigOnce  sync.Once
	bigStore *Store
	bigDir   string
	bigErr   error
	bigKeys  []string // every sort key, newest first
	viewer   = discreet.User{Email: "viewer@acme.com", Role: discreet.RoleRep, Teams: []string{"vw"}}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bigStore != nil {
		bigStore.Close()
	}
	if bigDir != "" {
		os.RemoveAll(bigDir)
	}
	os.Exit(code)
}

func bigTimeline(b *testing.B) *Store {
	bigOnce.Do(func() {
		ctx := context.Background()
		start := time.Now()
		bigDir, bigErr = os.MkdirTemp("", "discreet-bench-")
		if bigErr != nil {
			return
		}
		bigStore, bigErr = Open(ctx, bigDir)
		if bigErr != nil {
			return
		}
		rng := rand.New(rand.NewPCG(1, 2))
		t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		others := []string{"de", "ch", "fr"}
		batch := make([]discreet.Email, 0, 5000)
		for i := range bigN {
			owner := fmt.Sprintf("rep%d@acme.com", rng.IntN(50))
			team := others[rng.IntN(len(others))]
			vis := discreet.VisibilityPrivate
			if rng.IntN(2) == 0 {
				vis = discreet.VisibilityTeam
			}
			if i%100 == 0 { // the viewer's 1%
				if i%200 == 0 {
					owner = viewer.Email
				} else {
					team, vis = "vw", discreet.VisibilityTeam
				}
			}
			date := t0.Add(time.Duration(i)*7*time.Minute + time.Duration(rng.IntN(60))*time.Second)
			e := discreet.Email{
				ID:         policy.LegacyEmailID(fmt.Sprintf("<big-%d@mail.example>", i), ""),
				Subject:    fmt.Sprintf("Quote %d for the spring order", i),
				From:       owner,
				To:         []string{bigContact},
				Date:       date,
				Direction:  discreet.Outbound,
				Snippet:    "Dear customer, please find attached our quote for the spring order …",
				Body:       "Body",
				Owner:      owner,
				Team:       team,
				Visibility: vis,
				Contacts:   []string{bigContact},
				Internal:   []string{owner},
				Participants: []string{
					bigContact, owner,
				},
				Source:   discreet.SourceSync,
				LoggedAt: date.Add(time.Minute),
			}
			bigKeys = append(bigKeys, store.SortKey(e.Date, e.ID))
			batch = append(batch, e)
			if len(batch) == cap(batch) {
				if bigErr = bigStore.logBatch(ctx, batch); bigErr != nil {
					return
				}
				batch = batch[:0]
			}
		}
		if bigErr = bigStore.logBatch(ctx, batch); bigErr != nil {
			return
		}
		slices.Sort(bigKeys)
		slices.Reverse(bigKeys)
		// No ANALYZE: the plans must be good on a database without stats.
		fmt.Fprintf(os.Stderr, "built %d emails in %v\n", bigN, time.Since(start).Round(time.Millisecond))
	})
	if bigErr != nil {
		b.Fatalf("building the big timeline: %v", bigErr)
	}
	return bigStore
}

// timedPages reads b.N pages, timing each, and reports p50 and p99.
func timedPages(b *testing.B, s *Store, q func(i int) store.TimelineQuery, wantEntries int) {
	ctx := context.Background()
	durations := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		query := q(i)
		t := time.Now()
		p, err := s.Timeline(ctx, query)
		durations = append(durations, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		if wantEntries > 0 && len(p.Entries) != wantEntries {
			b.Fatalf("page has %d entries, want %d", len(p.Entries), wantEntries)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// randomCursor starts a page at a random place, not too near the end.
func randomCursor(rng *rand.Rand) string {
	k := bigKeys[rng.IntN(len(bigKeys)*9/10)]
	return store.EncodeCursor(store.TimelineCursorScope(bigContact), k)
}

func BenchmarkTimelinePage(b *testing.B) {
	s := bigTimeline(b)
	settings := discreet.DefaultOrgSettings()
	onePct := policy.ViewerAudience(viewer, settings, discreet.AccessFull)
	admin := policy.ViewerAudience(discreet.User{Email: "boss@acme.com", Role: discreet.RoleAdmin}, discreet.OrgSettings{AdminsReadPrivate: true}, discreet.AccessFull)
	cases := []struct {
		name   string
		keys   []string
		all    bool
		cursor bool
		hidden bool
	}{
		{"1pct/first", onePct, false, false, false},
		{"1pct/first+hidden", onePct, false, false, true},
		{"1pct/random", onePct, false, true, false},
		{"1pct/random+hidden", onePct, false, true, true},
		{"all-keys/random", admin, false, true, false},
		{"all-keys/first+hidden", admin, false, false, true},
		{"stubs(All)/random+hidden", onePct, true, true, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			timedPages(b, s, func(int) store.TimelineQuery {
				q := store.TimelineQuery{Contact: bigContact, Keys: c.keys, All: c.all, Limit: 20, CountHidden: c.hidden}
				if c.cursor {
					q.Cursor = randomCursor(rng)
				}
				return q
			}, 20)
		})
	}
}

// BenchmarkLogEmail logs distinct emails from parallel goroutines onto a
// handful of contacts, each call its own durable (fsynced) transaction.
func BenchmarkLogEmail(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	var n atomic.Int64
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			contacts := []string{fmt.Sprintf("c%d@customer%d.example", i%10, i%3)}
			e := discreet.Email{
				ID:           policy.LegacyEmailID(fmt.Sprintf("<log-%d@mail.example>", i), ""),
				Subject:      "Order confirmation",
				From:         "rep@acme.com",
				To:           contacts,
				Date:         t0.Add(time.Duration(i) * time.Second),
				Snippet:      "Thank you for your order",
				Body:         "Thank you for your order, it ships next week.",
				Owner:        "rep@acme.com",
				Team:         "de",
				Visibility:   discreet.VisibilityPublic,
				Contacts:     contacts,
				Internal:     []string{"rep@acme.com"},
				Participants: append([]string{"rep@acme.com"}, contacts...),
				Source:       discreet.SourceButton,
				LoggedAt:     t0,
			}
			if _, created, err := s.LogEmail(ctx, store.EmailWrite{Email: e}); err != nil || !created {
				b.Errorf("LogEmail: created %v, %v", created, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "emails/s")
}

// BenchmarkAddNeverLogStep: one step of an import job, 200 new entries, on
// a database reopened after PRAGMA optimize saw a small list; the list
// grows by 200 each iteration.
func BenchmarkAddNeverLogStep(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Now()
	entry := func(i int) discreet.NeverLogEntry {
		return discreet.NeverLogEntry{ID: fmt.Sprintf("e%07d", i), Pattern: fmt.Sprintf("@p%07d.example", i), AddedBy: "admin@acme.example", AddedAt: at}
	}
	const small = 5
	for i := range small {
		if err := s.AddNeverLog(ctx, []discreet.NeverLogEntry{entry(i)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if s, err = Open(ctx, dir); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var stats int
	if err := rawDB(b, s).QueryRow("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'never_log'").Scan(&stats); err != nil || stats == 0 {
		b.Fatalf("no statistics of never_log (%d, %v)", stats, err)
	}
	const step = 200
	next := small
	for b.Loop() {
		batch := make([]discreet.NeverLogEntry, step)
		for i := range batch {
			batch[i] = entry(next)
			next++
		}
		if err := s.AddNeverLog(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*step), "ns/entry")
}
