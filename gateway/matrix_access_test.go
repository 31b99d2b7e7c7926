package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/internal/servicetest"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
)

// accessWorld runs requests against the seed org and checks, for every
// response, that it carries no marker (subject, body, participant) of an
// email its caller may not read at that moment: the seed's readers plus
// what the test granted or shared (extra).
type accessWorld struct {
	t      *testing.T
	e      *env
	s      *seeded
	emails []*seedEmail
	extra  map[string]map[string]bool // email name → who → may read now
}

func (w *accessWorld) readable(em *seedEmail, who string) bool {
	return em.readableBy(who) || w.extra[em.name][who]
}

func (w *accessWorld) allow(who string, names ...string) {
	for _, n := range names {
		if w.extra[n] == nil {
			w.extra[n] = map[string]bool{}
		}
		w.extra[n][who] = true
	}
}

func (w *accessWorld) deny(who string, names ...string) {
	for _, n := range names {
		delete(w.extra[n], who)
	}
}

// do sends r, wants status want, and checks the answer leaks nothing.
func (w *accessWorld) do(want int, r req) response {
	w.t.Helper()
	resp := w.e.do(r)
	if resp.status != want {
		w.t.Errorf("%s %s as %s: %s, want %d", r.method, r.path, r.as, resp, want)
	}
	if resp.status >= 400 {
		resp.problem(w.t)
	}
	w.noLeak(r, resp)
	return resp
}

func (w *accessWorld) noLeak(r req, resp response) {
	w.t.Helper()
	for _, em := range w.emails {
		if w.readable(em, r.as) {
			continue
		}
		for _, m := range em.markers() {
			if strings.Contains(string(resp.body), m) {
				w.t.Errorf("%s %s as %s reveals %q of %s: %s", r.method, r.path, r.as, m, em.name, resp.body)
			}
		}
	}
}

// agree checks that GET /v1/emails/{id}, the contact's timeline and its
// search result tell who the same thing: each email readable exactly when
// the world says so.
func (w *accessWorld) agree(step, who string) {
	w.t.Helper()
	for _, em := range w.emails {
		want := http.StatusNotFound
		if w.readable(em, who) {
			want = http.StatusOK
		}
		resp := w.e.do(req{method: "GET", path: "/v1/emails/" + em.id, as: who})
		if resp.status != want {
			w.t.Errorf("%s: GET %s as %s: %d, want %d", step, em.name, who, resp.status, want)
		}
		w.noLeak(req{as: who}, resp)
	}
	for _, contact := range []string{kunde, einkauf} {
		resp := w.do(http.StatusOK, req{method: "GET", path: "/v1/contacts/" + contact + "/timeline", as: who})
		for _, em := range w.emails {
			if em.mail.to[0] != contact && em.mail.from != contact {
				continue
			}
			if shown := strings.Contains(string(resp.body), em.subject); shown != w.readable(em, who) {
				w.t.Errorf("%s: timeline of %s for %s shows %s: %v, want %v", step, contact, who, em.name, shown, !shown)
			}
		}
	}
}

func (w *accessWorld) contactAccess(who string) string {
	w.t.Helper()
	var c service.ContactView
	w.do(http.StatusOK, req{method: "GET", path: "/v1/contacts/" + kunde, as: who}).decode(w.t, &c)
	var found struct{ Items []service.ContactView }
	w.do(http.StatusOK, req{method: "GET", path: "/v1/contacts?q=kunde", as: who}).decode(w.t, &found)
	for _, f := range found.Items {
		if f.Email == kunde && f.Access != c.Access {
			w.t.Errorf("search says %s has %s access to %s, the contact route %s", who, f.Access, kunde, c.Access)
		}
	}
	return string(c.Access)
}

func (w *accessWorld) request(who string, want int, body map[string]any) service.AccessRequestView {
	w.t.Helper()
	var r service.AccessRequestView
	resp := w.do(want, req{method: "POST", path: "/v1/access-requests", as: who, json: body})
	if want < 300 {
		resp.decode(w.t, &r)
	}
	return r
}

func (w *accessWorld) listed(who, role, id string) bool {
	w.t.Helper()
	var l struct{ Items []service.AccessRequestView }
	w.do(http.StatusOK, req{method: "GET", path: "/v1/access-requests?role=" + role, as: who}).decode(w.t, &l)
	for _, r := range l.Items {
		if r.ID == id {
			return true
		}
	}
	return false
}

func (w *accessWorld) auditActions(who string) map[string]int {
	w.t.Helper()
	var p struct{ Items []discreet.AuditRecord }
	w.do(http.StatusOK, req{method: "GET", path: "/v1/audit?limit=100", as: who}).decode(w.t, &p)
	out := map[string]int{}
	for _, r := range p.Items {
		out[r.Action]++
	}
	return out
}

// TestAccessMatrix walks access requests, each grant scope before and at
// its expiry, shares (user, team, expired, revoked, by an admin whose
// reading ends) and their refusals, on every backend, checking every
// answer for leaks and that the email route, the timeline and search
// agree at each step.
func TestAccessMatrix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st storeT) {
		clock := servicetest.NewClock(time.Now().UTC().Truncate(time.Second)) // grants and shares expire when the test moves it
		e := newEnv(t, envOptions{store: st, now: clock.Now})
		s := seed(t, e)
		w := &accessWorld{t: t, e: e, s: s, extra: map[string]map[string]bool{},
			emails: []*seedEmail{s.emails["kunde-public"], s.emails["kunde-team"], s.emails["kunde-private"], s.emails["einkauf-public"]}}
		pub, team, priv := s.emails["kunde-public"], s.emails["kunde-team"], s.emails["kunde-private"]
		t0 := clock.Now()
		later := clock.Add

		w.agree("start", anna)

		// A request never tells more than the stub. Count mode shows no
		// hidden rows, so an existing hidden email's id answers exactly as
		// an id that does not exist, or one on another contact.
		hiddenID := string(w.do(http.StatusNotFound, req{method: "POST", path: "/v1/access-requests", as: anna,
			json: map[string]any{"contact": kunde, "emailId": team.id, "note": "hi"}}).body)
		noID := string(w.do(http.StatusNotFound, req{method: "POST", path: "/v1/access-requests", as: anna,
			json: map[string]any{"contact": kunde, "emailId": strings.Repeat("0", len(team.id)), "note": "hi"}}).body)
		elsewhere := string(w.do(http.StatusNotFound, req{method: "POST", path: "/v1/access-requests", as: anna,
			json: map[string]any{"contact": kunde, "emailId": s.emails["einkauf-public"].id, "note": "hi"}}).body)
		if hiddenID != noID || elsewhere != noID {
			t.Errorf("a hidden email's id answers %s, a made-up id %s, one on another contact %s: must be identical", hiddenID, noID, elsewhere)
		}
		w.request(anna, http.StatusNotFound, map[string]any{"contact": "nobody@nowhere.example"})
		w.request(anna, http.StatusBadRequest, map[string]any{"contact": kunde, "scope": "everything"})
		// 409 only for what the caller already reads.
		w.request(ivo, http.StatusConflict, map[string]any{"contact": kunde, "emailId": priv.id})
		w.request(beat, http.StatusConflict, map[string]any{"contact": kunde, "scope": "contact"})
		w.request("", http.StatusUnauthorized, map[string]any{"contact": kunde})

		// contact_emails, decided by the contact's owner.
		r1 := w.request(anna, http.StatusCreated, map[string]any{"contact": kunde, "note": "Swiss customer asked us"})
		if r1.Status != discreet.RequestPending || r1.Scope != discreet.GrantContactEmails {
			t.Fatalf("request: %+v", r1)
		}
		if again := w.request(anna, http.StatusOK, map[string]any{"contact": kunde}); again.ID != r1.ID {
			t.Errorf("a repeated request is a new one: %s, %s", again.ID, r1.ID)
		}
		for who, want := range map[string]bool{beat: true, carla: true, admin: true, chris: false, dora: false, ivo: false, anna: false} {
			if got := w.listed(who, "approver", r1.ID); got != want {
				t.Errorf("%s may decide the request: listed %v, want %v", who, got, want)
			}
		}
		if !w.listed(anna, "requester", r1.ID) {
			t.Error("the requester does not see their request")
		}
		for who, want := range map[string]int{anna: 200, beat: 200, carla: 200, chris: 404, dora: 404, ivo: 404} {
			w.do(want, req{method: "GET", path: "/v1/access-requests/" + r1.ID, as: who})
		}
		for who, want := range map[string]int{chris: 404, dora: 404, ivo: 404, anna: 403} {
			w.do(want, req{method: "POST", path: "/v1/access-requests/" + r1.ID + ":grant", as: who, json: map[string]any{}})
		}
		w.do(http.StatusBadRequest, req{method: "POST", path: "/v1/access-requests/" + r1.ID + ":grant", as: beat,
			json: map[string]any{"expiresAt": t0.Add(-time.Hour)}})
		var g1 service.AccessRequestView
		w.do(http.StatusOK, req{method: "POST", path: "/v1/access-requests/" + r1.ID + ":grant", as: beat,
			json: map[string]any{"scope": "contact_emails", "expiresAt": t0.Add(time.Hour)}}).decode(t, &g1)
		if g1.Status != discreet.RequestGranted || g1.Grant == nil || !g1.Grant.ExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("grant: %+v", g1)
		}
		w.do(http.StatusConflict, req{method: "POST", path: "/v1/access-requests/" + r1.ID + ":deny", as: carla, json: map[string]any{}})
		// Beat owns all three: his grant passes on his private one too.
		w.allow(anna, pub.name, team.name, priv.name)
		w.agree("contact_emails granted", anna)
		if a := w.contactAccess(anna); a != "stub" {
			t.Errorf("contact_emails gave contact access %s", a)
		}
		w.agree("contact_emails: others unchanged", dora)
		later(time.Hour - time.Second)
		w.agree("contact_emails a second before expiry", anna)
		later(time.Second)
		w.deny(anna, pub.name, team.name, priv.name)
		w.agree("contact_emails at expiry", anna)
		var tl service.TimelineView
		w.do(http.StatusOK, req{method: "GET", path: "/v1/contacts/" + kunde + "/timeline", as: anna}).decode(t, &tl)
		if tl.Hidden == nil || tl.Hidden.Count != 3 {
			t.Errorf("after expiry the hidden count is %+v, want 3", tl.Hidden)
		}

		// contact (full access), by the team's manager, default period.
		r2 := w.request(anna, http.StatusCreated, map[string]any{"contact": kunde, "scope": "contact"})
		var g2 service.AccessRequestView
		w.do(http.StatusOK, req{method: "POST", path: "/v1/access-requests/" + r2.ID + ":grant", as: carla, json: map[string]any{}}).decode(t, &g2)
		if g2.Grant == nil || !g2.Grant.ExpiresAt.Equal(clock.Now().Add(discreet.DefaultGrantPeriod)) {
			t.Errorf("default period: %+v", g2.Grant)
		}
		if a := w.contactAccess(anna); a != "full" {
			t.Errorf("contact grant: access %s", a)
		}
		w.allow(anna, pub.name) // full access reads public emails only
		w.agree("contact granted", anna)
		later(discreet.DefaultGrantPeriod)
		w.deny(anna, pub.name)
		if a := w.contactAccess(anna); a != "stub" {
			t.Errorf("contact grant after expiry: access %s", a)
		}
		w.agree("contact at expiry", anna)

		// email, from a hidden row: stubs mode shows hidden rows with ids.
		org := s.org
		org.HiddenEmails = discreet.HiddenStubs
		w.do(http.StatusOK, req{method: "PUT", path: "/v1/settings/org", as: admin, json: org})
		w.do(http.StatusOK, req{method: "GET", path: "/v1/contacts/" + kunde + "/timeline", as: anna}).decode(t, &tl)
		rowIDs := map[string]bool{}
		for _, it := range tl.Items {
			if !it.Visible {
				rowIDs[it.EmailID] = true
			}
		}
		if !rowIDs[team.id] || !rowIDs[priv.id] {
			t.Fatalf("hidden rows name %v; want the team and private emails", rowIDs)
		}
		r3 := w.request(anna, http.StatusCreated, map[string]any{"contact": kunde, "emailId": team.id})
		if r3.Scope != discreet.GrantEmail {
			t.Errorf("request from a row: %+v", r3)
		}
		if !w.listed(carla, "approver", r3.ID) || w.listed(dora, "approver", r3.ID) {
			t.Error("the email request's deciders")
		}
		now := clock.Now()
		w.do(http.StatusOK, req{method: "POST", path: "/v1/access-requests/" + r3.ID + ":grant", as: beat,
			json: map[string]any{"expiresAt": now.Add(2 * time.Hour)}})
		w.allow(anna, team.name)
		w.agree("email granted", anna)
		// A private email: the manager may not pass it on (he cannot read
		// it), but may grant what he reads on the contact instead.
		r4 := w.request(anna, http.StatusCreated, map[string]any{"contact": kunde, "emailId": priv.id, "note": "the private one"})
		w.do(http.StatusForbidden, req{method: "POST", path: "/v1/access-requests/" + r4.ID + ":grant", as: carla,
			json: map[string]any{"scope": "email"}})
		w.do(http.StatusOK, req{method: "POST", path: "/v1/access-requests/" + r4.ID + ":grant", as: carla,
			json: map[string]any{"scope": "contact_emails", "expiresAt": now.Add(3 * time.Hour)}})
		w.allow(anna, pub.name) // team already; private never through carla
		w.agree("contact_emails by the manager", anna)
		later(2 * time.Hour)
		w.agree("email grant at expiry (contact_emails by the manager still on)", anna)
		later(time.Hour)
		w.deny(anna, pub.name, team.name)
		w.agree("all grants expired", anna)

		// Deny: the requester sees the outcome.
		r5 := w.request(anna, http.StatusCreated, map[string]any{"contact": kunde, "scope": "contact", "note": "again"})
		w.do(http.StatusOK, req{method: "POST", path: "/v1/access-requests/" + r5.ID + ":deny", as: beat, json: map[string]any{"note": "ask Carla"}})
		var mine struct{ Items []service.AccessRequestView }
		w.do(http.StatusOK, req{method: "GET", path: "/v1/access-requests?role=requester", as: anna}).decode(t, &mine)
		outcome := map[string]discreet.RequestStatus{}
		for _, r := range mine.Items {
			outcome[r.ID] = r.Status
		}
		if outcome[r5.ID] != discreet.RequestDenied || outcome[r1.ID] != discreet.RequestGranted {
			t.Errorf("the requester sees %v", outcome)
		}
		w.agree("after a denial", anna)

		// Shares: by the owner, to a user and to a team.
		var sh1, sh2 service.ShareView
		w.do(http.StatusCreated, req{method: "POST", path: "/v1/emails/" + priv.id + "/shares", as: beat,
			json: map[string]any{"users": []string{anna}}}).decode(t, &sh1)
		w.allow(anna, priv.name)
		w.agree("shared with anna", anna)
		w.agree("shared with anna: dora", dora)
		now = clock.Now()
		w.do(http.StatusCreated, req{method: "POST", path: "/v1/emails/" + priv.id + "/shares", as: beat,
			json: map[string]any{"teams": []string{"de"}, "expiresAt": now.Add(time.Hour)}}).decode(t, &sh2)
		w.allow(dora, priv.name)
		w.agree("shared with team de", dora)
		for who, want := range map[string]int{beat: 200, admin: 200, ivo: 403, anna: 403, chris: 404, dora: 403} {
			w.do(want, req{method: "GET", path: "/v1/emails/" + priv.id + "/shares", as: who})
		}
		later(time.Hour)
		w.deny(dora, priv.name)
		w.agree("team share at expiry", dora)
		w.agree("team share at expiry: anna's own share lives", anna)
		w.do(http.StatusNoContent, req{method: "DELETE", path: "/v1/emails/" + priv.id + "/shares/" + sh1.ID, as: beat})
		w.do(http.StatusNotFound, req{method: "DELETE", path: "/v1/emails/" + priv.id + "/shares/" + sh1.ID, as: beat})
		w.deny(anna, priv.name)
		w.agree("user share revoked", anna)

		// Who may not share: a reader who does not manage it, one who
		// cannot read it, an admin who may not read a private email.
		w.do(http.StatusForbidden, req{method: "POST", path: "/v1/emails/" + team.id + "/shares", as: chris, json: map[string]any{"users": []string{anna}}})
		w.do(http.StatusNotFound, req{method: "POST", path: "/v1/emails/" + priv.id + "/shares", as: anna, json: map[string]any{"users": []string{anna}}})
		w.do(http.StatusForbidden, req{method: "POST", path: "/v1/emails/" + priv.id + "/shares", as: admin, json: map[string]any{"users": []string{anna}}})
		w.do(http.StatusBadRequest, req{method: "POST", path: "/v1/emails/" + priv.id + "/shares", as: beat, json: map[string]any{"users": []string{"ghost@acme.example"}}})
		w.do(http.StatusNotFound, req{method: "DELETE", path: "/v1/emails/" + priv.id + "/shares/" + sh2.ID, as: anna})
		w.agree("after refused shares", anna)

		// An admin's share ends when admins may no longer read the email.
		var sh3 service.ShareView
		w.do(http.StatusCreated, req{method: "POST", path: "/v1/emails/" + team.id + "/shares", as: admin,
			json: map[string]any{"users": []string{anna}}}).decode(t, &sh3)
		w.allow(anna, team.name)
		w.agree("admin shared the team email", anna)
		w.do(http.StatusOK, req{method: "PATCH", path: "/v1/emails/" + team.id, as: beat, json: map[string]any{"visibility": "private"}})
		w.deny(anna, team.name)
		w.deny(admin, team.name)
		team.readers, team.managers = []string{beat, ivo}, []string{beat}
		w.agree("the admin's share of a now private email", anna)
		w.do(http.StatusOK, req{method: "PATCH", path: "/v1/emails/" + team.id, as: beat, json: map[string]any{"visibility": "team"}})
		team.readers, team.managers = []string{admin, carla, beat, chris, ivo}, []string{beat, admin}
		w.allow(anna, team.name)
		w.agree("the team email again", anna)
		w.do(http.StatusNoContent, req{method: "DELETE", path: "/v1/emails/" + team.id + "/shares/" + sh3.ID, as: admin})
		w.deny(anna, team.name)
		w.agree("admin revoked", anna)

		// Every step is audited, and the owner reads it; the requester
		// reads none of the owner's records.
		if _, err := e.svc.SweepJobs(t.Context(), discreet.User{Email: policy.System}); err != nil {
			t.Fatal(err)
		}
		got := w.auditActions(beat)
		for _, a := range []string{discreet.AuditAccessRequest, discreet.AuditAccessGrant, discreet.AuditAccessDeny,
			discreet.AuditShare, discreet.AuditShareRevoke, discreet.AuditShareExpire, discreet.AuditAccessExpire} {
			if got[a] == 0 {
				t.Errorf("beat's audit has no %s: %v", a, got)
			}
		}
		for a := range w.auditActions(anna) {
			if strings.HasPrefix(a, "access.") || strings.HasPrefix(a, "email.share") {
				t.Errorf("anna reads %s records of beat's", a)
			}
		}
		w.agree("after the expiry sweep", anna)
		w.agree("after the expiry sweep", dora)
	})
}
