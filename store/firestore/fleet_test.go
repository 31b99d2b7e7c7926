package firestore_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/firestore"
	"github.com/discreet-crm/discreet/worker"
)

// A fleet: two service instances, each with its own Firestore client, on
// one Firestore (the emulator, one project).

// listReads counts the whole-list reads of one instance.
type listReads struct {
	store.Store
	org, versions atomic.Int64
}

func (l *listReads) NeverLog(ctx context.Context, scope string) ([]discreet.NeverLogEntry, int64, error) {
	if scope == "" {
		l.org.Add(1)
	}
	return l.Store.NeverLog(ctx, scope)
}

func (l *listReads) NeverLogVersion(ctx context.Context) (store.NeverLogChanges, error) {
	l.versions.Add(1)
	return l.Store.NeverLogVersion(ctx)
}

func openCountingProject(t *testing.T, project string) (*firestore.Store, *reads) {
	t.Helper()
	host := firestoreEmulator.Host(t)
	r := &reads{}
	conn, err := grpc.NewClient(host,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(ownerAuth{}),
		grpc.WithStreamInterceptor(r.intercept))
	if err != nil {
		t.Fatal(err)
	}
	return openProject(t, project, option.WithGRPCConn(conn)), r
}

type instance struct {
	st    *firestore.Store
	reads *reads // on the wire
	lists *listReads
	svc   *service.Service
}

type fleetEnv struct {
	a, b        instance
	admin, anna discreet.User
}

func newFleetEnv(t *testing.T, cfg service.Config) *fleetEnv {
	t.Helper()
	project := emulator.ProjectID()
	f := &fleetEnv{}
	for i, in := range []*instance{&f.a, &f.b} {
		in.st, in.reads = openCountingProject(t, project)
		in.lists = &listReads{Store: in.st}
		c := cfg
		c.Store, c.Instance = in.lists, fmt.Sprintf("instance-%c", 'a'+i)
		c.BootstrapAdmins = []string{"admin@acme.example"}
		if c.Logger == nil {
			c.Logger = slog.New(slog.DiscardHandler)
		}
		in.svc = service.New(c)
	}
	ctx := context.Background()
	var err error
	if f.admin, err = f.a.svc.SignIn(ctx, "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.example"}
	if _, err := f.a.svc.PutOrgSettings(ctx, f.admin, org); err != nil {
		t.Fatal(err)
	}
	if f.anna, err = f.a.svc.PutUser(ctx, f.admin, discreet.User{Email: "anna@acme.example", Name: "Anna", Role: discreet.RoleRep}); err != nil {
		t.Fatal(err)
	}
	return f
}

var msgSeq atomic.Int64

func (f *fleetEnv) raw(to, subject string) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <fleet-%d@acme.example>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n",
		f.anna.Email, to, subject, msgSeq.Add(1)))
}

func (f *fleetEnv) decide(t *testing.T, in instance, to string) discreet.Decision {
	t.Helper()
	res, err := in.svc.LogEmail(context.Background(), f.anna, service.LogRequest{Raw: f.raw(to, "Hi")})
	if err != nil {
		t.Fatalf("deciding an email to %s: %v", to, err)
	}
	return res.Decision
}

// Once an edit is acknowledged by one instance, every email the other
// decides respects it: at once, for org and personal edits, when the edit
// lands between the other's reads, for one version-document read.
func TestFleetNeverLogOneSystem(t *testing.T) {
	ctx := context.Background()
	f := newFleetEnv(t, service.Config{})
	a, b := f.a, f.b
	if d := f.decide(t, b, "x@late.example"); !d.Logged {
		t.Fatalf("before any entry: %+v", d)
	}
	// What one decision costs b on the wire, before any edit.
	b.reads.reset()
	f.decide(t, b, "y@plain.example")
	before := b.reads.lookupDocs.Load() + b.reads.queryDocs.Load()
	beforeQueries := b.reads.queries.Load()

	added, err := a.svc.AddNeverLog(ctx, f.admin, service.AddNeverLogRequest{Pattern: "@late.example"})
	if err != nil {
		t.Fatal(err)
	}
	b.reads.reset()
	versions, lists := b.lists.versions.Load(), b.lists.org.Load()
	if d := f.decide(t, b, "z@late.example"); d.Logged || d.EntryID != added.Entry.ID {
		t.Fatalf("b's first decision after a's add: %+v", d)
	}
	if n := b.lists.versions.Load() - versions; n != 1 {
		t.Errorf("the decision read the version document %d times, want 1", n)
	}
	if n := b.lists.org.Load() - lists; n != 0 {
		t.Errorf("the decision read the whole org list %d times, want 0", n)
	}
	// A blocked email reads no contacts; it must not read more than one
	// that was logged before the edit.
	if after := b.reads.lookupDocs.Load() + b.reads.queryDocs.Load(); after > before || b.reads.queries.Load() > beforeQueries {
		t.Errorf("after the edit a decision reads %d documents in %d queries, before it %d in %d", after, b.reads.queries.Load(), before, beforeQueries)
	}

	// The old read race: the edit commits between b's reading the entries
	// and the version of the whole list. b must end up with it.
	big := make([]discreet.NeverLogEntry, store.NeverLogRecent+1)
	for i := range big {
		big[i] = discreet.NeverLogEntry{ID: fmt.Sprintf("big-%d", i), Pattern: fmt.Sprintf("@big%03d.example", i), AddedBy: f.admin.Email, AddedAt: time.Now()}
	}
	if err := a.st.AddNeverLog(ctx, big); err != nil { // further than b can catch up from
		t.Fatal(err)
	}
	var raced atomic.Bool
	var race service.NeverLogAdded
	firestore.SetNeverLogReadHook(b.st, func(scope string) {
		if scope != "" || !raced.CompareAndSwap(false, true) {
			return
		}
		var err error
		if race, err = a.svc.AddNeverLog(ctx, f.admin, service.AddNeverLogRequest{Pattern: "@race.example"}); err != nil {
			t.Errorf("the edit between b's reads: %v", err)
		}
	})
	f.decide(t, b, "first@race.example") // started before the edit: either answer is right
	firestore.SetNeverLogReadHook(b.st, nil)
	if !raced.Load() {
		t.Fatal("b never read the whole list: the race was not forced")
	}
	if d := f.decide(t, b, "second@race.example"); d.Logged || d.EntryID != race.Entry.ID {
		t.Fatalf("b after an edit landed between its reads: %+v, want blocked by %s", d, race.Entry.ID)
	}

	// A removal is as immediate.
	if err := a.svc.RemoveNeverLog(ctx, f.admin, added.Entry.ID); err != nil {
		t.Fatal(err)
	}
	if d := f.decide(t, b, "again@late.example"); !d.Logged {
		t.Fatalf("b still blocks an entry a removed: %+v", d)
	}

	// A personal edit: at once, without touching the org list.
	lists = b.lists.org.Load()
	orgVersion, _ := a.st.NeverLogVersion(ctx)
	if _, err := a.svc.PutMySettings(ctx, f.anna, service.MySettings{NeverLog: []discreet.NeverLogEntry{{Pattern: "@cousin.example"}}}); err != nil {
		t.Fatal(err)
	}
	if d := f.decide(t, b, "ben@cousin.example"); d.Logged || d.List != "personal" {
		t.Fatalf("b after anna's personal edit on a: %+v", d)
	}
	if n := b.lists.org.Load() - lists; n != 0 {
		t.Errorf("a personal edit made b read the org list %d times", n)
	}
	if v, _ := a.st.NeverLogVersion(ctx); v.Version != orgVersion.Version {
		t.Errorf("a personal edit moved the org version %d → %d", orgVersion.Version, v.Version)
	}
	if _, err := a.svc.PutMySettings(ctx, f.anna, service.MySettings{NeverLog: []discreet.NeverLogEntry{}}); err != nil {
		t.Fatal(err)
	}
	if d := f.decide(t, b, "ben2@cousin.example"); !d.Logged {
		t.Fatalf("b after anna removed her personal entry on a: %+v", d)
	}
}

// Fifty concurrent logs of one email, split over the two instances, make
// one record.
func TestFleetConcurrentLogs(t *testing.T) {
	ctx := context.Background()
	f := newFleetEnv(t, service.Config{})
	raw := []byte("From: anna@acme.example\r\nTo: kunde@zurich-bank.example\r\nSubject: One\r\nMessage-ID: <fifty@acme.example>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n")
	var wg sync.WaitGroup
	var created atomic.Int64
	ids := make([]string, 50)
	for i := range 50 {
		in := f.a
		if i%2 == 1 {
			in = f.b
		}
		wg.Go(func() {
			res, err := in.svc.LogEmail(ctx, f.anna, service.LogRequest{Raw: raw})
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
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("two records: %s and %s", ids[0], id)
		}
	}
	p, err := f.a.st.Timeline(ctx, store.TimelineQuery{Contact: "kunde@zurich-bank.example", All: true, Limit: 100})
	if err != nil || len(p.Entries) != 1 {
		t.Fatalf("timeline: %d entries, %v", len(p.Entries), err)
	}
}

// dyingSaves fails every checkpoint after the first step: the instance
// dies mid-job holding its lease.
type dyingSaves struct{ store.Store }

func (dyingSaves) SaveJob(context.Context, store.Job, string) error {
	return discreet.Errorf(discreet.EUnavailable, "the instance died")
}

// A job whose instance died is taken over by another instance once its
// lease has run out, and finished from its last checkpoint.
func TestFleetJobTakeover(t *testing.T) {
	ctx := context.Background()
	const lease = 2 * time.Second
	f := newFleetEnv(t, service.Config{JobLease: lease})
	dead := service.New(service.Config{Store: dyingSaves{f.a.st}, Instance: "dead", JobLease: lease, Logger: slog.New(slog.DiscardHandler)})
	var text strings.Builder
	for i := range 450 {
		fmt.Fprintf(&text, "@take%04d.example\n", i)
	}
	res, err := dead.ImportNeverLog(ctx, f.admin, text.String())
	if err != nil || res.Job == nil {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if _, err := dead.RunJob(ctx, res.Job.ID); discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("the dying slice: %v", err)
	}
	j, err := f.a.st.Job(ctx, res.Job.ID)
	if err != nil || j.Holder != "dead" || j.Done != 0 {
		t.Fatalf("after the death: %+v, %v; want held by the dead instance, nothing checkpointed", j, err)
	}

	// b runs jobs embedded; its sweep finds the job once the lease is over.
	w := worker.NewEmbedded(worker.EmbeddedConfig{SweepEvery: 200 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	b := service.New(service.Config{Store: f.b.st, Instance: "b", JobLease: lease, Jobs: w, Logger: slog.New(slog.DiscardHandler)})
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	w.Start(wctx, b)
	defer w.Stop()
	start := time.Now()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j, err = f.b.st.Job(ctx, res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != store.JobRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job was not finished by another instance: %+v", j)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if j.State != store.JobDone || j.Done != 450 || string(j.Report) != `{"added":450,"duplicates":0}` {
		t.Fatalf("after the takeover: %+v (report %s)", j, j.Report)
	}
	list, _, err := f.b.st.NeverLog(ctx, "")
	if err != nil || len(list) != 450 {
		t.Fatalf("%d entries, %v; want 450", len(list), err)
	}
	t.Logf("taken over and finished %v after the death (lease %v)", time.Since(start).Round(100*time.Millisecond), lease)
}

// Two instances add to one rep's personal Never Log List at once, as two
// quick clicks landing on different instances would: every entry lands
// (each add is one atomic write, not a read-modify-write of the list), and
// each instance's next decision respects all of them.
func TestFleetPersonalEditsNeverLost(t *testing.T) {
	ctx := context.Background()
	f := newFleetEnv(t, service.Config{})
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		for j, in := range []instance{f.a, f.b} {
			wg.Go(func() {
				if _, err := in.svc.AddPersonalNeverLog(ctx, f.anna, fmt.Sprintf("@p%d-%d.example", j, i), ""); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mine, err := f.a.svc.MySettings(ctx, f.anna)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.NeverLog) != 2*n {
		t.Fatalf("%d personal entries after %d concurrent adds", len(mine.NeverLog), 2*n)
	}
	for j, in := range []instance{f.a, f.b} {
		if d := f.decide(t, in, fmt.Sprintf("x@p%d-%d.example", 1-j, n-1)); d.Reason != discreet.ReasonNeverLogList || d.List != "personal" {
			t.Errorf("instance %c: %+v", 'a'+j, d)
		}
	}
	// A removal on one instance is respected by the other at once.
	var last discreet.NeverLogEntry
	for _, e := range mine.NeverLog {
		if e.Pattern == "@p0-0.example" {
			last = e
		}
	}
	if _, err := f.a.svc.RemovePersonalNeverLog(ctx, f.anna, last.ID); err != nil {
		t.Fatal(err)
	}
	if d := f.decide(t, f.b, "x@p0-0.example"); !d.Logged {
		t.Errorf("after the removal on a: %+v", d)
	}
	if _, err := f.b.svc.RemovePersonalNeverLog(ctx, f.anna, last.ID); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Errorf("removing it again: %v", err)
	}
	if _, err := f.b.svc.AddPersonalNeverLog(ctx, f.anna, "@P1-3.example", ""); discreet.ErrorCode(err) != discreet.EConflict {
		t.Errorf("adding an entry already on the list: %v", err)
	}
}
