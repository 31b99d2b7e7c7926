package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/sqlite"
)

func TestNeverLogOrgEntryBeatsToggle(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	added, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: " *@HR-Partner.example ", Note: "payroll provider"})
	if err != nil {
		t.Fatal(err)
	}
	if added.Entry.Pattern != "@hr-partner.example" || added.Entry.AddedBy != s.admin.Email || added.Entry.ID == "" || added.Matching != 0 || added.Purge != nil {
		t.Errorf("added = %+v", added)
	}
	_, err = s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "hr-partner.example"})
	wantCode(t, err, discreet.EConflict, "")
	_, err = s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "a@@b"})
	wantCode(t, err, discreet.EInvalid, "pattern")

	m := mail{From: "anna@acme.example", To: []string{"x@customer.example"}, Cc: []string{"Pay <pay@eu.hr-partner.example>"}}
	res, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: m.raw(), Log: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	want := discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: "@hr-partner.example", List: "org", EntryID: added.Entry.ID, Address: "pay@eu.hr-partner.example"}
	if res.Email != nil || !equalDecision(res.Decision, want) {
		t.Errorf("decision = %+v, want %+v", res.Decision, want)
	}
	// Not even onto the other contact's timeline.
	_, err = s.svc.Contact(ctx, s.anna, "x@customer.example")
	wantCode(t, err, discreet.ENotFound, "")

	// Removing the entry lets the same message through at once.
	if err := s.svc.RemoveNeverLog(ctx, s.admin, added.Entry.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.svc.RemoveNeverLog(ctx, s.admin, added.Entry.ID), discreet.ENotFound, "")
	res, err = s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: m.raw()})
	if err != nil || !res.Created {
		t.Errorf("after removal: %+v, %v", res.Decision, err)
	}
	p, _ := s.svc.Audit(ctx, s.admin, 100, "")
	var actions []string
	for _, r := range p.Items {
		actions = append(actions, r.Action)
	}
	for _, a := range []string{discreet.AuditNeverLogAdd, discreet.AuditNeverLogRemove, discreet.AuditLog} {
		if !slices.Contains(actions, a) {
			t.Errorf("audit lacks %s: %v", a, actions)
		}
	}
}

func equalDecision(a, b discreet.Decision) bool {
	return a.Logged == b.Logged && a.Reason == b.Reason && a.Entry == b.Entry && a.List == b.List && a.EntryID == b.EntryID && a.Address == b.Address
}

func TestNeverLogPersonal(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	mine, err := s.svc.PutMySettings(ctx, s.anna, service.MySettings{NeverLog: []discreet.NeverLogEntry{
		{Pattern: "Friend <Friend+news@Private.example>", Note: "my friend"},
		{Pattern: "friend@private.example"}, // the same entry again
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.NeverLog) != 1 || mine.NeverLog[0].Pattern != "friend@private.example" || mine.NeverLog[0].Note != "my friend" {
		t.Fatalf("personal list = %+v", mine.NeverLog)
	}
	m := mail{From: "friend@private.example", To: []string{"anna@acme.example", "beat@acme-ch.example"}}
	res, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: m.raw()})
	if err != nil || res.Decision.Reason != discreet.ReasonNeverLogList || res.Decision.List != "personal" || res.Decision.EntryID != mine.NeverLog[0].ID {
		t.Fatalf("anna: %+v, %v", res.Decision, err)
	}
	// Beat's logging is not Anna's business.
	res, err = s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: m.raw()})
	if err != nil || !res.Created {
		t.Fatalf("beat: %+v, %v", res.Decision, err)
	}
	checks, err := s.svc.CheckNeverLog(ctx, s.anna, []string{"FRIEND@private.example", "x@y.example", "not an address"})
	if err != nil {
		t.Fatal(err)
	}
	if !checks[0].Blocked || checks[0].List != "personal" || checks[0].Normalized != "friend@private.example" || checks[1].Blocked || checks[2].Error == "" || checks[2].Blocked {
		t.Errorf("anna's checks = %+v", checks)
	}
	checks, _ = s.svc.CheckNeverLog(ctx, s.beat, []string{"friend@private.example"})
	if checks[0].Blocked {
		t.Errorf("beat is blocked by anna's personal list")
	}

	// All or nothing: one bad pattern keeps the old list.
	_, err = s.svc.PutMySettings(ctx, s.anna, service.MySettings{NeverLog: []discreet.NeverLogEntry{{Pattern: "ok@fine.example"}, {Pattern: "a b@c"}}})
	e := wantCode(t, err, discreet.EInvalid, "neverLog")
	if le, ok := e.Details.([]service.LineError); !ok || len(le) != 1 || le[0].Line != 2 {
		t.Errorf("details = %#v", e.Details)
	}
	_, err = s.svc.PutMySettings(ctx, s.anna, service.MySettings{DefaultVisibility: "secret"})
	wantCode(t, err, discreet.EInvalid, "defaultVisibility")
	got, _ := s.svc.MySettings(ctx, s.anna)
	if len(got.NeverLog) != 1 {
		t.Errorf("a rejected change changed the list: %+v", got.NeverLog)
	}
	// Replacing the list removes what is no longer named.
	got, err = s.svc.PutMySettings(ctx, s.anna, service.MySettings{DefaultLog: ptr(false), NeverLog: []discreet.NeverLogEntry{{Pattern: "@other.example"}}})
	if err != nil || len(got.NeverLog) != 1 || got.NeverLog[0].Pattern != "@other.example" || got.DefaultLog == nil || *got.DefaultLog {
		t.Fatalf("replace: %+v, %v", got, err)
	}
	res, err = s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: m.raw()})
	if err != nil || res.Decision.Reason != discreet.ReasonToggledOff {
		t.Errorf("with her default off: %+v, %v", res.Decision, err)
	}
}

func TestImportNeverLog(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	if _, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@existing.example"}); err != nil {
		t.Fatal(err)
	}
	bad := "# partners\n@good.example\n\nbad@@x.example\nsecond@ok.example,\"a note, with comma\"\n*.wild.example\n"
	_, err := s.svc.ImportNeverLog(ctx, s.admin, bad)
	e := wantCode(t, err, discreet.EInvalid, "")
	lines, ok := e.Details.([]service.LineError)
	if !ok || len(lines) != 2 || lines[0].Line != 4 || lines[0].Text != "bad@@x.example" || lines[1].Line != 6 || lines[1].Message == "" {
		t.Fatalf("line errors = %#v", e.Details)
	}
	if all, _ := s.svc.ExportNeverLog(ctx, s.admin); len(all) != 1 {
		t.Fatalf("a rejected import changed the list: %+v", all)
	}

	good := "\ufeffpattern,note\r\n# partners\r\n@good.example\r\nsecond@ok.example,\"a note, with comma\"\r\n@EXISTING.example\r\nGOOD.example\r\n\"Keller, Beat\" <beat@partner.example>\r\n"
	res, err := s.svc.ImportNeverLog(ctx, s.admin, good)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 3 || res.Duplicates != 2 {
		t.Errorf("import = %+v, want 3 added, 2 duplicates", res)
	}
	all, err := s.svc.ExportNeverLog(ctx, s.admin)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, e := range all {
		patterns = append(patterns, e.Pattern)
		if e.Pattern == "second@ok.example" && e.Note != "a note, with comma" {
			t.Errorf("note = %q", e.Note)
		}
	}
	if want := []string{"@existing.example", "@good.example", "beat@partner.example", "second@ok.example"}; !slices.Equal(patterns, want) {
		t.Errorf("patterns = %v, want %v", patterns, want)
	}
	// The export reads back as an import of nothing but duplicates.
	res, err = s.svc.ImportNeverLog(ctx, s.admin, string(service.ExportNeverLogCSV(all)))
	if err != nil || res.Added != 0 || res.Duplicates != 4 {
		t.Errorf("re-import of the export: %+v, %v", res, err)
	}
	_, err = s.svc.ImportNeverLog(ctx, s.admin, strings.Repeat("\n", service.MaxImportLines+1))
	wantCode(t, err, discreet.ETooLarge, "")

	// Paging the list.
	var paged []string
	cursor := ""
	for range 10 {
		p, err := s.svc.NeverLog(ctx, s.admin, 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Items {
			paged = append(paged, e.Pattern)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if !slices.Equal(paged, patterns) {
		t.Errorf("paged = %v, want %v", paged, patterns)
	}
	_, err = s.svc.NeverLog(ctx, s.admin, 0, "bogus")
	wantCode(t, err, discreet.EInvalid, "cursor")
}

func TestPurgeNeverLog(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	var ids []string
	for i := range 3 {
		res := s.logAs(t, s.beat, mail{From: fmt.Sprintf("p%d@mail.spam.example", i), To: []string{"beat@acme-ch.example"}, Cc: []string{kunde}}, discreet.VisibilityPrivate)
		ids = append(ids, res.Email.ID)
	}
	keep := s.logAs(t, s.beat, mail{From: kunde, To: []string{"beat@acme-ch.example"}}, "")
	added, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@spam.example"})
	if err != nil || added.Matching != 3 {
		t.Fatalf("add: %+v, %v; want 3 matching", added, err)
	}
	dry, err := s.svc.PurgeNeverLog(ctx, s.admin, added.Entry.ID, true)
	if err != nil || dry.Matching != 3 || dry.Job != nil || !dry.DryRun {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if _, err := s.svc.Email(ctx, s.beat, ids[0]); err != nil {
		t.Fatalf("a dry run deleted: %v", err)
	}
	started, err := s.svc.PurgeNeverLog(ctx, s.admin, added.Entry.ID, false)
	if err != nil || started.Job == nil || started.Matching != 3 || started.Job.Total != 3 || started.Job.State != store.JobRunning {
		t.Fatalf("purge: %+v, %v", started, err)
	}
	job := runJob(t, s, started.Job.ID)
	if job.State != store.JobDone || job.Done != 3 || string(job.Report) != `{"pattern":"@spam.example","deleted":3}` {
		t.Fatalf("purge job: %+v", job)
	}
	for _, id := range ids {
		_, err := s.svc.Email(ctx, s.beat, id)
		wantCode(t, err, discreet.ENotFound, "")
	}
	tl, err := s.svc.Timeline(ctx, s.beat, kunde, 0, "")
	if err != nil || len(tl.Items) != 1 || tl.Items[0].Email.ID != keep.Email.ID {
		t.Errorf("kunde's timeline after the purge: %+v, %v", tl.Items, err)
	}
	p, _ := s.svc.Audit(ctx, s.admin, 100, "")
	if !slices.ContainsFunc(p.Items, func(r discreet.AuditRecord) bool {
		return r.Action == discreet.AuditPurge && r.Actor == s.admin.Email && r.Count == 3 && r.Target == "@spam.example"
	}) {
		t.Errorf("no purge audit record in %+v", p.Items)
	}
	_, err = s.svc.PurgeNeverLog(ctx, s.admin, "no-such-id", true)
	wantCode(t, err, discreet.ENotFound, "")

	// Adding with purgeExisting does both at once.
	s.logAs(t, s.beat, mail{From: "x@junk.example", To: []string{"beat@acme-ch.example"}}, "")
	added, err = s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "x@junk.example", PurgeExisting: true})
	if err != nil || added.Matching != 1 || added.Purge == nil {
		t.Fatalf("add with purge: %+v, %v", added, err)
	}
	if job := runJob(t, s, added.Purge.ID); job.State != store.JobDone || job.Done != 1 {
		t.Errorf("purge job of the add: %+v", job)
	}
}

// Two instances share one store: a change made through one reaches the
// other's next check, with no recheck interval.
func TestNeverLogCacheAcrossInstances(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := service.New(service.Config{Store: st, BootstrapAdmins: []string{"admin@acme.example"}, Logger: slog.New(slog.DiscardHandler)})
	b := service.New(service.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	admin, err := a.SignIn(ctx, "admin@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	check := func(svc *service.Service) bool {
		r, err := svc.CheckNeverLog(ctx, admin, []string{"x@late.example"})
		if err != nil {
			t.Fatal(err)
		}
		return r[0].Blocked
	}
	if check(b) {
		t.Fatal("blocked before any entry")
	}
	if _, err := a.AddNeverLog(ctx, admin, service.AddNeverLogRequest{Pattern: "@late.example"}); err != nil {
		t.Fatal(err)
	}
	if !check(a) {
		t.Error("the writing instance does not see its own entry at once")
	}
	if !check(b) {
		t.Fatal("the other instance does not see the new entry at once")
	}
}

func TestComposeAndCapture(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)
	entry, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@hr-partner.example"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.svc.ComposeState(ctx, s.anna, []string{"Kunde <" + kunde + ">", "carla@acme-ch.example"})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Log || st.Visibility != discreet.VisibilityPublic || st.Blocked != nil || len(st.Contacts) != 1 || st.Contacts[0].Access != discreet.AccessStub {
		t.Errorf("compose state = %+v", st)
	}
	st, err = s.svc.ComposeState(ctx, s.anna, []string{kunde, "Pay <pay@hr-partner.example>"})
	if err != nil || st.Log || st.Blocked == nil || st.Blocked.Entry != "@hr-partner.example" || st.Blocked.EntryID != entry.Entry.ID || st.Blocked.Address != "Pay <pay@hr-partner.example>" {
		t.Errorf("blocked compose state = %+v, %v", st.Blocked, err)
	}

	_, err = s.svc.PutIntent(ctx, s.beat, service.IntentRequest{})
	wantCode(t, err, discreet.EInvalid, "to")
	_, err = s.svc.PutIntent(ctx, s.beat, service.IntentRequest{To: []string{kunde}, Cc: []string{"bad@@x"}})
	wantCode(t, err, discreet.EInvalid, "cc")
	_, err = s.svc.PutIntent(ctx, s.beat, service.IntentRequest{To: []string{kunde}, Visibility: "secret"})
	wantCode(t, err, discreet.EInvalid, "visibility")
	in, err := s.svc.PutIntent(ctx, s.beat, service.IntentRequest{To: []string{"Kunde <KUNDE@zurich-bank.example>"}, Bcc: []string{kunde, "carla@acme-ch.example"}, Subject: "Quote", Log: true, Visibility: discreet.VisibilityPrivate})
	if err != nil || !slices.Equal(in.Recipients, []string{"carla@acme-ch.example", kunde}) || !in.ExpiresAt.Equal(s.clock.Now().Add(24*time.Hour)) {
		t.Fatalf("intent = %+v, %v", in, err)
	}
	sent := mail{From: "beat@acme-ch.example", To: []string{kunde}, Cc: []string{"carla@acme-ch.example"}, Subject: "Quote"}
	res, err := s.svc.CaptureSent(ctx, s.beat, sent.raw(), "gm-1")
	if err != nil || !res.Created || res.Email.Source != discreet.SourceCompose || res.Email.Visibility != discreet.VisibilityPrivate || res.Email.Direction != discreet.Outbound {
		t.Fatalf("capture with intent: %+v %+v, %v", res.Decision, res.Email, err)
	}
	// The intent is used up: the next capture applies the defaults.
	res, err = s.svc.CaptureSent(ctx, s.beat, sent.raw(), "gm-2")
	if err != nil || !res.Created || res.Email.Source != discreet.SourceSync || res.Email.Visibility != discreet.VisibilityPublic {
		t.Fatalf("capture without intent: %+v, %v", res.Decision, err)
	}
	if _, err := s.svc.PutIntent(ctx, s.beat, service.IntentRequest{To: []string{kunde}, Subject: "Secret", Log: false}); err != nil {
		t.Fatal(err)
	}
	res, err = s.svc.CaptureSent(ctx, s.beat, mail{From: "beat@acme-ch.example", To: []string{kunde}, Subject: "Secret"}.raw(), "gm-3")
	if err != nil || res.Decision.Reason != discreet.ReasonToggledOff || res.Email != nil {
		t.Errorf("capture with a Log-off intent: %+v, %v", res.Decision, err)
	}
}
