package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/capture"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// The roles of the matrix, by the seed user who plays each. Admin comes
// last: its successful deletes would otherwise change what others see.
var matrixRoles = []struct{ role, who string }{
	{"manager in team", carla},
	{"manager out of team", dora},
	{"rep owner", beat},
	{"rep same team", chris},
	{"rep other team", anna},
	{"internal participant", ivo},
	{"foreign domain", eve},
	{"anonymous", ""},
	{"admin", admin},
}

// endpoint is one row of the matrix: a request per caller (and per email
// for email routes) and the status the caller must get.
type endpoint struct {
	name string
	// perEmail rows run once per seed email.
	perEmail bool
	request  func(s *seeded, em *seedEmail, who string) req
	want     func(s *seeded, em *seedEmail, who string) int
	// after runs after a successful request, e.g. to restore a deleted email.
	after func(t *testing.T, e *env, s *seeded, em *seedEmail, who string, status int)
}

func anyUser(_ *seeded, _ *seedEmail, _ string) int { return http.StatusOK }

func adminOnly(status int) func(*seeded, *seedEmail, string) int {
	return func(_ *seeded, _ *seedEmail, who string) int {
		if who == admin {
			return status
		}
		return http.StatusForbidden
	}
}

func get(p string) func(*seeded, *seedEmail, string) req {
	return func(_ *seeded, _ *seedEmail, who string) req { return req{method: "GET", path: p, as: who} }
}

func matrixEndpoints() []endpoint {
	readOr404 := func(ok int) func(*seeded, *seedEmail, string) int {
		return func(_ *seeded, em *seedEmail, who string) int {
			switch {
			case contains(em.managers, who):
				return ok
			case em.readableBy(who):
				return http.StatusForbidden // it may know the email exists
			}
			return http.StatusNotFound
		}
	}
	var importSeq int
	return []endpoint{
		{name: "GET /v1/me", request: get("/v1/me"), want: anyUser},
		{name: "GET /v1/teams", request: get("/v1/teams"), want: anyUser},
		{name: "PUT /v1/teams/{id}", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: "/v1/teams/ch", as: who, json: map[string]string{"name": "Switzerland"}}
		}, want: adminOnly(http.StatusOK)},
		{name: "GET /v1/users", request: get("/v1/users"), want: anyUser},
		{name: "GET /v1/users/{email}", request: get("/v1/users/" + beat), want: anyUser},
		{name: "PUT /v1/users/{email}", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: "/v1/users/" + chris, as: who, json: map[string]any{"name": "Chris Frei", "role": "rep", "teams": []string{"ch"}}}
		}, want: adminOnly(http.StatusOK)},
		{name: "GET /v1/never-log", request: get("/v1/never-log"), want: adminOnly(http.StatusOK)},
		{name: "POST /v1/never-log", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "POST", path: "/v1/never-log", as: who, json: map[string]any{"pattern": "@added-in-matrix.example"}}
		}, want: adminOnly(http.StatusCreated)},
		{name: "DELETE /v1/never-log/{id}", request: func(s *seeded, _ *seedEmail, who string) req {
			return req{method: "DELETE", path: "/v1/never-log/" + s.hrEntry, as: who}
		}, want: adminOnly(http.StatusNoContent), after: func(t *testing.T, e *env, s *seeded, _ *seedEmail, _ string, status int) {
			if status == http.StatusNoContent { // put it back for the rows below
				var added struct{ Entry struct{ ID string } }
				e.must(http.StatusCreated, req{method: "POST", path: "/v1/never-log", as: admin, json: map[string]any{"pattern": "@hr-partner.example"}}).decode(t, &added)
				s.hrEntry = added.Entry.ID
			}
		}},
		{name: "POST /v1/never-log:import", request: func(_ *seeded, _ *seedEmail, who string) req {
			importSeq++
			return req{method: "POST", path: "/v1/never-log:import", as: who, contentType: "text/plain",
				body: "# matrix\n@imported-" + strings.Repeat("x", importSeq) + ".example\n"}
		}, want: adminOnly(http.StatusOK)},
		{name: "GET /v1/never-log:export", request: get("/v1/never-log:export"), want: adminOnly(http.StatusOK)},
		{name: "POST /v1/never-log:check", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "POST", path: "/v1/never-log:check", as: who, json: map[string]any{"addresses": []string{kunde, "x@hr-partner.example"}}}
		}, want: anyUser},
		{name: "POST /v1/never-log/{id}:purge", request: func(s *seeded, _ *seedEmail, who string) req {
			return req{method: "POST", path: "/v1/never-log/" + s.hrEntry + ":purge?dryRun=true", as: who}
		}, want: adminOnly(http.StatusOK)},
		{name: "POST /v1/erasures", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "POST", path: "/v1/erasures", as: who, json: map[string]any{"subject": kunde, "dryRun": true}}
		}, want: adminOnly(http.StatusOK)},
		{name: "POST /v1/emails", perEmail: true, request: func(_ *seeded, em *seedEmail, who string) req {
			return req{method: "POST", path: "/v1/emails", as: who, json: map[string]any{"raw": em.mail.base64url(), "visibility": em.vis}}
		}, want: func(_ *seeded, em *seedEmail, who string) int {
			if contains(em.takingPart, who) {
				return http.StatusOK // already logged
			}
			return http.StatusForbidden // not a participant
		}},
		{name: "GET /v1/emails/{id}", perEmail: true, request: func(_ *seeded, em *seedEmail, who string) req {
			return req{method: "GET", path: "/v1/emails/" + em.id, as: who}
		}, want: func(_ *seeded, em *seedEmail, who string) int {
			if em.readableBy(who) {
				return http.StatusOK
			}
			return http.StatusNotFound
		}},
		{name: "PATCH /v1/emails/{id}", perEmail: true, request: func(_ *seeded, em *seedEmail, who string) req {
			return req{method: "PATCH", path: "/v1/emails/" + em.id, as: who, json: map[string]any{"visibility": em.vis}}
		}, want: func(s *seeded, em *seedEmail, who string) int {
			if who == admin && !em.readableBy(admin) {
				return http.StatusForbidden // admins manage it, but widening it would let them read it
			}
			return readOr404(http.StatusOK)(s, em, who)
		}},
		{name: "DELETE /v1/emails/{id}", perEmail: true, request: func(_ *seeded, em *seedEmail, who string) req {
			return req{method: "DELETE", path: "/v1/emails/" + em.id, as: who}
		}, want: func(s *seeded, em *seedEmail, who string) int {
			if who == admin {
				return http.StatusNoContent // admins manage every email, read or not
			}
			return readOr404(http.StatusNoContent)(s, em, who)
		}, after: func(t *testing.T, e *env, _ *seeded, em *seedEmail, _ string, status int) {
			if status == http.StatusNoContent { // log it again: same Message-ID, same id
				var res struct{ Email struct{ ID string } }
				e.must(http.StatusCreated, req{method: "POST", path: "/v1/emails", as: em.owner,
					json: map[string]any{"raw": em.mail.base64url(), "visibility": em.vis}}).decode(t, &res)
				if res.Email.ID != em.id {
					t.Fatalf("relogged %s as %s", em.id, res.Email.ID)
				}
			}
		}},
		{name: "GET /v1/contacts", request: get("/v1/contacts?q=kunde"), want: anyUser},
		{name: "GET /v1/contacts/{email}", request: get("/v1/contacts/" + kunde), want: anyUser},
		{name: "GET /v1/contacts/{email} (other team)", request: get("/v1/contacts/" + einkauf), want: anyUser},
		{name: "PUT /v1/contacts/{email}/owner", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: "/v1/contacts/" + kunde + "/owner", as: who, json: map[string]any{"owner": beat}}
		}, want: func(_ *seeded, _ *seedEmail, who string) int {
			if who == admin || who == beat || who == carla {
				return http.StatusOK
			}
			return http.StatusForbidden // the contact's existence is no secret
		}},
		{name: "GET /v1/contacts/{email}/timeline", request: get("/v1/contacts/" + kunde + "/timeline"), want: anyUser},
		{name: "GET /v1/contacts/{email}/timeline (other team)", request: get("/v1/contacts/" + einkauf + "/timeline"), want: anyUser},
		{name: "PUT /v1/intents", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: "/v1/intents", as: who, json: map[string]any{"to": []string{kunde}, "subject": "Offer", "log": true, "visibility": "team"}}
		}, want: anyUser},
		{name: "GET /v1/settings/org", request: get("/v1/settings/org"), want: anyUser},
		{name: "PUT /v1/settings/org", request: func(s *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: "/v1/settings/org", as: who, json: s.org}
		}, want: adminOnly(http.StatusOK)},
		{name: "GET /v1/settings/me", request: get("/v1/settings/me"), want: anyUser},
		{name: "PUT /v1/settings/me", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "PUT", path: "/v1/settings/me", as: who, json: map[string]any{"defaultLog": nil, "neverLog": []any{}}}
		}, want: anyUser},
		{name: "GET /v1/audit", request: get("/v1/audit?limit=100"), want: anyUser},
		{name: "GET /v1/jobs", request: get("/v1/jobs"), want: anyUser},
		{name: "GET /v1/jobs/{id}", request: func(s *seeded, _ *seedEmail, who string) req {
			return req{method: "GET", path: "/v1/jobs/" + s.job, as: who}
		}, want: func(_ *seeded, _ *seedEmail, who string) int {
			if who == admin {
				return http.StatusOK
			}
			return http.StatusNotFound // only its starter and admins know it exists
		}},
		// Capture is mounted switched off: an admin passes the rule
		// (policy.CanRenewWatches) and learns that capture is off; the
		// rule refuses everyone else first.
		{name: "POST /v1/gmail/watch:renew", request: func(_ *seeded, _ *seedEmail, who string) req {
			return req{method: "POST", path: capture.RouteRenew, as: who}
		}, want: adminOnly(http.StatusServiceUnavailable)},
		{name: "GET /healthz", request: get("/healthz"), want: anyUser},
		{name: "GET /readyz", request: get("/readyz"), want: anyUser},
		{name: "GET /v1/openapi.yaml", request: get("/v1/openapi.yaml"), want: anyUser},
	}
}

// TestAuthorizationMatrix runs every endpoint as every role (and every
// email route on an email of each visibility), checks the status, and
// checks that no response to a caller, success or error, carries the
// subject, body, snippet or a participant of an email that caller may not
// read.
func TestAuthorizationMatrix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st storeT) {
		start := time.Now()
		e := newEnv(t, envOptions{store: st, routes: offCapture(t)})
		s := seed(t, e)
		emails := []*seedEmail{s.emails["kunde-public"], s.emails["kunde-team"], s.emails["kunde-private"], s.emails["einkauf-public"]}
		for _, em := range emails {
			for _, m := range em.markers() {
				if !strings.Contains(string(em.mail.raw()), m) {
					t.Fatalf("marker %s not in its own message", m)
				}
			}
		}
		// Readers do get the markers: the absence checks below are not vacuous.
		for _, em := range emails {
			for _, who := range em.readers {
				body := string(e.must(http.StatusOK, req{method: "GET", path: "/v1/emails/" + em.id, as: who}).body)
				if !strings.Contains(body, em.subject) || !strings.Contains(body, em.bodyMark) || !strings.Contains(body, em.partMark) {
					t.Errorf("%s reading %s: markers missing: %s", who, em.name, body)
				}
			}
		}

		public := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /v1/openapi.yaml": true}
		rows := 0
		eachMatrixCase(matrixEndpoints(), emails, func(ep endpoint, em *seedEmail, who, name string) {
			rq := ep.request(s, em, who)
			want := ep.want(s, em, who)
			if !public[ep.name] && (who == "" || who == eve) {
				want = http.StatusUnauthorized
			}
			resp := e.do(rq)
			rows++
			if resp.status != want {
				t.Errorf("%s: %s, want %d", name, resp, want)
			}
			if resp.status >= 400 {
				resp.problem(t)
			}
			rejectHidden(t, name, string(resp.body), emails, who)
			if ep.after != nil {
				ep.after(t, e, s, em, who, resp.status)
			}
		})
		// Timelines show readers the subjects of what they may read.
		for _, who := range []string{beat, ivo, carla} {
			body := string(e.must(http.StatusOK, get("/v1/contacts/"+kunde+"/timeline")(s, nil, who)).body)
			for _, em := range emails[:3] {
				if em.readableBy(who) != strings.Contains(body, em.subject) {
					t.Errorf("timeline of %s for %s: subject of %s shown=%v", kunde, who, em.name, !em.readableBy(who))
				}
			}
		}
		t.Logf("%d matrix requests in %v", rows, time.Since(start).Round(time.Millisecond))
	})
}

// offCapture mounts sent-mail capture as production does when no mailbox
// access is configured: its routes authenticate and authorize, then
// answer that capture is off.
func offCapture(t *testing.T) func(*service.Service, store.Store) []gateway.Route {
	return func(svc *service.Service, st store.Store) []gateway.Route {
		c, err := capture.New(capture.Config{
			Service: svc, Store: st, Verifier: authtest.Verifier(t),
			PushAudience: "https://discreet.test/v1/gmail/push", PushServiceAccount: "push@p.iam.gserviceaccount.com",
			Audiences: []string{audience},
		})
		if err != nil {
			t.Fatal(err)
		}
		return c.Routes()
	}
}

// TestForgedTokens: every forgery is a 401 problem, never a sign-in.
func TestForgedTokens(t *testing.T) {
	e := newEnv(t, envOptions{})
	seed(t, e)
	claims := func(edit func(map[string]any)) string {
		c := authtest.Claims(anna, audience)
		edit(c)
		return authtest.Sign(c)
	}
	for name, auth := range map[string]string{
		"wrong audience":   "Bearer " + authtest.Token(anna, "https://evil.example"),
		"wrong issuer":     "Bearer " + claims(func(c map[string]any) { c["iss"] = "https://evil.example" }),
		"expired":          "Bearer " + claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Second).Unix() }),
		"alg none":         "Bearer " + authtest.Unsigned(authtest.Claims(anna, audience)),
		"unverified email": "Bearer " + claims(func(c map[string]any) { c["email_verified"] = false }),
		"no email":         "Bearer " + claims(func(c map[string]any) { delete(c, "email") }),
		"foreign domain":   "Bearer " + authtest.Token(eve, audience),
		"foreign hd":       "Bearer " + claims(func(c map[string]any) { c["email"] = "anna@acme.example.evil.example" }),
		"bad signature":    "Bearer " + authtest.SignWrongKey(authtest.Claims(anna, audience)),
		"garbage":          "Bearer garbage",
		"empty bearer":     "Bearer ",
		"basic auth":       "Basic YW5uYTpwdw==",
		"token no scheme":  authtest.Token(anna, audience),
		"dev header off":   "",
	} {
		t.Run(name, func(t *testing.T) {
			h := map[string]string{"X-Dev-User": anna}
			if auth != "" {
				h["Authorization"] = auth
			}
			resp := e.do(req{method: "GET", path: "/v1/me", header: h})
			if resp.status != http.StatusUnauthorized {
				t.Fatalf("%s", resp)
			}
			if p := resp.problem(t); p.Code != "unauthenticated" {
				t.Errorf("problem %+v", p)
			}
			if resp.header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
			if strings.Contains(string(resp.body), anna) {
				t.Errorf("401 names the user: %s", resp.body)
			}
		})
	}
	// The genuine token works.
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", as: anna})
}

// eachMatrixCase calls f for every endpoint, as every role, and for an
// endpoint about one email, on every seeded email; name says which case.
func eachMatrixCase(endpoints []endpoint, emails []*seedEmail, f func(ep endpoint, em *seedEmail, who, name string)) {
	for _, ep := range endpoints {
		targets := []*seedEmail{nil}
		if ep.perEmail {
			targets = emails
		}
		for _, em := range targets {
			for _, r := range matrixRoles {
				name := ep.name + "/" + r.role
				if em != nil {
					name += "/" + em.name
				}
				f(ep, em, r.who, name)
			}
		}
	}
}

// rejectHidden fails when body reveals a marker (subject, body, part) of
// a seeded email who may not read.
func rejectHidden(t *testing.T, name, body string, emails []*seedEmail, who string) {
	t.Helper()
	for _, hidden := range emails {
		if hidden.readableBy(who) {
			continue
		}
		for _, m := range hidden.markers() {
			if strings.Contains(body, m) {
				t.Errorf("%s: response reveals %q of %s: %s", name, m, hidden.name, body)
			}
		}
	}
}
