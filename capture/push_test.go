package capture_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/capture"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDecodePush(t *testing.T) {
	env := func(data string) string {
		return `{"message":{"data":"` + data + `","messageId":"42","attributes":{"a":"b"}},"subscription":"projects/p/subscriptions/s","deliveryAttempt":3}`
	}
	good := []struct {
		name, body string
		want       capture.Notification
	}{
		{"number", env(b64(`{"emailAddress":"Anna@Acme.example","historyId":1234}`)), capture.Notification{EmailAddress: "anna@acme.example", HistoryID: 1234}},
		{"string", env(b64(`{"emailAddress":"anna@acme.example","historyId":"9876543210"}`)), capture.Notification{EmailAddress: "anna@acme.example", HistoryID: 9876543210}},
		{"url base64", env(base64.URLEncoding.EncodeToString([]byte(`{"emailAddress":"anna@acme.example","historyId":1}`))), capture.Notification{EmailAddress: "anna@acme.example", HistoryID: 1}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			p, err := capture.DecodePush([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if p.Notification != tc.want || p.MessageID != "42" || p.Subscription != "projects/p/subscriptions/s" {
				t.Fatalf("got %+v, want %+v with message 42", p, tc.want)
			}
		})
	}
	bad := map[string]string{
		"not json":        `{"message":`,
		"no message":      `{"subscription":"s"}`,
		"data not base64": env("%%%"),
		"empty data":      env(""),
		"data not json":   env(b64("hello")),
		"no address":      env(b64(`{"historyId":1}`)),
		"bad address":     env(b64(`{"emailAddress":"a@@b","historyId":1}`)),
		"no history":      env(b64(`{"emailAddress":"anna@acme.example"}`)),
		"zero history":    env(b64(`{"emailAddress":"anna@acme.example","historyId":0}`)),
		"negative":        env(b64(`{"emailAddress":"anna@acme.example","historyId":-5}`)),
		"fraction":        env(b64(`{"emailAddress":"anna@acme.example","historyId":1.5}`)),
		"overflow":        env(b64(`{"emailAddress":"anna@acme.example","historyId":184467440737095516150}`)),
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			if p, err := capture.DecodePush([]byte(body)); err == nil {
				t.Fatalf("DecodePush accepted %s as %+v", body, p)
			}
		})
	}
}

func FuzzDecodePush(f *testing.F) {
	f.Add([]byte(pushBody(anna, 1001)))
	f.Add([]byte(`{"message":{"data":"e30="}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := capture.DecodePush(body)
		if err == nil && (p.Notification.HistoryID == 0 || p.Notification.EmailAddress == "") {
			t.Fatalf("accepted an empty notification: %+v", p)
		}
	})
}

func TestPushAuthentication(t *testing.T) {
	h := newHarness(t, "projects/p/topics/gmail")
	body := pushBody(anna, 1001)
	claims := func(email, aud string, edit func(map[string]any)) string {
		c := authtest.Claims(email, aud)
		if edit != nil {
			edit(c)
		}
		return authtest.Sign(c)
	}
	cases := []struct {
		name  string
		token string
		want  int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"garbage", "not-a-jwt", http.StatusUnauthorized},
		{"wrong audience", authtest.Token(pushSA, "https://elsewhere.example/push"), http.StatusUnauthorized},
		{"API audience", authtest.Token(pushSA, apiAudience), http.StatusUnauthorized},
		{"wrong email", authtest.Token("someone@discreet-test.iam.gserviceaccount.com", pushAudience), http.StatusUnauthorized},
		{"a user", authtest.Token(anna, pushAudience), http.StatusUnauthorized},
		{"email not verified", claims(pushSA, pushAudience, func(c map[string]any) { c["email_verified"] = false }), http.StatusUnauthorized},
		{"expired", claims(pushSA, pushAudience, func(c map[string]any) { c["exp"] = int64(1) }), http.StatusUnauthorized},
		{"wrong key", authtest.SignWrongKey(authtest.Claims(pushSA, pushAudience)), http.StatusUnauthorized},
		{"unsigned", authtest.Unsigned(authtest.Claims(pushSA, pushAudience)), http.StatusUnauthorized},
		{"the push account", authtest.Token(pushSA, pushAudience), http.StatusNoContent},
		{"the push account, upper case", authtest.Token(strings.ToUpper(pushSA), pushAudience), http.StatusNoContent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, resp := h.post(t, capture.RoutePush, tc.token, body)
			if status != tc.want {
				t.Fatalf("status %d (%s), want %d", status, resp, tc.want)
			}
			if status == http.StatusUnauthorized && !strings.Contains(resp, `"unauthenticated"`) {
				t.Fatalf("401 without the problem code: %s", resp)
			}
		})
	}
	if n := len(h.gmail.Requests()); n != 0 {
		t.Fatalf("unauthenticated pushes reached Gmail %d times", n)
	}
}

// Poison pushes are acknowledged, so Pub/Sub does not redeliver them for a
// week, and nothing is stored.
func TestPushPoisonIsDropped(t *testing.T) {
	h := newHarness(t, "projects/p/topics/gmail")
	token := authtest.Token(pushSA, pushAudience)
	for name, body := range map[string]string{
		"bad envelope": `{"message":`,
		"bad data":     `{"message":{"data":"aGVsbG8=","messageId":"1"}}`,
		"unknown user": pushBody("stranger@acme.example", 1001),
		"external":     pushBody("someone@gmail.com", 1001),
	} {
		t.Run(name, func(t *testing.T) {
			status, resp := h.post(t, capture.RoutePush, token, body)
			if status != http.StatusNoContent {
				t.Fatalf("status %d (%s), want 204", status, resp)
			}
		})
	}
	if _, err := h.st.WatchState(t.Context(), "stranger@acme.example"); err == nil {
		t.Fatal("a push for an unknown user stored a watch")
	}
	if n := len(h.gmail.Requests()); n != 0 {
		t.Fatalf("poison pushes reached Gmail %d times", n)
	}
}

func TestDisabled(t *testing.T) {
	h := newHarness(t, "projects/p/topics/gmail", func(c *capture.Config) { c.Tokens = nil; c.Disabled = "no key in this test" })
	if st := h.cap.Status(); st.Enabled || !strings.Contains(st.Detail, "no key in this test") {
		t.Fatalf("Status = %+v, want disabled with the reason", st)
	}
	// Pushes are still authenticated, then dropped; nothing loops.
	if status, _ := h.post(t, capture.RoutePush, "", pushBody(anna, 1001)); status != http.StatusUnauthorized {
		t.Fatalf("unauthenticated push while disabled: %d, want 401", status)
	}
	if status, resp := h.post(t, capture.RoutePush, authtest.Token(pushSA, pushAudience), pushBody(anna, 1001)); status != http.StatusNoContent {
		t.Fatalf("push while disabled: %d (%s), want 204", status, resp)
	}
	status, resp := h.post(t, capture.RouteRenew, authtest.Token(admin, apiAudience), "")
	if status != http.StatusServiceUnavailable || !strings.Contains(resp, "disabled") {
		t.Fatalf("renew while disabled: %d (%s), want 503 saying it is disabled", status, resp)
	}
	// The Log button's path does not need capture.
	if _, err := h.svc.LogEmail(t.Context(), h.anna, logRequest(mail{id: "button", to: []string{customer}, subject: "Hi"})); err != nil {
		t.Fatalf("LogEmail while capture is disabled: %v", err)
	}
}

func TestRenew(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		h := newHarness(t, "projects/p/topics/gmail", func(c *capture.Config) { c.TrustCronHeader = trusted })
		cron := []string{"X-Appengine-Cron", "true"}
		status, resp := h.post(t, capture.RouteRenew, "", "", cron...)
		if trusted && status != http.StatusAccepted || !trusted && status != http.StatusUnauthorized {
			t.Fatalf("cron header (trusted %v): %d (%s)", trusted, status, resp)
		}
		status, resp = h.do(t, http.MethodGet, capture.RouteRenew, "", "", cron...)
		if trusted && status != http.StatusAccepted || !trusted && status != http.StatusMethodNotAllowed {
			t.Fatalf("cron's GET (trusted %v): %d (%s)", trusted, status, resp)
		}
		if status, resp := h.do(t, http.MethodGet, capture.RouteRenew, authtest.Token(admin, apiAudience), ""); status != http.StatusMethodNotAllowed {
			t.Fatalf("GET by an admin: %d (%s), want 405 (only cron renews with GET)", status, resp)
		}
		if status, resp := h.post(t, capture.RouteRenew, authtest.Token(anna, apiAudience), ""); status != http.StatusForbidden {
			t.Fatalf("a rep renewing: %d (%s), want 403", status, resp)
		}
		if status, resp := h.post(t, capture.RouteRenew, authtest.Token(admin, pushAudience), ""); status != http.StatusUnauthorized {
			t.Fatalf("an admin token for another audience: %d (%s), want 401", status, resp)
		}
		// The route starts the day's renewal and answers at once: nothing
		// is renewed yet. Asking again while it runs returns the same job.
		status, resp = h.post(t, capture.RouteRenew, authtest.Token(admin, apiAudience), "")
		var job service.JobView
		if status != http.StatusAccepted || json.Unmarshal([]byte(resp), &job) != nil || job.Kind != service.JobWatchRenewal || job.State != store.JobRunning {
			t.Fatalf("an admin renewing: %d (%s), want 202 with the running renewal job", status, resp)
		}
		if n := h.watchCalls(); n != 0 {
			t.Fatalf("the route made %d users.watch calls itself, want none (the job does)", n)
		}
		if !trusted {
			_, resp2 := h.post(t, capture.RouteRenew, authtest.Token(admin, apiAudience), "")
			var again service.JobView
			if json.Unmarshal([]byte(resp2), &again) != nil || again.ID != job.ID {
				t.Fatalf("renewing again while the renewal runs: %s, want job %s", resp2, job.ID)
			}
		}
		if rep := h.finish(t, job.ID); rep.Renewed != 2 || rep.Batches != 1 {
			t.Fatalf("the renewal job's report: %+v, want both users renewed in one batch", rep)
		}
		// Once it finished, renewing again the same day starts a new job.
		_, resp = h.post(t, capture.RouteRenew, authtest.Token(admin, apiAudience), "")
		var next service.JobView
		if json.Unmarshal([]byte(resp), &next) != nil || next.ID == job.ID || next.State != store.JobRunning {
			t.Fatalf("renewing after the day's renewal finished: %s", resp)
		}
	}
	h := newHarness(t, "projects/p/topics/gmail", noRetryWait)
	h.send(anna, mail{id: "before", to: []string{customer}, subject: "Old"})
	rep := h.renewAll(t)
	if rep.Renewed != 2 || rep.Failed+rep.Skipped != 0 {
		t.Fatalf("renewal = %+v", rep)
	}
	var watches int
	for _, r := range h.gmail.Requests() {
		if !strings.HasSuffix(r.Path, "/watch") {
			continue
		}
		watches++
		for _, want := range []string{`"topicName":"projects/p/topics/gmail"`, `"labelIds":["SENT"]`, `"labelFilterBehavior":"include"`} {
			if !strings.Contains(r.Body, want) {
				t.Fatalf("watch request %s lacks %s", r.Body, want)
			}
		}
	}
	if watches != 2 {
		t.Fatalf("%d watch requests, want 2", watches)
	}
	w, err := h.st.WatchState(t.Context(), anna)
	must(t, err)
	if w.HistoryID != h.gmail.HistoryID(anna) || w.Expiration.Before(w.RenewedAt.Add(6*24*time.Hour)) {
		t.Fatalf("watch state %+v, want the mailbox's history id and a week's expiry", w)
	}
	// Renewing again never moves the captured history id.
	h.send(anna, mail{id: "after", to: []string{customer}, subject: "New"})
	h.renewAll(t)
	if got := h.history(t, anna); got != w.HistoryID {
		t.Fatalf("renewal moved the history id from %d to %d", w.HistoryID, got)
	}
	// A mailbox Gmail refuses is skipped, not retried.
	h.gmail.FailUser(anna, 1, http.StatusForbidden)
	rep = h.renewAll(t)
	if rep.Renewed != 1 || rep.Skipped != 1 || len(rep.SkippedUsers) != 1 || rep.SkippedUsers[0] != anna || rep.Retried != 0 {
		t.Fatalf("renewal with one refused mailbox = %+v", rep)
	}
	// Gmail down for one mailbox: its batch backs off and tries again
	// until Gmail answers; nothing is reported failed.
	h.gmail.FailUser(anna, 12, http.StatusServiceUnavailable)
	rep = h.renewAll(t)
	if rep.Renewed != 2 || rep.Failed != 0 || rep.Retried != 1 {
		t.Fatalf("renewal with one mailbox down for a while = %+v", rep)
	}
	// Down for good: the batch gives up after its attempts and says who.
	h.gmail.FailUser(anna, 1000, http.StatusServiceUnavailable)
	rep = h.renewAll(t)
	if rep.Renewed != 1 || rep.Failed != 1 || len(rep.FailedUsers) != 1 || rep.FailedUsers[0] != anna {
		t.Fatalf("renewal with one mailbox down for good = %+v", rep)
	}
}

// noRetryWait makes Gmail retries instant.
func noRetryWait(c *capture.Config) {
	c.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
}

// watchCalls counts users.watch requests Gmail answered.
func (h *harness) watchCalls() int {
	n := 0
	for _, r := range h.gmail.Requests() {
		if strings.HasSuffix(r.Path, "/watch") && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}
