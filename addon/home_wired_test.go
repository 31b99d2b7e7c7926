package addon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// homeDecisionScenarios are the homepage with every kind of waiting work
// (admin, in English and German, and a rep who owns a contact) and the
// list of expiring emails, for hand-built service results.
func homeDecisionScenarios() map[string]Response {
	en, de := enView(), deView()
	adminU := discreet.User{Email: "admin@acme.example", Name: "Ada Admin", Role: discreet.RoleAdmin}
	beatU := discreet.User{Email: "beat@acme-ch.example", Name: "Beat Keller", Role: discreet.RoleRep, Teams: []string{"ch"}}
	req := func(id, requester, name, contact string, scope discreet.GrantScope, note, created string) service.AccessRequestView {
		return service.AccessRequestView{AccessRequest: discreet.AccessRequest{ID: id, Requester: requester, Contact: contact,
			Scope: scope, Note: note, Status: discreet.RequestPending, CreatedAt: at(created)}, RequesterName: name}
	}
	annaAsks := req("req-1", "anna@acme.example", "Anna Schmidt", "kunde@zurich-bank.example", discreet.GrantContactEmails, "The CFO wrote to me <today>", "2026-03-05T09:00:00Z")
	carlaAsks := req("req-2", "carla@acme-ch.example", "Carla Rossi", "einkauf@berlin-tools.example", discreet.GrantContact, "", "2026-03-04T15:30:00Z")
	grantToAnna := discreet.Grant{ID: "g-1", Grantee: "anna@acme.example", Scope: discreet.GrantContactEmails, Contact: "kunde@zurich-bank.example",
		GrantedBy: "beat@acme-ch.example", GrantedAt: at("2026-02-06T09:00:00Z"), ExpiresAt: at("2026-03-08T09:00:00Z")}
	grantToBeat := discreet.Grant{ID: "g-2", Grantee: "beat@acme-ch.example", Scope: discreet.GrantEmail, Contact: "einkauf@berlin-tools.example",
		EmailID: "e-9", GrantedBy: "anna@acme.example", GrantedAt: at("2026-03-01T09:00:00Z"), ExpiresAt: at("2026-03-10T09:00:00Z")}
	mineGranted := service.AccessRequestView{AccessRequest: discreet.AccessRequest{ID: "req-3", Requester: "beat@acme-ch.example",
		Contact: "einkauf@berlin-tools.example", EmailID: "e-9", Scope: discreet.GrantEmail, Status: discreet.RequestGranted,
		CreatedAt: at("2026-02-28T09:00:00Z"), Grant: &grantToBeat}, RequesterName: "Beat Keller"}
	minePending := req("req-4", "beat@acme-ch.example", "Beat Keller", "info@hamburg-shipping.example", discreet.GrantContactEmails, "", "2026-03-05T08:00:00Z")
	expiring := service.Expiring{Emails: []service.ExpiringEmail{
		{ID: "e-1", Subject: "Zurich Bank: renewal quote <2025>", Date: at("2025-03-20T10:00:00Z"), Visibility: discreet.VisibilityPublic,
			Contacts: []string{"kunde@zurich-bank.example"}, ExpiresAt: at("2026-03-20T10:00:00Z")},
		{ID: "e-2", Subject: "", Date: at("2025-03-25T10:00:00Z"), Visibility: discreet.VisibilityTeam,
			Contacts: []string{"kunde@zurich-bank.example"}, ExpiresAt: at("2026-03-25T10:00:00Z")},
		{ID: "e-3", Subject: "Litigation file", Date: at("2025-03-26T10:00:00Z"), Visibility: discreet.VisibilityPrivate,
			Contacts: []string{"kunde@zurich-bank.example"}, ExpiresAt: at("2026-03-26T10:00:00Z"), Held: true},
	}}
	jobs := []service.JobView{{ID: "j3", Kind: service.JobImport, State: store.JobRunning, Done: 40, Total: 120,
		StartedBy: "admin@acme.example", CreatedAt: at("2026-03-06T08:05:00Z")}}
	adminAreas, repAreas := areas, []area(nil)
	for _, a := range areas {
		if !a.admin {
			repAreas = append(repAreas, a)
		}
	}
	busy := homeModel{User: adminU, Areas: adminAreas, Home: service.Home{Admin: true, Jobs: jobs,
		PendingDecisions: service.PendingDecisions{Requests: []service.AccessRequestView{annaAsks, carlaAsks}, Expiring: []discreet.Grant{grantToAnna}},
		ExpiringEmails:   service.Expiring{Emails: expiring.Emails[:1]}}}
	// Beat owns the Swiss customer: Anna's request on it is his to decide.
	repBusy := homeModel{User: beatU, Areas: repAreas, Home: service.Home{
		PendingDecisions: service.PendingDecisions{Requests: []service.AccessRequestView{annaAsks}, Expiring: []discreet.Grant{grantToAnna, grantToBeat}},
		MyRequests:       []service.AccessRequestView{minePending, mineGranted},
		ExpiringEmails:   expiring}}
	allHeld := homeModel{User: beatU, Areas: repAreas, Home: service.Home{ExpiringEmails: service.Expiring{Emails: expiring.Emails[2:]}}}
	return map[string]Response{
		"home_decisions_admin":    pushCard(en.homeCard(busy)),
		"home_decisions_admin_de": pushCard(de.homeCard(busy)),
		"home_decisions_rep":      pushCard(en.homeCard(repBusy)),
		"home_decisions_held":     pushCard(en.homeCard(allHeld)),
		"expiring_emails":         render("", Navigation{PushCard: en.expiringCard(beatU, expiring)}),
		"expiring_emails_more":    render("", Navigation{PushCard: en.expiringCard(beatU, service.Expiring{Emails: expiring.Emails[:2], More: true})}),
		"expiring_emails_none":    render("", Navigation{PushCard: de.expiringCard(beatU, service.Expiring{})}),
	}
}

func TestGoldenHomeDecisions(t *testing.T) {
	for name, resp := range homeDecisionScenarios() {
		t.Run(name, func(t *testing.T) { checkGolden(t, name, marshal(t, resp)) })
	}
}

// TestHomeDecisionsStayShort: the busy rep's homepage shows
// maxDecisionRows rows and "and N more" (N counts every row left off),
// and the retention row counts only what is deleted (held emails are
// kept); a homepage whose expiring emails are all held has no such row.
func TestHomeDecisionsStayShort(t *testing.T) {
	sc := homeDecisionScenarios()
	for name, want := range map[string][]string{
		"home_decisions_rep":   {"Anna Schmidt asks for the contact's emails", "2 of your emails are deleted within 30 days", "and 1 more"},
		"home_decisions_admin": {"Carla Rossi asks for the contact", "1 of your emails is deleted within 30 days", "Import"},
	} {
		resp := map[string]any{}
		if err := json.Unmarshal(marshal(t, sc[name]), &resp); err != nil {
			t.Fatal(err)
		}
		wantText(t, resp, want...)
		if n, max := widgets(resp), maxDecisionRows+2+2; n > max {
			t.Errorf("%s: %d widgets, want at most %d", name, n, max)
		}
	}
	resp := map[string]any{}
	if err := json.Unmarshal(marshal(t, sc["home_decisions_held"]), &resp); err != nil {
		t.Fatal(err)
	}
	rejectText(t, resp, "Needs your attention", "deleted within 30 days")
}

// TestGoldenAreasFromHomepage: every button on the admin's and the rep's
// homepage of the demo org pushes its area's card, as the endpoint
// answers it (golden: from_home_<user>_<area>).
func TestGoldenAreasFromHomepage(t *testing.T) {
	e := devServer(t, newDemoService(t))
	for _, u := range []struct{ name, email string }{{"admin", admin}, {"rep", anna}} {
		home := do(t, e, call{path: PathHomepage, user: u.email, body: eventJSON(ev{}, nil, nil)})
		checkGolden(t, "from_home_"+u.name, mustMarshalIndent(t, home))
		var opened []string
		for _, a := range areas {
			if actionParamValues(home, "area")[a.name] == 0 {
				continue
			}
			opened = append(opened, a.name)
			r := do(t, e, call{path: PathAction, user: u.email, body: act("openArea", map[string]string{"area": a.name}, nil)})
			wantNavs(t, u.name+" opens "+a.name, r, "push:"+a.name)
			wantText(t, r, enView().t(a.title))
			// The org list shows when each entry was added (now, in the
			// demo org); area_never_log is its golden on fixed data.
			if a.name != "neverLog" {
				checkGolden(t, "from_home_"+u.name+"_"+a.name, mustMarshalIndent(t, r))
			}
		}
		want := []string{"mySettings", "myNeverLog", "access"}
		if u.name == "admin" {
			want = nil
			for _, a := range areas {
				want = append(want, a.name)
			}
		}
		if !slices.Equal(opened, want) {
			t.Errorf("%s's homepage opens %v, want %v", u.name, opened, want)
		}
	}
}

// TestHomeDecisionFlow: through the add-on endpoints, Anna asks for
// Beat's contact from her message card; Beat's homepage lists the request
// with Review; he grants it for 7 days from there and lands on his
// homepage, refreshed, which now shows the grant ending within a week;
// Anna's homepage shows the outcome. With a retention period that ends
// within 30 days for Beat's oldest public email, his homepage counts it
// and Show lists it; Anna, who owns no such email, sees no such row.
func TestHomeDecisionFlow(t *testing.T) {
	svc := newDemoService(t)
	e := devServer(t, svc)
	home := func(user string) map[string]any {
		return do(t, e, call{path: PathHomepage, user: user, body: eventJSON(ev{}, nil, nil)})
	}
	rejectText(t, home(beat), "Needs your attention")
	do(t, e, call{path: PathAction, user: anna, body: messageEvent("zurich-to-anna",
		map[string]string{"action": "requestAccess", "contact": "kunde@zurich-bank.example", "messageId": "zurich-to-anna"},
		map[string][]string{"scope": {"contact_emails"}, "note": {"The CFO wrote to me"}})})
	wantText(t, home(anna), "Needs your attention", "You asked for the contact's emails · waiting for an answer", "kunde@zurich-bank.example")

	h := home(beat)
	wantText(t, h, "Needs your attention", "Anna Schmidt asks for the contact's emails", "kunde@zurich-bank.example")
	id := actionParamOf(h, "reviewRequest", "id")
	if id == "" {
		t.Fatalf("no Review button on Beat's homepage: %s", mustJSON(h))
	}
	// Carla manages the Swiss team: she may decide it too; Anna may not.
	wantText(t, home(carla), "Anna Schmidt asks for")
	r := do(t, e, call{path: PathAction, user: beat, body: act("reviewRequest", map[string]string{"id": id}, nil)})
	wantNavs(t, "review", r, "push:")
	wantText(t, r, "Grant", "Deny")
	r = do(t, e, call{path: PathAction, user: beat, body: act("grantRequest", map[string]string{"id": id},
		map[string][]string{"scope": {"contact_emails"}, "period": {"7"}})})
	wantNavs(t, "grant from the homepage", r, "popToRoot", "update:home")
	wantText(t, r, "Granted the contact's emails to Anna Schmidt", "anna@acme.example: the contact's emails until")
	rejectText(t, r, "Anna Schmidt asks for")
	wantText(t, home(anna), "Granted: the contact's emails until", "anna@acme.example: the contact's emails until")
	rejectText(t, home(carla), "Anna Schmidt asks for")

	// The access requests area lists the same, complete.
	r = do(t, e, call{path: PathAction, user: anna, body: act("openArea", map[string]string{"area": "access"}, nil)})
	wantText(t, r, "No request waits for you.", "Granted: the contact's emails until", "Ending within a week")

	// Retention: Beat's team email (the discount) goes in about 10 days.
	ctx := context.Background()
	a, err := svc.SignIn(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	org, err := svc.OrgSettings(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	discount := demoNow.Add(-7 * 24 * time.Hour) // Beat's team email; nobody else has one
	org.Retention = discreet.Retention{Team: fmt.Sprintf("P%dD", daysSince(discount)+10)}
	if _, err := svc.PutOrgSettings(ctx, a, org); err != nil {
		t.Fatal(err)
	}
	h = home(beat)
	wantText(t, h, "1 of your emails is deleted within 30 days")
	r = do(t, e, call{path: PathAction, user: beat, body: act("expiringEmails", nil, nil)})
	wantNavs(t, "show expiring", r, "push:"+expiringCardName)
	wantText(t, r, "Zurich Bank: discount (Swiss team only)")
	rejectText(t, r, "renewal quote", "CFO")
	rejectText(t, home(anna), "deleted within 30 days")
}

// daysSince is how many whole days lie between t and now.
func daysSince(t time.Time) int { return int(time.Since(t).Hours() / 24) }

func mustMarshalIndent(t *testing.T, x any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
