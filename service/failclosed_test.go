package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// never-log:check reads an address as a participant is read, and matches
// it with the one matcher: odd but real spellings are blocked, not "not an
// email address".
func TestCheckNeverLogFailsClosed(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	if _, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@hr-partner.example"}); err != nil {
		t.Fatal(err)
	}
	blocked := []string{
		"lisa@hr-partner.example",
		"Lisa <lisa(hr)@hr-partner.example>",
		"lisa@(c)hr-partner.example",
		"lisa . m @ hr-partner.example",
		"lisa@hr-partner . example",
		"lisa@mail_gw.hr-partner.example",
		"lisa@" + strings.Repeat("a", 64) + ".hr-partner.example",
		"lisa@x..hr-partner.example",
		"lisa@hr-partner.example..",
		"lisa@hr-partner.example\x00",
		"LISA@ＨＲ-Partner。Example",
		"lisa＠hr-partner.example",
		"<@relay.example:lisa@hr-partner.example>",
		"=?utf-8?q?lisa?=@hr-partner.example",
		`"lisa"@hr-partner.example`,
		"kunde@zurich-bank.example, lisa@hr-partner.example",
	}
	free := map[string]string{ // address → its normalized form
		"lisa@hr-partner.example.com":     "lisa@hr-partner.example.com",
		"lisa@nothr-partner.example":      "lisa@nothr-partner.example",
		"Lisa <lisa(hr)@acme-hr.example>": "lisa@acme-hr.example",
	}
	unreadable := []string{"lisa@[192.0.2.1]", "lisa@hr-partner", "<>"}
	var in []string
	in = append(in, blocked...)
	for a := range free {
		in = append(in, a)
	}
	in = append(in, unreadable...)
	res, err := s.svc.CheckNeverLog(ctx, s.anna, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		a := in[i]
		switch {
		case slices.Contains(blocked, a):
			if !r.Blocked || r.Entry != "@hr-partner.example" || r.List != "org" || r.Error != "" || r.Normalized == "" {
				t.Errorf("check(%q) = %+v, want blocked by @hr-partner.example", a, r)
			}
		case free[a] != "":
			if r.Blocked || r.Normalized != free[a] || r.Error != "" {
				t.Errorf("check(%q) = %+v, want not blocked, normalized %q", a, r, free[a])
			}
		default:
			if r.Blocked || !strings.Contains(r.Error, "cannot be checked against the Never Log List") {
				t.Errorf("check(%q) = %+v, want an error saying it cannot be checked", a, r)
			}
		}
	}
	r, err := s.svc.CheckNeverLog(ctx, s.anna, []string{"anna"})
	if err != nil || r[0].Blocked || !strings.Contains(r[0].Error, "no '@'") {
		t.Errorf("check(anna) = %+v, %v; want the precise error", r, err)
	}
}

// The compose card and PUT /v1/intents answer a blocked recipient in any
// spelling the same way: Log off, with the recipient and the entry.
func TestComposeAndIntentBlockedSpellings(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	entry, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@hr-partner.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, hr := range []string{"Lisa <lisa(hr)@hr-partner.example>", "lisa@mail_gw.hr-partner.example", "payroll@hr-partner.example.."} {
		st, err := s.svc.ComposeState(ctx, s.anna, []string{kunde, hr})
		if err != nil || st.Log || st.Blocked == nil || st.Blocked.Address != hr || st.Blocked.Entry != "@hr-partner.example" || st.Blocked.EntryID != entry.Entry.ID {
			t.Errorf("compose state for %q = %+v (blocked %+v), %v", hr, st, st.Blocked, err)
		}
		in, err := s.svc.PutIntent(ctx, s.anna, service.IntentRequest{To: []string{kunde}, Bcc: []string{hr}, Subject: "Payroll", Log: true})
		if err != nil {
			t.Fatalf("PutIntent with %q: %v", hr, err)
		}
		if in.Log || in.Blocked == nil || in.Blocked.Address != hr || !in.Blocked.Blocked || in.Blocked.Entry != "@hr-partner.example" || in.Blocked.EntryID != entry.Entry.ID || in.Blocked.List != "org" {
			t.Errorf("PutIntent with %q = %+v (blocked %+v), want Log off and the block", hr, in.Intent, in.Blocked)
		}
	}
	// Without a listed recipient the answer carries no block, and a
	// malformed one is refused as before.
	in, err := s.svc.PutIntent(ctx, s.anna, service.IntentRequest{To: []string{kunde}, Log: true})
	if err != nil || in.Blocked != nil || !in.Log {
		t.Errorf("PutIntent without a listed recipient = %+v, %v", in, err)
	}
	_, err = s.svc.PutIntent(ctx, s.anna, service.IntentRequest{To: []string{kunde}, Cc: []string{"bad@@x"}})
	wantCode(t, err, discreet.EInvalid, "cc")

	// The intent kept for a blocked send is Log off; its capture is refused
	// by the List all the same.
	if _, err := s.svc.PutIntent(ctx, s.anna, service.IntentRequest{To: []string{kunde, "Lisa <lisa(hr)@hr-partner.example>"}, Subject: "Sick leave", Log: true}); err != nil {
		t.Fatal(err)
	}
	sent := mail{From: "anna@acme.example", To: []string{kunde, "Lisa <lisa(hr)@hr-partner.example>"}, Subject: "Sick leave"}
	res, err := s.svc.CaptureSent(ctx, s.anna, sent.raw(), "gm-hr")
	if err != nil || res.Decision.Reason != discreet.ReasonNeverLogList || res.Email != nil {
		t.Errorf("capture of the blocked send: %+v, %v", res.Decision, err)
	}
}

// Emails logged before an entry existed are found by its dry run and purge
// however their participant was written, lenient readings included, and
// the purge leaves no contact that names the purged address.
func TestPurgeFindsEverySpelling(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	anna := "anna@acme.example"
	strict := s.logAs(t, s.anna, mail{From: "Payroll <payroll@hr-partner.example>", To: []string{anna}}, "")
	obsolete := s.logAs(t, s.anna, mail{From: kunde, To: []string{anna}, Cc: []string{"lisa . m @ mail.hr-partner . example"}}, "")
	lenient := s.logAs(t, s.anna, mail{From: kunde, To: []string{anna}, Cc: []string{"lisa@mail_gw.hr-partner.example"}}, "")
	other := s.logAs(t, s.anna, mail{From: kunde, To: []string{anna}, Cc: []string{"lisa@hr-partner.example.com"}}, "")
	for _, r := range []service.LogResult{strict, obsolete, lenient, other} {
		if !r.Decision.Logged {
			t.Fatalf("not logged before the entry: %+v", r.Decision)
		}
	}
	if slices.Contains(lenient.Decision.Contacts, "lisa@mail_gw.hr-partner.example") {
		t.Errorf("a participant read leniently became a contact: %v", lenient.Decision.Contacts)
	}

	added, err := s.svc.AddNeverLog(ctx, s.admin, service.AddNeverLogRequest{Pattern: "@hr-partner.example"})
	if err != nil || added.Matching != 3 {
		t.Fatalf("add: %+v, %v; want 3 matching", added, err)
	}
	// The purge is a job: its slices look up the same keys as the count.
	started, err := s.svc.PurgeNeverLog(ctx, s.admin, added.Entry.ID, false)
	if err != nil || started.Matching != 3 || started.Job == nil {
		t.Fatalf("purge: %+v, %v", started, err)
	}
	if job := runJob(t, s, started.Job.ID); job.State != store.JobDone || job.Done != 3 {
		t.Fatalf("purge job: %+v", job)
	}
	for _, r := range []service.LogResult{strict, obsolete, lenient} {
		_, err := s.svc.Email(ctx, s.anna, r.Email.ID)
		wantCode(t, err, discreet.ENotFound, "")
	}
	if _, err := s.svc.Email(ctx, s.anna, other.Email.ID); err != nil {
		t.Errorf("an email at hr-partner.example.com was purged: %v", err)
	}
	for _, gone := range []string{"payroll@hr-partner.example", "lisa.m@mail.hr-partner.example"} {
		_, err := s.svc.Contact(ctx, s.admin, gone)
		wantCode(t, err, discreet.ENotFound, "")
	}
	found, err := s.svc.SearchContacts(ctx, s.admin, "hr-partner.example", 10)
	if err != nil || slices.ContainsFunc(found, func(c service.ContactView) bool {
		return strings.HasSuffix(c.Email, "hr-partner.example")
	}) {
		t.Errorf("SearchContacts(hr-partner.example) after the purge = %+v, %v", found, err)
	}
	if _, err := s.svc.Contact(ctx, s.admin, kunde); err != nil {
		t.Errorf("the customer, who still has an email, is gone: %v", err)
	}
}
