// Package governancetest runs the service's erasure of a person end to end
// on any store, so the SQLite and the Firestore tests prove the same
// thing: an erasure leaves no copy (emails, timelines, contacts, intents,
// audit, job record) and nothing naming the person is logged again, by
// button, REST or capture, on any instance.
package governancetest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/internal/servicetest"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// mailbox is Gmail for the button path: message id to raw bytes.
type mailbox map[string][]byte

func (m mailbox) Raw(_ context.Context, _ service.GmailTokens, id string) ([]byte, error) {
	if b, ok := m[id]; ok {
		return b, nil
	}
	return nil, discreet.Errorf(discreet.ENotFound, "no message %q", id)
}

type env struct {
	st     store.Store
	a, b   *service.Service // two instances on one store
	clock  *servicetest.Clock
	gmail  mailbox
	admin  discreet.User
	rep    discreet.User
	seq    int
	ctx    context.Context
	erased string // the address erased
}

const (
	lisa = "lisa@kunde.example"
	bob  = "bob@other.example"
)

func newEnv(t *testing.T, open Open) *env {
	ctx := t.Context()
	e := &env{ctx: ctx, clock: servicetest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), gmail: mailbox{}, erased: lisa}
	st, st2 := open(t)
	e.st = st
	mk := func(name string, st store.Store) *service.Service {
		return service.New(service.Config{Store: st, Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler),
			BootstrapAdmins: []string{"admin@corp.example"}, Gmail: e.gmail, Instance: name})
	}
	e.a = mk("a", e.st)
	e.b = mk("b", st2)
	var err error
	if e.admin, err = e.a.SignIn(ctx, "admin@corp.example"); err != nil {
		t.Fatal(err)
	}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"corp.example"}
	if _, err := e.a.PutOrgSettings(ctx, e.admin, org); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.PutTeam(ctx, e.admin, discreet.Team{ID: "de", Name: "Germany"}); err != nil {
		t.Fatal(err)
	}
	if e.rep, err = e.a.PutUser(ctx, e.admin, discreet.User{Email: "rep@corp.example", Name: "Rep", Role: discreet.RoleRep, Teams: []string{"de"}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// Open makes a fresh store and a second client of the same data for a
// second instance (an embedded store may return itself twice).
type Open func(t *testing.T) (store.Store, store.Store)

func (e *env) raw(from string, to ...string) []byte {
	e.seq++
	return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: Offer %d\r\nDate: %s\r\nMessage-ID: <m%d@corp.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDear customer, offer %d.\r\n",
		from, strings.Join(to, ", "), e.seq, e.clock.Now().Format(time.RFC1123Z), e.seq, e.seq)
}

func (e *env) log(t *testing.T, svc *service.Service, to ...string) service.LogResult {
	t.Helper()
	res, err := svc.LogEmail(e.ctx, e.rep, service.LogRequest{Raw: e.raw(e.rep.Email, to...), Visibility: discreet.VisibilityPublic, Log: ptr(true)})
	if err != nil {
		t.Fatalf("LogEmail to %v: %v", to, err)
	}
	return res
}

func ptr[T any](v T) *T { return &v }

func (e *env) runJob(t *testing.T, svc *service.Service, id string) service.JobView {
	t.Helper()
	return servicetest.RunJob(t, e.ctx, svc, e.admin, e.clock, id)
}

// RunErasure is the end-to-end erasure scenario on the store open makes.
func RunErasure(t *testing.T, open Open) {
	t.Run("Address", func(t *testing.T) { testEraseAddress(t, newEnv(t, open)) })
	t.Run("Domain", func(t *testing.T) { testEraseDomain(t, newEnv(t, open)) })
	t.Run("Holds", func(t *testing.T) { testHolds(t, newEnv(t, open)) })
}

func testEraseAddress(t *testing.T, e *env) {
	ctx := e.ctx
	// Instance b decides once with one tombstone cached (another subject),
	// so its cache is warm when lisa is erased on instance a.
	if _, err := e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: "someone@else.example"}); err != nil {
		t.Fatal(err)
	}
	e.log(t, e.b, bob)

	onlyLisa := e.log(t, e.a, lisa)
	both := e.log(t, e.a, "Lisa <LISA@kunde.example>", bob)
	onlyBob := e.log(t, e.a, bob)
	for _, r := range []service.LogResult{onlyLisa, both, onlyBob} {
		if r.Email == nil {
			t.Fatalf("setup: not logged: %+v", r.Decision)
		}
	}
	if _, err := e.a.PutIntent(ctx, e.rep, service.IntentRequest{To: []string{lisa}, Subject: "Next offer", Log: true, Visibility: discreet.VisibilityPublic}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.SetContactOwner(ctx, e.admin, lisa, e.rep.Email); err != nil {
		t.Fatalf("SetContactOwner (an audit record naming lisa): %v", err)
	}

	if _, err := e.a.Erase(ctx, e.rep, service.ErasureRequest{Subject: lisa, DryRun: true}); discreet.ErrorCode(err) != discreet.EPermission {
		t.Fatalf("a rep's dry run: %v, want permission", err)
	}
	if _, err := e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: "not an address"}); discreet.ErrorCode(err) != discreet.EInvalid {
		t.Fatalf("a bad subject: %v, want invalid", err)
	}
	dry, err := e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: "Lisa@Kunde.example", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := service.ErasureCounts{Emails: 2, Contacts: 1, Intents: 1, AuditRecords: 1}
	if !dry.DryRun || dry.Counts == nil || *dry.Counts != want || dry.Job != nil {
		t.Fatalf("dry run = %+v (%+v), want %+v and no job", dry, dry.Counts, want)
	}
	// The dry run changed nothing.
	if _, err := e.a.Email(ctx, e.rep, onlyLisa.Email.ID); err != nil {
		t.Fatalf("after the dry run: %v", err)
	}

	res, err := e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: lisa})
	if err != nil || res.Job == nil || res.Job.Kind != service.JobErasure {
		t.Fatalf("Erase = %+v, %v", res, err)
	}
	// From now on nothing with lisa is logged, on either instance, even
	// before the job has run.
	e.wantRefused(t, e.b)
	e.wantRefused(t, e.a)

	job := e.runJob(t, e.a, res.Job.ID)
	if job.State != store.JobDone {
		t.Fatalf("job = %+v", job)
	}
	var rep struct {
		service.ErasureCounts
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(job.Report, &rep); err != nil || rep.ErasureCounts != want || rep.Kind != "address" {
		t.Fatalf("report %s, want %+v", job.Report, want)
	}

	for _, id := range []string{onlyLisa.Email.ID, both.Email.ID} {
		if _, err := e.st.Email(ctx, id); discreet.ErrorCode(err) != discreet.ENotFound {
			t.Fatalf("email %s naming lisa: %v, want not_found", id, err)
		}
	}
	if _, err := e.st.Email(ctx, onlyBob.Email.ID); err != nil {
		t.Fatalf("bob's own email: %v", err)
	}
	if _, err := e.st.Contact(ctx, lisa); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("contact lisa: %v, want not_found", err)
	}
	if _, err := e.st.Contact(ctx, bob); err != nil {
		t.Fatalf("contact bob: %v", err)
	}
	ins, err := e.st.Intents(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 0 {
		t.Fatalf("intents left: %+v", ins)
	}
	e.wantNoCopy(t, res.Job.ID, "lisa@kunde.example")

	// The audit says an erasure happened, by whom and how much.
	recs, _, err := e.st.Audit(ctx, store.AuditQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		if r.Action == service.AuditErasure && r.Detail["job"] == res.Job.ID {
			found = true
			if r.Actor != e.admin.Email || r.Detail["emails"] != "2" || r.Detail["contacts"] != "1" || r.Detail["intents"] != "1" || r.Detail["auditRecords"] != "1" {
				t.Fatalf("erasure audit record = %+v", r)
			}
		}
	}
	if !found {
		t.Fatal("no audit record of the erasure")
	}

	e.wantRefused(t, e.a)
	e.wantRefused(t, e.b)

	// Erasing twice is harmless: one tombstone more than before (the
	// other subject's), a job that finds nothing.
	again, err := e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: "LISA@kunde.example"})
	if err != nil {
		t.Fatal(err)
	}
	if j := e.runJob(t, e.a, again.Job.ID); j.State != store.JobDone || j.Done != 0 {
		t.Fatalf("second erasure = %+v", j)
	}
	ts, _, err := e.st.Tombstones(ctx)
	if err != nil || len(ts) != 2 {
		t.Fatalf("tombstones = %+v, %v: want 2 (someone, lisa)", ts, err)
	}
	e.wantNoCopy(t, again.Job.ID, "lisa@kunde.example")
	if _, err := e.st.Email(ctx, onlyBob.Email.ID); err != nil {
		t.Fatalf("bob's own email after erasing twice: %v", err)
	}
}

// wantRefused: button, REST and capture all refuse an email with the
// erased address, saying erased_subject and naming nobody.
func (e *env) wantRefused(t *testing.T, svc *service.Service) {
	t.Helper()
	ctx := e.ctx
	check := func(path string, res service.LogResult, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		d := res.Decision
		if d.Reason != discreet.ReasonErasedSubject || d.Logged || res.Email != nil {
			t.Fatalf("%s: %+v, want erased_subject, not logged", path, d)
		}
		b, _ := json.Marshal(res)
		if strings.Contains(strings.ToLower(string(b)), "kunde.example") {
			t.Fatalf("%s: the answer names the erased person: %s", path, b)
		}
	}
	res, err := svc.LogEmail(ctx, e.rep, service.LogRequest{Raw: e.raw(e.rep.Email, bob, "Lisa M. <"+strings.ToUpper(e.erased)+">"), Log: ptr(true)})
	check("REST", res, err)
	id := fmt.Sprintf("gm-%d", e.seq+1)
	e.gmail[id] = e.raw(e.erased, e.rep.Email)
	res, err = svc.LogEmail(ctx, e.rep, service.LogRequest{GmailMessageID: id, Gmail: service.GmailTokens{OAuthToken: "tok"}, Log: ptr(true)})
	check("button", res, err)
	res, err = svc.CaptureSent(ctx, e.rep, e.raw(e.rep.Email, e.erased), "gm-sent")
	check("capture", res, err)
}

// wantNoCopy: no audit record, and no job record, holds the text.
func (e *env) wantNoCopy(t *testing.T, jobID, text string) {
	t.Helper()
	recs, _, err := e.st.Audit(e.ctx, store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(recs)
	if strings.Contains(strings.ToLower(string(b)), text) {
		t.Fatalf("the audit still names %s: %s", text, b)
	}
	j, err := e.st.Job(e.ctx, jobID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(j)
	if strings.Contains(strings.ToLower(string(b)), text) {
		t.Fatalf("the job record still holds %s: %s", text, b)
	}
}

func testEraseDomain(t *testing.T, e *env) {
	ctx := e.ctx
	e.erased = "x@eu.gone.example"
	sub := e.log(t, e.a, "x@eu.gone.example")
	top := e.log(t, e.a, "y@gone.example", bob)
	other := e.log(t, e.a, "z@notgone.example")
	// Unlogged: the contact stays with no email, and must still go.
	orphan := e.log(t, e.a, "w@gone.example")
	if err := e.a.Unlog(ctx, e.rep, orphan.Email.ID); err != nil {
		t.Fatal(err)
	}
	dry, err := e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: "@gone.example", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := service.ErasureCounts{Emails: 2, Contacts: 3}
	if *dry.Counts != want {
		t.Fatalf("dry run %+v, want %+v", *dry.Counts, want)
	}
	res, err := e.a.Erase(ctx, e.admin, service.ErasureRequest{Subject: "@gone.example"})
	if err != nil {
		t.Fatal(err)
	}
	if j := e.runJob(t, e.a, res.Job.ID); j.State != store.JobDone {
		t.Fatalf("job %+v", j)
	}
	for _, id := range []string{sub.Email.ID, top.Email.ID} {
		if _, err := e.st.Email(ctx, id); discreet.ErrorCode(err) != discreet.ENotFound {
			t.Fatalf("email at gone.example: %v", err)
		}
	}
	for _, c := range []string{"x@eu.gone.example", "y@gone.example", "w@gone.example"} {
		if _, err := e.st.Contact(ctx, c); discreet.ErrorCode(err) != discreet.ENotFound {
			t.Fatalf("contact %s: %v, want not_found", c, err)
		}
	}
	if _, err := e.st.Email(ctx, other.Email.ID); err != nil {
		t.Fatalf("notgone.example is another domain: %v", err)
	}
	if _, err := e.st.Contact(ctx, "z@notgone.example"); err != nil {
		t.Fatalf("contact at notgone.example: %v", err)
	}
	e.wantRefused(t, e.a)
	e.wantNoCopy(t, res.Job.ID, "@gone.example")
	e.wantNoCopy(t, res.Job.ID, ".gone.example")
}
