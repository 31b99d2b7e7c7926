package service_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// TestSignIn: bootstrap admins and provisioned users get in by their
// verified address; anyone else only with a Workspace account (hd) of an
// internal domain, at exactly that domain.
func TestSignIn(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, service.Config{BootstrapAdmins: []string{"Boss@Acme.example", "later@acme.example"}})
	ws := func(email string) service.Identity {
		return service.Identity{Email: email, HostedDomain: "acme.example"}
	}
	// A fresh org has no internal domains: only bootstrap admins get in.
	if _, err := svc.SignInIdentity(ctx, ws("anna@acme.example")); discreet.ErrorCode(err) != discreet.EUnauthenticated {
		t.Fatalf("non-admin on a fresh org: %v, want unauthenticated", err)
	}
	boss, err := svc.SignIn(ctx, "  boss+tag@ACME.example ")
	if err != nil || boss.Role != discreet.RoleAdmin || boss.Email != "boss@acme.example" {
		t.Fatalf("bootstrap admin without hd: %+v, %v", boss, err)
	}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.example"}
	if _, err := svc.PutOrgSettings(ctx, boss, org); err != nil {
		t.Fatal(err)
	}
	// A rep provisioned before the bootstrap list named them is promoted;
	// an outside contractor provisioned by an admin gets in too.
	for _, u := range []discreet.User{{Email: "later@acme.example", Role: discreet.RoleRep}, {Email: "freelancer@gmail.com", Role: discreet.RoleRep}} {
		if _, err := svc.PutUser(ctx, boss, u); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, id service.Identity, wantRole discreet.Role, wantCode discreet.Code) {
		t.Helper()
		u, err := svc.SignInIdentity(ctx, id)
		if discreet.ErrorCode(err) != wantCode {
			t.Errorf("%s: SignInIdentity(%+v) error = %v, want code %q", name, id, err, wantCode)
			return
		}
		if err == nil && u.Role != wantRole {
			t.Errorf("%s: role = %q, want %q", name, u.Role, wantRole)
		}
	}
	check("Workspace account", ws("anna@acme.example"), discreet.RoleRep, "")
	check("Workspace account, other case", service.Identity{Email: "Anna@ACME.example", HostedDomain: "ACME.example"}, discreet.RoleRep, "")
	check("consumer account with a company address", service.Identity{Email: "mallory@acme.example"}, "", discreet.EUnauthenticated)
	check("hd of another organization", service.Identity{Email: "mallory2@acme.example", HostedDomain: "evil.example"}, "", discreet.EUnauthenticated)
	check("subdomain not listed", service.Identity{Email: "dev@eu.acme.example", HostedDomain: "eu.acme.example"}, "", discreet.EUnauthenticated)
	check("subdomain, hd the parent", service.Identity{Email: "dev@eu.acme.example", HostedDomain: "acme.example"}, "", discreet.EUnauthenticated)
	check("other domain", service.Identity{Email: "someone@other.example", HostedDomain: "other.example"}, "", discreet.EUnauthenticated)
	check("not an address", service.Identity{Email: "not an address", HostedDomain: "acme.example"}, "", discreet.EUnauthenticated)
	check("provisioned, bootstrap listed", service.Identity{Email: "later@acme.example"}, discreet.RoleAdmin, "")
	check("bootstrap admin", service.Identity{Email: "boss@acme.example"}, discreet.RoleAdmin, "")
	check("provisioned contractor", service.Identity{Email: "freelancer@gmail.com"}, discreet.RoleRep, "")
	check("dev sign-in at an internal domain", service.DevIdentity("devuser@acme.example"), discreet.RoleRep, "")
	check("dev sign-in at a subdomain", service.DevIdentity("devuser@eu.acme.example"), "", discreet.EUnauthenticated)
	if _, err := svc.SignIn(ctx, "nohd@acme.example"); discreet.ErrorCode(err) != discreet.EUnauthenticated {
		t.Errorf("SignIn without hd auto-provisioned: %v", err)
	}
	// Once an admin adds the subdomain, its Workspace accounts get in.
	org.InternalDomains = append(org.InternalDomains, "eu.acme.example")
	if _, err := svc.PutOrgSettings(ctx, boss, org); err != nil {
		t.Fatal(err)
	}
	check("subdomain listed", service.Identity{Email: "dev@eu.acme.example", HostedDomain: "eu.acme.example"}, discreet.RoleRep, "")

	// Concurrent first sign-ins create one user.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := svc.SignInIdentity(ctx, ws("race@acme.example")); err != nil {
				t.Errorf("concurrent SignIn: %v", err)
			}
		})
	}
	wg.Wait()
}

// scenario is the seed: Beat (Switzerland) logs three emails with a Swiss
// bank, one of each visibility.
type scenario struct {
	*seed
	public, team, private string // email ids
}

func newScenario(t *testing.T) *scenario {
	s := newSeed(t)
	sc := &scenario{seed: s}
	ids := map[discreet.Visibility]*string{discreet.VisibilityPublic: &sc.public, discreet.VisibilityTeam: &sc.team, discreet.VisibilityPrivate: &sc.private}
	for i, v := range []discreet.Visibility{discreet.VisibilityPublic, discreet.VisibilityTeam, discreet.VisibilityPrivate} {
		res := s.logAs(t, s.beat, mail{
			From: "Kunde <" + kunde + ">", To: []string{"Beat Keller <beat@acme-ch.example>"},
			Subject: "Subject " + string(v), Date: time.Date(2026, 10, 1+i, 12, 0, 0, 0, time.UTC),
		}, v)
		if !res.Decision.Logged || res.Decision.Reason != discreet.ReasonLogged || res.Email == nil || !res.Created {
			t.Fatalf("beat logging a %s email: %+v", v, res)
		}
		if res.Email.Visibility != v || res.Email.Owner != s.beat.Email || res.Email.Team != "ch" || res.Email.Direction != discreet.Inbound {
			t.Fatalf("logged email: %+v", res.Email.Email)
		}
		*ids[v] = res.Email.ID
	}
	return sc
}

func TestScenarioStubForOtherTeam(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)

	c, err := s.svc.Contact(ctx, s.anna, kunde)
	if err != nil {
		t.Fatal(err)
	}
	want := service.ContactView{Email: kunde, Access: discreet.AccessStub, Owner: s.beat.Email, OwnerName: "Beat Keller", Team: "ch", TeamName: "Switzerland"}
	if c != want {
		t.Errorf("anna sees %+v, want only the stub %+v", c, want)
	}
	found, err := s.svc.SearchContacts(ctx, s.anna, "  Zurich-Bank", 0)
	if err != nil || len(found) != 1 || found[0] != want {
		t.Errorf("anna's search = %+v, %v; want the stub", found, err)
	}

	tl, err := s.svc.Timeline(ctx, s.anna, kunde, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Items) != 0 || tl.Hidden == nil || *tl.Hidden != (service.HiddenSummary{Count: 3, Owner: s.beat.Email, OwnerName: "Beat Keller"}) {
		t.Errorf("anna's timeline: items %+v hidden %+v; want none and 3 hidden owned by Beat", tl.Items, tl.Hidden)
	}
	if tl.Contact != want {
		t.Errorf("timeline contact = %+v, want the stub", tl.Contact)
	}

	// No email of the three can be read, and not reading looks like not existing.
	_, missing := s.svc.Email(ctx, s.anna, "0123456789abcdef0123456789abcdef")
	wantCode(t, missing, discreet.ENotFound, "")
	for _, id := range []string{s.public, s.team, s.private} {
		_, err := s.svc.Email(ctx, s.anna, id)
		e := wantCode(t, err, discreet.ENotFound, "")
		if e.Message != discreet.ErrorMessage(missing) {
			t.Errorf("message for a hidden email %q differs from a missing one %q", e.Message, discreet.ErrorMessage(missing))
		}
		_, err = s.svc.SetVisibility(ctx, s.anna, id, discreet.VisibilityPublic)
		wantCode(t, err, discreet.ENotFound, "")
		wantCode(t, s.svc.Unlog(ctx, s.anna, id), discreet.ENotFound, "")
	}
	// The stub does not let her reassign the contact; its existence is no secret.
	_, err = s.svc.SetContactOwner(ctx, s.anna, kunde, s.anna.Email)
	wantCode(t, err, discreet.EPermission, "")
}

func TestScenarioManagerAndAudit(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)

	tl, err := s.svc.Timeline(ctx, s.carla, kunde, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, it := range tl.Items {
		if !it.Visible || it.Email == nil {
			t.Fatalf("hidden item on a count timeline: %+v", it)
		}
		if it.Email.Body != "" {
			t.Errorf("timeline email carries its body")
		}
		subjects = append(subjects, it.Email.Subject)
	}
	if !slices.Equal(subjects, []string{"Subject team", "Subject public"}) {
		t.Errorf("carla's timeline = %v, want team then public (newest first)", subjects)
	}
	if tl.Hidden == nil || tl.Hidden.Count != 1 {
		t.Errorf("carla's hidden = %+v, want 1", tl.Hidden)
	}
	if tl.Contact.Access != discreet.AccessFull || !tl.Contact.CanManage {
		t.Errorf("carla's contact view = %+v, want full and manageable", tl.Contact)
	}

	ev, err := s.svc.Email(ctx, s.carla, s.team)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Body == "" || ev.OwnerName != "Beat Keller" || ev.CanManage {
		t.Errorf("carla's view of the team email: body %q owner %q canManage %v", ev.Body, ev.OwnerName, ev.CanManage)
	}
	_, err = s.svc.Email(ctx, s.carla, s.private)
	wantCode(t, err, discreet.ENotFound, "")
	// Carla can read it but does not own it: changing it is refused openly.
	_, err = s.svc.SetVisibility(ctx, s.carla, s.team, discreet.VisibilityPublic)
	wantCode(t, err, discreet.EPermission, "")
	wantCode(t, s.svc.Unlog(ctx, s.carla, s.public), discreet.EPermission, "")

	// Beat reads who read his team email; Anna reads nothing of it.
	reads := func(u discreet.User) (n int) {
		p, err := s.svc.Audit(ctx, u, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Items {
			if r.Action == discreet.AuditRead && r.Actor == s.carla.Email && r.EmailID == s.team && r.EmailOwner == s.beat.Email {
				n++
			}
		}
		return n
	}
	if n := reads(s.beat); n < 1 {
		t.Errorf("beat sees %d audit records of carla's reads, want at least 1", n)
	}
	if n := reads(s.anna); n != 0 {
		t.Errorf("anna sees %d audit records about beat's email", n)
	}
	if n := reads(s.admin); n < 1 {
		t.Errorf("admin sees %d read records", n)
	}
	p, err := s.svc.Audit(ctx, s.anna, 0, "")
	if err != nil || len(p.Items) != 0 {
		t.Errorf("anna's audit = %+v, %v; want nothing", p.Items, err)
	}
	// Public reads and the owner's own reads are not audited.
	before := reads(s.beat)
	if _, err := s.svc.Email(ctx, s.beat, s.team); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Email(ctx, s.carla, s.public); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Email(ctx, s.carla, s.team); err != nil {
		t.Fatal(err)
	}
	// Carla read it this way today already: one record a day
	// (audit_reads_test.go).
	if got := reads(s.beat); got != before {
		t.Errorf("after carla read it again the same day beat sees %d records, want %d", got, before)
	}
	s.clock.Add(24 * time.Hour)
	if _, err := s.svc.Email(ctx, s.carla, s.team); err != nil {
		t.Fatal(err)
	}
	if got := reads(s.beat); got != before+1 {
		t.Errorf("after carla read it the next day beat sees %d records, want %d", got, before+1)
	}
}

func TestScenarioAdmin(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)
	for _, id := range []string{s.public, s.team} {
		ev, err := s.svc.Email(ctx, s.admin, id)
		if err != nil || !ev.CanManage {
			t.Errorf("admin reading %s: %+v, %v", id, ev.CanManage, err)
		}
	}
	_, err := s.svc.Email(ctx, s.admin, s.private)
	wantCode(t, err, discreet.ENotFound, "")
	// Admins manage every email, but may not widen a private one they cannot
	// read: that would read it around adminsReadPrivate.
	_, err = s.svc.SetVisibility(ctx, s.admin, s.private, discreet.VisibilityPublic)
	if e := wantCode(t, err, discreet.EPermission, ""); e != nil && strings.Contains(e.Message, "Subject") {
		t.Errorf("refusal names the subject: %q", e.Message)
	}
	if _, err := s.svc.Email(ctx, s.carla, s.private); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Errorf("private email changed after a refused widening: %v", err)
	}
	tl, err := s.svc.Timeline(ctx, s.admin, kunde, 0, "")
	if err != nil || len(tl.Items) != 2 || tl.Hidden == nil || tl.Hidden.Count != 1 {
		t.Fatalf("admin timeline without adminsReadPrivate: %d items, hidden %+v, %v", len(tl.Items), tl.Hidden, err)
	}

	org, _ := s.svc.OrgSettings(ctx, s.admin)
	org.AdminsReadPrivate = true
	if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Email(ctx, s.admin, s.private); err != nil {
		t.Errorf("admin with adminsReadPrivate: %v", err)
	}
	tl, err = s.svc.Timeline(ctx, s.admin, kunde, 0, "")
	if err != nil || len(tl.Items) != 3 || tl.Hidden != nil {
		t.Errorf("admin timeline with adminsReadPrivate: %d items, hidden %+v, %v", len(tl.Items), tl.Hidden, err)
	}
	// The admin manages: visibility and unlog, audited under Beat's name.
	if ev, err := s.svc.SetVisibility(ctx, s.admin, s.private, discreet.VisibilityTeam); err != nil || ev.Visibility != discreet.VisibilityTeam {
		t.Fatalf("admin SetVisibility: %+v, %v", ev.Visibility, err)
	}
	if _, err := s.svc.Email(ctx, s.carla, s.private); err != nil {
		t.Errorf("carla after the email became team: %v", err)
	}
	if err := s.svc.Unlog(ctx, s.admin, s.private); err != nil {
		t.Fatal(err)
	}
	_, err = s.svc.Email(ctx, s.beat, s.private)
	wantCode(t, err, discreet.ENotFound, "")
	p, err := s.svc.Audit(ctx, s.beat, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range p.Items {
		if r.EmailID == s.private && r.Actor == s.admin.Email {
			actions = append(actions, r.Action)
		}
	}
	for _, a := range []string{discreet.AuditVisibility, discreet.AuditUnlog} {
		if !slices.Contains(actions, a) {
			t.Errorf("beat's audit lacks %s by the admin: %v", a, actions)
		}
	}
}

// An admin may unlog a private email without being able to read it.
func TestAdminUnlogsPrivateUnread(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)
	if err := s.svc.Unlog(ctx, s.admin, s.private); err != nil {
		t.Fatalf("admin unlog of an unreadable private email: %v", err)
	}
	_, err := s.svc.Email(ctx, s.beat, s.private)
	wantCode(t, err, discreet.ENotFound, "")
	// A rep who cannot read it still gets not_found, as if it never existed.
	err = s.svc.Unlog(ctx, s.anna, s.team)
	wantCode(t, err, discreet.ENotFound, "")
}

func TestTimelineHiddenModes(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)
	set := func(h discreet.HiddenEmails) {
		org, _ := s.svc.OrgSettings(ctx, s.admin)
		org.HiddenEmails = h
		if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
			t.Fatal(err)
		}
	}
	set(discreet.HiddenStubs)
	tl, err := s.svc.Timeline(ctx, s.anna, kunde, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Items) != 3 || tl.Hidden != nil {
		t.Fatalf("stubs: %d items, hidden %+v; want 3 stubs", len(tl.Items), tl.Hidden)
	}
	for _, it := range tl.Items {
		if it.Visible || it.Email != nil || it.Owner != s.beat.Email || it.OwnerName != "Beat Keller" || it.Date.IsZero() {
			t.Errorf("stub item %+v", it)
		}
	}
	tl, err = s.svc.Timeline(ctx, s.carla, kunde, 0, "")
	if err != nil || len(tl.Items) != 3 {
		t.Fatalf("carla with stubs: %d items, %v", len(tl.Items), err)
	}
	if vis := []bool{tl.Items[0].Visible, tl.Items[1].Visible, tl.Items[2].Visible}; !slices.Equal(vis, []bool{false, true, true}) {
		t.Errorf("carla's stubs timeline visibility = %v, want private hidden (newest first)", vis)
	}

	set(discreet.HiddenNone)
	tl, err = s.svc.Timeline(ctx, s.anna, kunde, 0, "")
	if err != nil || len(tl.Items) != 0 || tl.Hidden != nil {
		t.Errorf("none: %+v, %v", tl, err)
	}
}

func TestTimelinePaging(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)
	var got []string
	cursor := ""
	for range 5 {
		tl, err := s.svc.Timeline(ctx, s.beat, kunde, 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range tl.Items {
			got = append(got, it.Email.ID)
		}
		if cursor = tl.Next; cursor == "" {
			break
		}
	}
	if want := []string{s.private, s.team, s.public}; !slices.Equal(got, want) {
		t.Errorf("paged timeline = %v, want %v", got, want)
	}
	_, err := s.svc.Timeline(ctx, s.beat, kunde, 0, "garbage")
	wantCode(t, err, discreet.EInvalid, "cursor")
	_, err = s.svc.Timeline(ctx, s.beat, kunde, 101, "")
	wantCode(t, err, discreet.EInvalid, "limit")
	_, err = s.svc.Timeline(ctx, s.beat, "nobody@unknown.example", 0, "")
	wantCode(t, err, discreet.ENotFound, "")
}

func TestTimelineReadsAudited(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)
	count := func() (n int) {
		p, err := s.svc.Audit(ctx, s.beat, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Items {
			if r.Action == discreet.AuditRead && r.Detail["via"] == "timeline" {
				n++
			}
		}
		return n
	}
	for range 3 {
		if _, err := s.svc.Timeline(ctx, s.carla, kunde, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("carla's timeline views wrote %d read records, want 1 (the team email, once a day)", n)
	}
	s.clock.Add(25 * time.Hour)
	if _, err := s.svc.Timeline(ctx, s.carla, kunde, 0, ""); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Errorf("a day later: %d records, want 2", n)
	}
}

func TestLogEmailDecisions(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	for _, tc := range []struct {
		name       string
		as         discreet.User
		m          mail
		req        service.LogRequest
		wantReason discreet.Reason
		wantCode   discreet.Code
		wantField  string
	}{
		{name: "logged", as: s.anna, m: mail{From: "anna@acme.example", To: []string{"x@customer.example"}}, wantReason: discreet.ReasonLogged},
		{name: "toggled off", as: s.anna, m: mail{From: "anna@acme.example", To: []string{"x@customer.example"}}, req: service.LogRequest{Log: ptr(false)}, wantReason: discreet.ReasonToggledOff},
		{name: "internal only", as: s.anna, m: mail{From: "anna@acme.example", To: []string{"beat@acme-ch.example"}}, wantReason: discreet.ReasonInternalOnly},
		{name: "not a participant", as: s.anna, m: mail{From: "beat@acme-ch.example", To: []string{"x@customer.example"}}, wantCode: discreet.EPermission},
		{name: "bad visibility", as: s.anna, m: mail{From: "anna@acme.example", To: []string{"x@customer.example"}}, req: service.LogRequest{Visibility: "secret"}, wantCode: discreet.EInvalid, wantField: "visibility"},
		{name: "no message", as: s.anna, req: service.LogRequest{}, wantCode: discreet.EInvalid, wantField: "raw"},
		{name: "gmail not configured", as: s.anna, req: service.LogRequest{GmailMessageID: "abc"}, wantCode: discreet.EUnavailable},
		{name: "not a message", as: s.anna, req: service.LogRequest{Raw: []byte("just some text")}, wantCode: discreet.EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			if tc.m.From != "" {
				req.Raw = tc.m.raw()
			}
			res, err := s.svc.LogEmail(ctx, tc.as, req)
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode, tc.wantField)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Decision.Reason != tc.wantReason || res.Decision.Logged != (tc.wantReason == discreet.ReasonLogged) {
				t.Errorf("decision = %+v, want %s", res.Decision, tc.wantReason)
			}
			if (res.Email != nil) != res.Decision.Logged {
				t.Errorf("email = %v with decision %+v", res.Email, res.Decision)
			}
		})
	}
}

func TestLogEmailFields(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	// Beat's own default is private; the org's is public.
	if _, err := s.svc.PutMySettings(ctx, s.beat, service.MySettings{DefaultVisibility: discreet.VisibilityPrivate}); err != nil {
		t.Fatal(err)
	}
	res := s.logAs(t, s.beat, mail{
		From: "Beat Keller <Beat+crm@ACME-CH.example>", To: []string{"Kunde <" + kunde + ">", "carla@acme-ch.example"},
		Cc: []string{"Other <other@partner.example>"}, Subject: "Offer", Date: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
	}, "")
	e := res.Email
	if e == nil {
		t.Fatalf("not logged: %+v", res.Decision)
	}
	if e.Visibility != discreet.VisibilityPrivate || res.Decision.Visibility != discreet.VisibilityPrivate {
		t.Errorf("visibility = %s, want beat's default private", e.Visibility)
	}
	if e.Direction != discreet.Outbound || e.From != "beat@acme-ch.example" || e.Source != discreet.SourceButton {
		t.Errorf("direction %s from %q source %s", e.Direction, e.From, e.Source)
	}
	if !slices.Equal(e.Contacts, []string{kunde, "other@partner.example"}) || !slices.Equal(e.Internal, []string{"beat@acme-ch.example", "carla@acme-ch.example"}) {
		t.Errorf("contacts %v internal %v", e.Contacts, e.Internal)
	}
	if !e.Date.Equal(s.clock.Now()) || !e.LoggedAt.Equal(s.clock.Now()) {
		t.Errorf("date %v logged %v, want now for a date before 1970", e.Date, e.LoggedAt)
	}
	if !strings.Contains(e.Body, "Body of Offer") || e.Snippet == "" {
		t.Errorf("body %q snippet %q", e.Body, e.Snippet)
	}
	// Carla was on it: she reads the private email; Anna does not.
	if _, err := s.svc.Email(ctx, s.carla, e.ID); err != nil {
		t.Errorf("internal participant: %v", err)
	}
	_, err := s.svc.Email(ctx, s.anna, e.ID)
	wantCode(t, err, discreet.ENotFound, "")
	// The new contacts are Beat's, filed under Switzerland.
	c, err := s.svc.Contact(ctx, s.beat, "other@partner.example")
	if err != nil || c.Owner != s.beat.Email || c.Team != "ch" || c.Access != discreet.AccessFull || !c.CanManage {
		t.Errorf("new contact: %+v, %v", c, err)
	}

	// Metadata only when the org says so.
	org, _ := s.svc.OrgSettings(ctx, s.admin)
	org.StoreBodies = false
	if _, err := s.svc.PutOrgSettings(ctx, s.admin, org); err != nil {
		t.Fatal(err)
	}
	res = s.logAs(t, s.beat, mail{From: kunde, To: []string{"beat@acme-ch.example"}, Subject: "No body"}, discreet.VisibilityPublic)
	if res.Email.Body != "" {
		t.Errorf("body stored with storeBodies off: %q", res.Email.Body)
	}
}

func TestAlreadyLogged(t *testing.T) {
	s := newSeed(t)
	m := mail{From: kunde, To: []string{"beat@acme-ch.example"}, Cc: []string{"anna@acme.example"}, Subject: "Both of us", MessageID: "<shared@zurich-bank.example>"}
	first := s.logAs(t, s.beat, m, discreet.VisibilityTeam)
	again := s.logAs(t, s.beat, m, discreet.VisibilityPublic)
	if again.Created || again.Decision.Reason != discreet.ReasonAlreadyLogged || again.Email == nil || again.Email.ID != first.Email.ID || again.Email.Visibility != discreet.VisibilityTeam {
		t.Errorf("second log by beat: %+v %+v", again.Decision, again.Email)
	}
	// Anna was on it too (cc): same record, still Beat's.
	byAnna := s.logAs(t, s.anna, m, "")
	if byAnna.Created || byAnna.Decision.Reason != discreet.ReasonAlreadyLogged || byAnna.Email == nil || byAnna.Email.Owner != s.beat.Email || byAnna.Email.CanManage {
		t.Errorf("log by anna: %+v %+v", byAnna.Decision, byAnna.Email)
	}
	// The Message-ID is the identity whatever its brackets and domain case.
	m.MessageID = "  <shared@ZURICH-BANK.example>"
	if r := s.logAs(t, s.beat, m, ""); r.Created || r.Email.ID != first.Email.ID {
		t.Errorf("re-log with a differently written Message-ID created %v id %s", r.Created, r.Email.ID)
	}
}

func TestConcurrentLog(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	raw := mail{From: kunde, To: []string{"beat@acme-ch.example"}, Subject: "Race"}.raw()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		ids     = map[string]bool{}
	)
	for range 20 {
		wg.Go(func() {
			res, err := s.svc.LogEmail(ctx, s.beat, service.LogRequest{Raw: raw})
			if err != nil {
				t.Errorf("LogEmail: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if res.Created {
				created++
			}
			if res.Email != nil {
				ids[res.Email.ID] = true
			}
		})
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Errorf("created %d, ids %v; want one email", created, ids)
	}
	tl, err := s.svc.Timeline(ctx, s.beat, kunde, 0, "")
	if err != nil || len(tl.Items) != 1 {
		t.Errorf("timeline has %d items, %v", len(tl.Items), err)
	}
}

type fakeGmail struct{ raw []byte }

func (f fakeGmail) Raw(_ context.Context, tok service.GmailTokens, id string) ([]byte, error) {
	if tok.OAuthToken != "tok" || id != "g1" {
		return nil, discreet.Errorf(discreet.ENotFound, "no such message")
	}
	return f.raw, nil
}

func TestLogFromGmail(t *testing.T) {
	ctx := context.Background()
	raw := mail{From: kunde, To: []string{"beat@acme-ch.example"}, Subject: "Via Gmail"}.raw()
	svc, _ := newService(t, service.Config{Gmail: fakeGmail{raw: raw}, BootstrapAdmins: []string{"beat@acme-ch.example"}})
	beat, err := svc.SignIn(ctx, "beat@acme-ch.example")
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.LogEmail(ctx, beat, service.LogRequest{GmailMessageID: "g1", Gmail: service.GmailTokens{OAuthToken: "tok"}})
	if err != nil || !res.Created || res.Email.GmailMessageID != "g1" {
		t.Fatalf("log via Gmail: %+v, %v", res, err)
	}
	_, err = svc.LogEmail(ctx, beat, service.LogRequest{GmailMessageID: "g2", Gmail: service.GmailTokens{OAuthToken: "tok"}})
	wantCode(t, err, discreet.ENotFound, "")
}

func TestContactOwner(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)
	_, err := s.svc.SetContactOwner(ctx, s.carla, kunde, "nobody@acme.example")
	wantCode(t, err, discreet.EInvalid, "owner")
	_, err = s.svc.SetContactOwner(ctx, s.carla, "unknown@else.example", s.anna.Email)
	wantCode(t, err, discreet.ENotFound, "")
	// Carla manages Switzerland's contacts: she hands this one to Anna.
	c, err := s.svc.SetContactOwner(ctx, s.carla, kunde, "Anna@acme.example")
	if err != nil || c.Owner != s.anna.Email || c.Team != "de" || c.TeamName != "Germany" {
		t.Fatalf("reassign: %+v, %v", c, err)
	}
	if c.Access != discreet.AccessStub || c.CanManage || c.CreatedAt != nil {
		t.Errorf("carla now sees %+v, want the stub", c)
	}
	if c, _ := s.svc.Contact(ctx, s.anna, kunde); c.Access != discreet.AccessFull {
		t.Errorf("anna after reassignment: %+v", c)
	}
	// Beat's team and private emails stay his; Anna sees the public one.
	tl, err := s.svc.Timeline(ctx, s.anna, kunde, 0, "")
	if err != nil || len(tl.Items) != 1 || tl.Items[0].Email.ID != s.public || tl.Hidden == nil || tl.Hidden.Count != 2 || tl.Hidden.OwnerName != "Anna Schmidt" {
		t.Errorf("anna's timeline after reassignment: %+v, %v", tl, err)
	}
	p, err := s.svc.Audit(ctx, s.admin, 100, "")
	if err != nil || !slices.ContainsFunc(p.Items, func(r discreet.AuditRecord) bool {
		return r.Action == discreet.AuditOwner && r.Target == kunde && r.Actor == s.carla.Email
	}) {
		t.Errorf("no contact.owner audit record: %v", err)
	}
}

func TestSearchContacts(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)
	for _, q := range []string{"", " a ", "@"} {
		_, err := s.svc.SearchContacts(ctx, s.anna, q, 0)
		wantCode(t, err, discreet.EInvalid, "q")
	}
	_, err := s.svc.SearchContacts(ctx, s.anna, "ku", 101)
	wantCode(t, err, discreet.EInvalid, "limit")
	for _, q := range []string{"KU", "kunde@", "@zurich", "zurich-bank.example"} {
		got, err := s.svc.SearchContacts(ctx, s.beat, q, 0)
		if err != nil || len(got) != 1 || got[0].Access != discreet.AccessFull {
			t.Errorf("search %q: %+v, %v", q, got, err)
		}
	}
	got, err := s.svc.SearchContacts(ctx, s.beat, "nomatch", 0)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("no match: %#v, %v", got, err)
	}
}

func TestAdminOnly(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	for name, call := range map[string]func(u discreet.User) error{
		"PutTeam": func(u discreet.User) error {
			_, err := s.svc.PutTeam(ctx, u, discreet.Team{ID: "fr", Name: "France"})
			return err
		},
		"PutUser": func(u discreet.User) error {
			_, err := s.svc.PutUser(ctx, u, discreet.User{Email: "x@acme.example", Role: discreet.RoleRep})
			return err
		},
		"NeverLog": func(u discreet.User) error { _, err := s.svc.NeverLog(ctx, u, 0, ""); return err },
		"AddNeverLog": func(u discreet.User) error {
			_, err := s.svc.AddNeverLog(ctx, u, service.AddNeverLogRequest{Pattern: "@x.example"})
			return err
		},
		"RemoveNeverLog": func(u discreet.User) error { return s.svc.RemoveNeverLog(ctx, u, "nope") },
		"ImportNeverLog": func(u discreet.User) error { _, err := s.svc.ImportNeverLog(ctx, u, "@y.example"); return err },
		"ExportNeverLog": func(u discreet.User) error { _, err := s.svc.ExportNeverLog(ctx, u); return err },
		"PurgeNeverLog":  func(u discreet.User) error { _, err := s.svc.PurgeNeverLog(ctx, u, "nope", true); return err },
		"PutOrgSettings": func(u discreet.User) error {
			_, err := s.svc.PutOrgSettings(ctx, u, discreet.DefaultOrgSettings())
			return err
		},
	} {
		for _, u := range []discreet.User{s.anna, s.carla} {
			if err := call(u); discreet.ErrorCode(err) != discreet.EPermission {
				t.Errorf("%s by %s: %v, want permission_denied", name, u.Role, err)
			}
		}
		if err := call(discreet.User{}); discreet.ErrorCode(err) != discreet.EUnauthenticated {
			t.Errorf("%s by nobody: %v, want unauthenticated", name, err)
		}
	}
}
