package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// chTeam are the seed users in team ch, which the matrix's visibility
// policy caps at team.
var chTeam = []string{beat, carla, chris}

// policyEndpoints are the matrix rows of protection, the visibility
// policy and custodian transfer, run after seedProtection.
func policyEndpoints() []endpoint {
	const other = "@matrix-protected.example"
	inCH := func(who string) bool { return contains(chTeam, who) }
	return []endpoint{
		{name: "GET /v1/protected", request: get("/v1/protected"), want: adminOnly(http.StatusOK)},
		{name: "PUT /v1/protected/{pattern} (dry run)", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: path("/v1/protected/%s?dryRun=true", kunde), as: who}
		}, want: adminOnly(http.StatusOK)},
		{name: "PUT /v1/protected/{pattern}", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: path("/v1/protected/%s", other), as: who, json: map[string]any{"note": "matrix"}}
		}, want: adminOnly(http.StatusAccepted)},
		{name: "DELETE /v1/protected/{pattern}", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "DELETE", path: path("/v1/protected/%s", other), as: who}
		}, want: adminOnly(http.StatusNoContent), after: func(t *testing.T, e *env, _ *seeded, _ *seedEmail, _ string, status int) {
			if status == http.StatusNoContent {
				e.must(http.StatusAccepted, req{method: "PUT", path: path("/v1/protected/%s", other), as: admin})
			}
		}},
		{name: "POST /v1/users/{email}:transfer", request: func(_ *seeded, _ *seedEmail, who string) req {
			// Chris owns nothing: the admin's transfer moves nothing.
			return req{method: "POST", path: path("/v1/users/%s:transfer", chris), as: who, json: map[string]any{"to": dora}}
		}, want: adminOnly(http.StatusAccepted)},
		{name: "GET /v1/contacts/{email}/timeline (protected)", request: get("/v1/contacts/" + kunde + "/timeline"), want: anyUser},
		{name: "GET /v1/contacts?q= (protected)", request: get("/v1/contacts?q=kunde"), want: anyUser},
		{name: "GET /v1/contacts/{email} (protected)", request: get("/v1/contacts/" + kunde), want: anyUser},
		{name: "PATCH /v1/emails/{id} (widen)", perEmail: true, request: func(_ *seeded, em *seedEmail, who string) req {
			return req{method: "PATCH", path: "/v1/emails/" + em.id, as: who, json: map[string]any{"visibility": "public"}}
		}, want: func(_ *seeded, em *seedEmail, who string) int {
			switch {
			case em.name == "einkauf-public" && contains(em.managers, who):
				return http.StatusOK // public already: nothing changes
			case em.readableBy(who), who == admin:
				// The owner of a protected email, a participant, or an
				// admin who manages it: the email's existence is known.
				return http.StatusForbidden
			}
			return http.StatusNotFound
		}},
		{name: "POST /v1/emails (policy)", request: func(_ *seeded, _ *seedEmail, who string) req {
			m := mail{from: who, to: []string{"lead@matrix-new.example"}, subject: "Matrix policy", body: "b",
				messageID: "<policy-" + strings.ReplaceAll(who, "@", ".") + "@x>"}
			return req{method: "POST", path: "/v1/emails", as: who, json: map[string]any{"raw": m.base64url(), "visibility": "public"}}
		}, want: func(_ *seeded, _ *seedEmail, who string) int {
			if inCH(who) {
				return http.StatusForbidden
			}
			return http.StatusCreated
		}},
		{name: "PUT /v1/intents (policy)", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: "/v1/intents", as: who, json: map[string]any{"to": []string{kunde}, "log": true, "visibility": "public"}}
		}, want: func(_ *seeded, _ *seedEmail, who string) int {
			if inCH(who) {
				return http.StatusForbidden
			}
			return http.StatusOK
		}},
		{name: "PUT /v1/intents (within the policy)", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: "/v1/intents", as: who, json: map[string]any{"to": []string{kunde}, "log": true, "visibility": "team"}}
		}, want: anyUser},
		{name: "GET /v1/settings/org (policy)", request: get("/v1/settings/org"), want: anyUser},
	}
}

// seedProtection protects the seed's Swiss customer (narrowing its emails
// with the job's first pass) and caps team ch at team, and says who may
// read what from then on.
func seedProtection(t *testing.T, e *env, s *seeded) {
	t.Helper()
	var res service.ProtectResult
	e.must(http.StatusAccepted, req{method: "PUT", path: path("/v1/protected/%s", kunde), as: admin,
		json: map[string]any{"note": "M&A"}}).decode(t, &res)
	if res.Job == nil || res.Matching != 3 {
		t.Fatalf("protect: %+v", res)
	}
	// The first pass narrows; the job then waits for its second.
	for range 10 {
		run, err := e.svc.RunJob(context.Background(), res.Job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !run.Wait.IsZero() {
			break
		}
	}
	for _, name := range []string{"kunde-public", "kunde-team", "kunde-private"} {
		em := s.emails[name]
		em.readers = []string{beat, ivo} // private now: the owner and the participant
		em.managers = []string{beat}     // admins do not read private emails here
	}
	s.org.VisibilityPolicy = &discreet.VisibilityPolicy{Teams: map[string]discreet.VisibilityRule{"ch": {Max: discreet.VisibilityTeam}}}
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/settings/org", as: admin, json: s.org})
}

// TestPolicyMatrix runs the protection, policy and transfer rows as every
// role, on every backend: statuses, problem bodies (a policy refusal names
// the rule; a protection refusal says it is protected), no marker of an
// email the caller may not read in any response, and no hidden count or
// hidden row of the protected contact for anyone.
func TestPolicyMatrix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st storeT) {
		e := newEnv(t, envOptions{store: st})
		s := seed(t, e)
		seedProtection(t, e, s)
		emails := []*seedEmail{s.emails["kunde-public"], s.emails["kunde-team"], s.emails["kunde-private"], s.emails["einkauf-public"]}
		// The narrowed emails are private: Carla, Chris and the admin no
		// longer read them; Beat and Ivo do.
		for _, em := range emails {
			for _, who := range []string{admin, anna, beat, carla, chris, dora, ivo} {
				st := e.do(req{method: "GET", path: "/v1/emails/" + em.id, as: who}).status
				if want := map[bool]int{true: 200, false: 404}[em.readableBy(who)]; st != want {
					t.Errorf("after protecting, %s reads %s: %d, want %d", who, em.name, st, want)
				}
			}
		}
		rows := 0
		eachMatrixCase(policyEndpoints(), emails, func(ep endpoint, em *seedEmail, who, name string) {
			want := ep.want(s, em, who)
			if who == "" || who == eve {
				want = http.StatusUnauthorized
			}
			resp := e.do(ep.request(s, em, who))
			rows++
			if resp.status != want {
				t.Errorf("%s: %s, want %d", name, resp, want)
			}
			body := string(resp.body)
			if resp.status >= 400 {
				p := resp.problem(t)
				if resp.status == http.StatusForbidden && strings.Contains(ep.name, "(policy)") && !strings.Contains(p.Detail, "team ch") {
					t.Errorf("%s: the refusal does not name the policy: %+v", name, p)
				}
				if resp.status == http.StatusForbidden && em != nil && em.name != "einkauf-public" && who == beat && !strings.Contains(p.Detail, "protected") {
					t.Errorf("%s: the refusal does not say the email is protected: %+v", name, p)
				}
			}
			// Only its owner and admins get more than the stub.
			if strings.Contains(ep.name, "(protected)") && who != beat && who != admin && resp.status == http.StatusOK &&
				(strings.Contains(body, `"hidden"`) || strings.Contains(body, `"createdAt"`)) {
				t.Errorf("%s: the protected contact shows more than the stub: %s", name, body)
			}
			rejectHidden(t, name, body, emails, who)
			if ep.after != nil {
				ep.after(t, e, s, em, who, resp.status)
			}
		})
		// A rep logging public with the protected contact gets it private,
		// and says why.
		var res service.LogResult
		m := mail{from: anna, to: []string{kunde}, subject: "Hallo", body: "b", messageID: "<anna-protected@x>"}
		e.must(http.StatusCreated, req{method: "POST", path: "/v1/emails", as: anna,
			json: map[string]any{"raw": m.base64url(), "visibility": "public"}}).decode(t, &res)
		if res.Email == nil || res.Email.Visibility != discreet.VisibilityPrivate || res.Decision.VisibilityForced != discreet.ForcedProtected {
			t.Errorf("logging public with a protected contact: %+v", res.Decision)
		}
		t.Logf("%d policy matrix requests", rows)
	})
}
