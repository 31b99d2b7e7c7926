package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

const secretCustomer = "ceo@secret-bank.example"

// TestProtectedLoggedPrivate: an email with a protected participant is
// logged private whatever the rep chose and whatever the defaults, the
// decision says why, and nobody may widen it afterwards.
func TestProtectedLoggedPrivate(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	if _, err := s.svc.Protect(ctx, s.admin, "@secret-bank.example", service.ProtectRequest{Note: "board"}); err != nil {
		t.Fatal(err)
	}
	for _, vis := range []discreet.Visibility{discreet.VisibilityPublic, discreet.VisibilityTeam, ""} {
		res := s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{"CEO <CEO@Secret-Bank.example>"}}, vis)
		d := res.Decision
		if !d.Logged || d.Visibility != discreet.VisibilityPrivate || d.VisibilityForced != discreet.ForcedProtected || d.Protected != secretCustomer {
			t.Fatalf("chose %q: decision %+v", vis, d)
		}
		if res.Email.Visibility != discreet.VisibilityPrivate {
			t.Fatalf("stored visibility %s", res.Email.Visibility)
		}
		// Widening it later is refused, for the owner and for the admin
		// (who may not change a private email anyway).
		_, err := s.svc.SetVisibility(ctx, s.beat, res.Email.ID, discreet.VisibilityTeam)
		if e := wantCode(t, err, discreet.EPermission, "visibility"); !strings.Contains(e.Message, "protected") {
			t.Fatalf("the refusal does not say why: %q", e.Message)
		}
		_, err = s.svc.SetVisibility(ctx, s.admin, res.Email.ID, discreet.VisibilityPublic)
		wantCode(t, err, discreet.EPermission, "")
		// Carla (Beat's manager, same team) does not read it.
		if _, err := s.svc.Email(ctx, s.carla, res.Email.ID); discreet.ErrorCode(err) != discreet.ENotFound {
			t.Fatalf("Carla reads a protected email: %v", err)
		}
	}
	// Unrelated mail is untouched.
	res := s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{kunde}}, discreet.VisibilityPublic)
	if res.Decision.Visibility != discreet.VisibilityPublic || res.Decision.VisibilityForced != "" {
		t.Fatalf("unprotected: %+v", res.Decision)
	}
	// The compose card offers private only.
	st, err := s.svc.ComposeState(ctx, s.anna, []string{"x@eu.secret-bank.example"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Choices.Allowed) != 1 || st.Choices.Allowed[0] != discreet.VisibilityPrivate || st.Choices.Forced != discreet.ForcedProtected {
		t.Fatalf("compose choices: %+v", st.Choices)
	}
}

// TestProtectNarrowsExisting: protecting a contact counts its emails (dry
// run: nothing changes), then narrows each to private through the job, with
// an audit record for each email's owner; the contact's timeline then
// shows no hidden count and no hidden rows to anyone.
func TestProtectNarrowsExisting(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	var ids []string
	for i, v := range []discreet.Visibility{discreet.VisibilityPublic, discreet.VisibilityTeam, discreet.VisibilityPrivate} {
		res := s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{secretCustomer}, Subject: "S" + string(rune('0'+i))}, v)
		ids = append(ids, res.Email.ID)
	}
	// Carla reads the public and the team email; Anna sees a hidden count.
	tl, err := s.svc.Timeline(ctx, s.anna, secretCustomer, 10, "")
	if err != nil || tl.Hidden == nil || tl.Hidden.Count != 3 {
		t.Fatalf("before: Anna's timeline %+v, %v", tl, err)
	}

	dry, err := s.svc.Protect(ctx, s.admin, secretCustomer, service.ProtectRequest{DryRun: true})
	if err != nil || !dry.DryRun || dry.Matching != 3 || dry.Job != nil {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if _, err := s.svc.Email(ctx, s.carla, ids[0]); err != nil {
		t.Fatalf("a dry run changed something: %v", err)
	}
	if list, _ := s.svc.ProtectedEntries(ctx, s.admin); len(list) != 0 {
		t.Fatalf("a dry run stored an entry: %+v", list)
	}

	res, err := s.svc.Protect(ctx, s.admin, secretCustomer, service.ProtectRequest{Note: "M&A"})
	if err != nil || res.Job == nil || res.Matching != 3 {
		t.Fatalf("Protect: %+v, %v", res, err)
	}
	j := runJob(t, s, res.Job.ID)
	if j.State != "done" || !strings.Contains(string(j.Report), `"narrowed":2`) {
		t.Fatalf("narrowing job: %+v %s", j, j.Report)
	}
	for _, id := range ids {
		e, err := s.svc.Email(ctx, s.beat, id)
		if err != nil || e.Visibility != discreet.VisibilityPrivate {
			t.Fatalf("after narrowing: %+v, %v", e, err)
		}
		if _, err := s.svc.Email(ctx, s.carla, id); discreet.ErrorCode(err) != discreet.ENotFound {
			t.Fatalf("Carla still reads %s: %v", id, err)
		}
	}
	// Beat, the owner, finds the narrowing in his audit.
	page, err := s.svc.Audit(ctx, s.beat, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	narrowed := 0
	for _, r := range page.Items {
		if r.Action == discreet.AuditVisibility && r.Detail["reason"] == discreet.ForcedProtected {
			narrowed++
		}
	}
	if narrowed != 2 {
		t.Fatalf("Beat sees %d narrowing records, want 2", narrowed)
	}
	// Running it again narrows nothing more.
	again, err := s.svc.Protect(ctx, s.admin, secretCustomer, service.ProtectRequest{Note: "M&A"})
	if err != nil {
		t.Fatal(err)
	}
	if j := runJob(t, s, again.Job.ID); !strings.Contains(string(j.Report), `"narrowed":0`) {
		t.Fatalf("second run: %s", j.Report)
	}

	// Nothing beyond the stub: no hidden count, no hidden rows, even in
	// stubs mode.
	for _, mode := range []discreet.HiddenEmails{discreet.HiddenCount, discreet.HiddenStubs} {
		org, _ := s.svc.OrgSettings(ctx, s.admin)
		org.HiddenEmails = mode
		if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
			t.Fatal(err)
		}
		for _, who := range []discreet.User{s.anna, s.carla} {
			tl, err := s.svc.Timeline(ctx, who, secretCustomer, 1, "")
			if err != nil {
				t.Fatal(err)
			}
			if tl.Hidden != nil || len(tl.Items) != 0 || tl.Next != "" {
				t.Fatalf("%s, %s: the protected contact's timeline shows %+v", mode, who.Email, tl)
			}
		}
		// Beat still reads his own.
		if tl, _ := s.svc.Timeline(ctx, s.beat, secretCustomer, 10, ""); len(tl.Items) != 3 {
			t.Fatalf("the owner's timeline: %+v", tl)
		}
	}

	// Unprotecting leaves the emails private; the audit has both.
	if err := s.svc.Unprotect(ctx, s.admin, "CEO@secret-bank.example"); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.Unprotect(ctx, s.admin, secretCustomer); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("unprotect twice: %v", err)
	}
	if e, _ := s.svc.Email(ctx, s.beat, ids[0]); e.Visibility != discreet.VisibilityPrivate {
		t.Fatalf("unprotecting widened: %s", e.Visibility)
	}
	// Only admins manage protection.
	_, err = s.svc.Protect(ctx, s.beat, "x@y.example", service.ProtectRequest{})
	wantCode(t, err, discreet.EPermission, "")
	_, err = s.svc.ProtectedEntries(ctx, s.carla)
	wantCode(t, err, discreet.EPermission, "")
	_, err = s.svc.Protect(ctx, s.admin, "not a pattern", service.ProtectRequest{})
	wantCode(t, err, discreet.EInvalid, "pattern")
	// Colleagues are not contacts: protecting them would make the whole
	// org's mail private at once.
	for _, pat := range []string{"anna@acme.example", "@acme-ch.example", "@example", "@eu.acme.example"} {
		_, err = s.svc.Protect(ctx, s.admin, pat, service.ProtectRequest{DryRun: true})
		wantCode(t, err, discreet.EInvalid, "pattern")
	}
}

// TestVisibilityPolicyEnforced: the service refuses what the policy
// forbids when logging, composing and changing visibility, with a 403
// naming the rule; without a choice the policy's default applies.
func TestVisibilityPolicyEnforced(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	org, _ := s.svc.OrgSettings(ctx, s.admin)
	org.VisibilityPolicy = &discreet.VisibilityPolicy{Teams: map[string]discreet.VisibilityRule{
		"ch": {Max: discreet.VisibilityTeam, Default: discreet.VisibilityPrivate},
	}}
	if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
		t.Fatal(err)
	}
	_, err := s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: mail{From: s.beat.Email, To: []string{kunde}}.raw(), Visibility: discreet.VisibilityPublic})
	e := wantCode(t, err, discreet.EPermission, "visibility")
	if !strings.Contains(e.Message, "team ch") || !strings.Contains(e.Message, "at most team") {
		t.Fatalf("the refusal does not name the policy: %q", e.Message)
	}
	res := s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{kunde}}, "")
	if res.Email.Visibility != discreet.VisibilityPrivate {
		t.Fatalf("the policy's default: %s", res.Email.Visibility)
	}
	_, err = s.svc.SetVisibility(ctx, s.beat, res.Email.ID, discreet.VisibilityPublic)
	wantCode(t, err, discreet.EPermission, "visibility")
	if _, err := s.svc.SetVisibility(ctx, s.beat, res.Email.ID, discreet.VisibilityTeam); err != nil {
		t.Fatalf("within the ceiling: %v", err)
	}
	// The owner's ceiling binds an admin too, who is under no rule.
	_, err = s.svc.SetVisibility(ctx, s.admin, res.Email.ID, discreet.VisibilityPublic)
	if e := wantCode(t, err, discreet.EPermission, "visibility"); !strings.Contains(e.Message, "owner (team ch)") {
		t.Fatalf("the refusal does not name the owner's rule: %q", e.Message)
	}
	if _, err := s.svc.SetVisibility(ctx, s.admin, res.Email.ID, discreet.VisibilityPrivate); err != nil {
		t.Fatalf("an admin narrowing within the owner's ceiling: %v", err)
	}
	_, err = s.svc.PutIntent(ctx, s.beat, service.IntentRequest{To: []string{kunde}, Log: true, Visibility: discreet.VisibilityPublic})
	wantCode(t, err, discreet.EPermission, "visibility")
	// Anna (team de) is under no rule.
	if r := s.logAs(t, s.anna, mail{From: s.anna.Email, To: []string{kunde}}, discreet.VisibilityPublic); r.Email.Visibility != discreet.VisibilityPublic {
		t.Fatalf("Anna: %s", r.Email.Visibility)
	}
	// The cards are told the choices.
	st, err := s.svc.ComposeState(ctx, s.beat, []string{kunde})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Choices.Allowed) != 2 || st.Choices.Default != discreet.VisibilityPrivate || st.Choices.Policy == nil || st.Choices.Policy.MaxBy != "team ch" {
		t.Fatalf("choices: %+v", st.Choices)
	}
	// A bad policy is refused.
	org.VisibilityPolicy = &discreet.VisibilityPolicy{Teams: map[string]discreet.VisibilityRule{"nowhere": {Max: discreet.VisibilityTeam}}}
	_, err = s.svc.PutOrgSettings(ctx, s.admin, org)
	wantCode(t, err, discreet.EInvalid, "visibilityPolicy.teams")
}

// TestProtectedFleet: a protection stored through one instance is honoured
// by the next decision of another instance whose compiled set is warm (it
// reads the protection version on every decision), and unprotecting is
// seen the same way.
func TestProtectedFleet(t *testing.T) {
	ctx := context.Background()
	a := newSeed(t)
	b, _ := newService(t, service.Config{Store: a.store})
	// Instance b decides once with nothing protected: its set is compiled.
	r, err := b.LogEmail(ctx, a.beat, service.LogRequest{Raw: mail{From: a.beat.Email, To: []string{secretCustomer}}.raw(), Visibility: discreet.VisibilityPublic})
	if err != nil || r.Email.Visibility != discreet.VisibilityPublic {
		t.Fatalf("before: %+v, %v", r.Decision, err)
	}
	if _, err := a.svc.Protect(ctx, a.admin, "@secret-bank.example", service.ProtectRequest{}); err != nil {
		t.Fatal(err)
	}
	r, err = b.LogEmail(ctx, a.beat, service.LogRequest{Raw: mail{From: a.beat.Email, To: []string{secretCustomer}}.raw(), Visibility: discreet.VisibilityPublic})
	if err != nil || r.Email.Visibility != discreet.VisibilityPrivate || r.Decision.VisibilityForced != discreet.ForcedProtected {
		t.Fatalf("the other instance did not see the protection: %+v, %v", r.Decision, err)
	}
	if err := a.svc.Unprotect(ctx, a.admin, "@secret-bank.example"); err != nil {
		t.Fatal(err)
	}
	r, err = b.LogEmail(ctx, a.beat, service.LogRequest{Raw: mail{From: a.beat.Email, To: []string{secretCustomer}}.raw(), Visibility: discreet.VisibilityPublic})
	if err != nil || r.Email.Visibility != discreet.VisibilityPublic {
		t.Fatalf("the other instance did not see the removal: %+v, %v", r.Decision, err)
	}
}

// TestProtectedBeatsAdminsReadPrivate: with adminsReadPrivate on, an admin
// may change private emails, but not widen a protected one.
func TestProtectedBeatsAdminsReadPrivate(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	org, _ := s.svc.OrgSettings(ctx, s.admin)
	org.AdminsReadPrivate = true
	if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Protect(ctx, s.admin, secretCustomer, service.ProtectRequest{}); err != nil {
		t.Fatal(err)
	}
	res := s.logAs(t, s.beat, mail{From: s.beat.Email, To: []string{secretCustomer}}, "")
	_, err := s.svc.SetVisibility(ctx, s.admin, res.Email.ID, discreet.VisibilityTeam)
	if e := wantCode(t, err, discreet.EPermission, "visibility"); !strings.Contains(e.Message, "protected") {
		t.Fatalf("refusal: %q", e.Message)
	}
}
