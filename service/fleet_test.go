package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// countingStore counts the Never Log reads one instance makes.
type countingStore struct {
	store.Store
	orgLists, personalLists, versions atomic.Int64
}

func (c *countingStore) NeverLog(ctx context.Context, scope string) ([]discreet.NeverLogEntry, int64, error) {
	if scope == "" {
		c.orgLists.Add(1)
	} else {
		c.personalLists.Add(1)
	}
	return c.Store.NeverLog(ctx, scope)
}

func (c *countingStore) NeverLogVersion(ctx context.Context) (store.NeverLogChanges, error) {
	c.versions.Add(1)
	return c.Store.NeverLogVersion(ctx)
}

// fleet is two instances (a, b) on one store; b's reads are counted.
type fleet struct {
	st          store.Store
	a, b        *service.Service
	bReads      *countingStore
	admin, anna discreet.User
}

func newFleet(t *testing.T, st store.Store) *fleet {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	f := &fleet{st: st, bReads: &countingStore{Store: st}}
	f.a = service.New(service.Config{Store: st, BootstrapAdmins: []string{"admin@acme.example"}, Logger: logger, Instance: "a"})
	f.b = service.New(service.Config{Store: f.bReads, Logger: logger, Instance: "b"})
	var err error
	if f.admin, err = f.a.SignIn(ctx, "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.example"}
	if _, err := f.a.PutOrgSettings(ctx, f.admin, org); err != nil {
		t.Fatal(err)
	}
	if f.anna, err = f.a.PutUser(ctx, f.admin, discreet.User{Email: "anna@acme.example", Name: "Anna", Role: discreet.RoleRep}); err != nil {
		t.Fatal(err)
	}
	return f
}

// decide logs a message from anna to "to" on svc and returns the decision.
func (f *fleet) decide(ctx context.Context, svc *service.Service, to string) (discreet.Decision, error) {
	res, err := svc.LogEmail(ctx, f.anna, service.LogRequest{Raw: mail{From: f.anna.Email, To: []string{to}}.raw()})
	return res.Decision, err
}

func (f *fleet) mustDecide(t *testing.T, svc *service.Service, to string) discreet.Decision {
	t.Helper()
	d, err := f.decide(context.Background(), svc, to)
	if err != nil {
		t.Fatalf("deciding an email to %s: %v", to, err)
	}
	return d
}

// An edit acknowledged by one instance is respected by the very next
// decision of the other: no recheck interval, no propagation window, and
// no reading of the list (the version document carries the change).
func TestFleetNoPropagationWindow(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, openStore(t))
	if d := f.mustDecide(t, f.b, "x@late.example"); !d.Logged {
		t.Fatalf("logged nothing before any entry: %+v", d)
	}
	listsBefore := f.bReads.orgLists.Load()

	added, err := f.a.AddNeverLog(ctx, f.admin, service.AddNeverLogRequest{Pattern: "@late.example"})
	if err != nil {
		t.Fatal(err)
	}
	versions := f.bReads.versions.Load()
	d := f.mustDecide(t, f.b, "y@late.example")
	if d.Logged || d.Reason != discreet.ReasonNeverLogList || d.EntryID != added.Entry.ID || d.List != "org" {
		t.Fatalf("b decided %+v right after a added %s", d, added.Entry.ID)
	}
	if n := f.bReads.versions.Load() - versions; n != 1 {
		t.Errorf("one decision read the version document %d times, want once", n)
	}

	// A removal is as immediate, and exact.
	if err := f.a.RemoveNeverLog(ctx, f.admin, added.Entry.ID); err != nil {
		t.Fatal(err)
	}
	if d := f.mustDecide(t, f.b, "z@late.example"); !d.Logged {
		t.Fatalf("b still blocks an entry a removed: %+v", d)
	}

	// A personal edit reaches b's next decision for that user, and b does
	// not re-read the org list for it.
	if _, err := f.a.PutMySettings(ctx, f.anna, service.MySettings{NeverLog: []discreet.NeverLogEntry{{Pattern: "@cousin.example"}}}); err != nil {
		t.Fatal(err)
	}
	if d := f.mustDecide(t, f.b, "ben@cousin.example"); d.Logged || d.List != "personal" {
		t.Fatalf("b ignored anna's new personal entry: %+v", d)
	}
	if n := f.bReads.orgLists.Load() - listsBefore; n != 0 {
		t.Errorf("b read the whole org list %d times after edits the version document described", n)
	}
	c, _ := f.st.NeverLogVersion(ctx)
	if c.Version != 2 {
		t.Errorf("org version %d after one add and one removal (a personal edit moved it?)", c.Version)
	}
}

// While b's compiled list is being brought up to date, its decisions do not
// wait: they use the list they have and the recorded changes. Only a match
// on an entry removed since waits for the exact list, and fails closed
// when it cannot have it.
func TestFleetAdvanceNeverBlocksDecisions(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, openStore(t))
	old, err := f.a.AddNeverLog(ctx, f.admin, service.AddNeverLogRequest{Pattern: "@old.example"})
	if err != nil {
		t.Fatal(err)
	}
	f.mustDecide(t, f.b, "warm@up.example")

	release := make(chan struct{})
	var held atomic.Int64
	service.SetAdvanceHook(f.b, func() {
		held.Add(1)
		<-release
	})
	defer close(release)
	added, err := f.a.AddNeverLog(ctx, f.admin, service.AddNeverLogRequest{Pattern: "@new.example"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		d, err := f.decide(tctx, f.b, fmt.Sprintf("r%d@new.example", i))
		cancel()
		if err != nil || d.Logged || d.EntryID != added.Entry.ID {
			t.Fatalf("decision %d while the advance is held: %+v, %v", i, d, err)
		}
		if d, err := f.decide(ctx, f.b, fmt.Sprintf("r%d@old.example", i)); err != nil || d.Logged || d.EntryID != old.Entry.ID {
			t.Fatalf("the compiled list's entry while the advance is held: %+v, %v", d, err)
		}
	}
	// The advance starts on its own goroutine, which may not have reached
	// the hook yet on a loaded machine: wait for it, boundedly.
	for wait := time.Now().Add(10 * time.Second); held.Load() == 0 && time.Now().Before(wait); {
		time.Sleep(5 * time.Millisecond)
	}
	if held.Load() == 0 {
		t.Fatal("no advance started: the test proves nothing")
	}

	// @old.example is removed: b's compiled list still has it, so a match
	// on it needs the exact list, and the advance is held.
	if err := f.a.RemoveNeverLog(ctx, f.admin, old.Entry.ID); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = f.decide(tctx, f.b, "gone@old.example")
	cancel()
	if discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("deciding on an entry removed since, without the exact list: %v, want unavailable", err)
	}
	service.SetAdvanceHook(f.b, nil)
	release <- struct{}{} // let the held advance finish
	if d := f.mustDecide(t, f.b, "gone@old.example"); !d.Logged {
		t.Fatalf("after the advance: %+v, want logged (the entry is removed)", d)
	}
	if d := f.mustDecide(t, f.b, "still@new.example"); d.Logged {
		t.Fatalf("after the advance: %+v, want blocked", d)
	}
}

// An instance further behind than the recorded changes reach has no list
// known to be current: it waits for a full read, and fails closed when it
// cannot have one in time.
func TestFleetFarBehindWaits(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, openStore(t))
	f.mustDecide(t, f.b, "warm@up.example")
	lists := f.bReads.orgLists.Load()

	release := make(chan struct{})
	service.SetAdvanceHook(f.b, func() { <-release })
	big := make([]discreet.NeverLogEntry, store.NeverLogRecent+44)
	for i := range big {
		big[i] = discreet.NeverLogEntry{ID: fmt.Sprintf("big-%d", i), Pattern: fmt.Sprintf("@big%03d.example", i), AddedBy: f.admin.Email, AddedAt: time.Now()}
	}
	if err := f.st.AddNeverLog(ctx, big); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err := f.decide(tctx, f.b, "x@unlisted.example")
	cancel()
	if discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("a decision on a list known to be stale: %v, want unavailable", err)
	}
	service.SetAdvanceHook(f.b, nil)
	close(release)
	if d := f.mustDecide(t, f.b, "x@big123.example"); d.Logged || d.EntryID != "big-123" {
		t.Fatalf("after the full read: %+v", d)
	}
	if n := f.bReads.orgLists.Load() - lists; n != 1 {
		t.Errorf("b read the whole org list %d times, want once", n)
	}
}

// Fifty logs of one email, split over two instances, make one record and
// one audit record.
func TestFleetConcurrentLogsOneRecord(t *testing.T) {
	ctx := context.Background()
	f := newFleet(t, openStore(t))
	raw := mail{From: f.anna.Email, To: []string{"kunde@zurich-bank.example"}, MessageID: "<one@acme.example>"}.raw()
	var wg sync.WaitGroup
	var created atomic.Int64
	ids := make([]string, 50)
	for i := range 50 {
		svc := f.a
		if i%2 == 1 {
			svc = f.b
		}
		wg.Go(func() {
			res, err := svc.LogEmail(ctx, f.anna, service.LogRequest{Raw: raw})
			if err != nil || res.Email == nil {
				t.Errorf("log %d: %+v, %v", i, res, err)
				return
			}
			ids[i] = res.Email.ID
			if res.Created {
				created.Add(1)
			}
		})
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Fatalf("%d logs created the email, want 1", created.Load())
	}
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("two records: %s and %s", ids[0], id)
		}
	}
	rs, _, err := f.st.Audit(ctx, store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	logs := 0
	for _, r := range rs {
		if r.Action == discreet.AuditLog && r.EmailID == ids[0] {
			logs++
		}
	}
	if logs != 1 {
		t.Fatalf("%d log audit records, want 1", logs)
	}
}

// Entries stored under older rules keep their spelling (a decomposed local
// part: the List compares local parts in NFC since the fail-closed
// matcher), so one mailbox may be listed twice. Whatever the order of
// removals, every instance blocks exactly while an entry for it is listed.
func TestFleetOlderSpellingsOfAnEntry(t *testing.T) {
	ctx := context.Background()
	const nfd, nfc = "jose\u0301@zurich-bank.example", "jos\u00e9@zurich-bank.example"
	for _, order := range []string{"older, newer", "newer, older", "older"} {
		t.Run(order, func(t *testing.T) {
			f := newFleet(t, openStore(t))
			// As the List stored the entry before local parts were NFC.
			older := discreet.NeverLogEntry{ID: "older", Pattern: nfd, AddedBy: f.admin.Email, AddedAt: time.Now()}
			if err := f.st.AddNeverLog(ctx, []discreet.NeverLogEntry{older}); err != nil {
				t.Fatal(err)
			}
			ids := map[string]string{"older": older.ID}
			if order != "older" {
				newer, err := f.a.AddNeverLog(ctx, f.admin, service.AddNeverLogRequest{Pattern: nfc})
				if err != nil {
					t.Fatal(err)
				}
				ids["newer"] = newer.Entry.ID
			}
			if d := f.mustDecide(t, f.b, nfc); d.Logged {
				t.Fatalf("b logged a listed address: %+v", d)
			}
			check := func(when string, wantID string) {
				t.Helper()
				wantBlocked := wantID != ""
				d := f.mustDecide(t, f.b, nfc)
				if d.Logged == wantBlocked || d.EntryID != wantID {
					t.Fatalf("%s: b decided %+v, want blocked by %q", when, d, wantID)
				}
				// never-log:check waits for b's exact list, after its advance.
				r, err := f.b.CheckNeverLog(ctx, f.anna, []string{nfd})
				if err != nil || r[0].Blocked != wantBlocked || r[0].EntryID != wantID {
					t.Fatalf("%s: b's check %+v, %v; want blocked by %q", when, r, err, wantID)
				}
				if d := f.mustDecide(t, f.b, nfd); d.Logged == wantBlocked || d.EntryID != wantID {
					t.Fatalf("%s: after b's advance, b decided %+v, want blocked by %q", when, d, wantID)
				}
			}
			removals := strings.Split(order, ", ")
			for i, r := range removals {
				if err := f.a.RemoveNeverLog(ctx, f.admin, ids[r]); err != nil {
					t.Fatal(err)
				}
				left := ""
				if i+1 < len(removals) {
					left = ids[removals[i+1]]
				}
				check(r+" removed", left)
			}
		})
	}
}
