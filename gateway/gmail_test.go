package gateway_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/gmail"
	"github.com/discreet-crm/discreet/internal/gmailfake"
	"github.com/discreet-crm/discreet/service"
)

// TestLogFromGmail logs by Gmail message id through the real Gmail client
// against the fake Gmail API: the caller's tokens travel from the headers,
// a 429 is retried, and Gmail's failures become 429/503/403/404 problems.
func TestLogFromGmail(t *testing.T) {
	fake := gmailfake.New(t, "")
	fake.SetToken("oauth-beat", beat)
	fake.RequireAccessToken("msg-token")
	m := mail{from: "Beat Keller <" + beat + ">", to: []string{kunde}, subject: "Offer from Gmail", body: "Dear customer", messageID: "<gmail-1@acme-ch.example>"}
	fake.AddMessage(beat, "18c1f2", m.raw(), "SENT")

	gc := gmail.New(fake.URL(), fake.Client())
	var mu sync.Mutex
	var slept []time.Duration
	gc.Sleep = func(_ context.Context, d time.Duration) error { // no real waiting in tests
		mu.Lock()
		slept = append(slept, d)
		mu.Unlock()
		return nil
	}
	e := newEnv(t, envOptions{gmail: gc})
	seed(t, e)
	headers := map[string]string{"X-Gmail-Authorization": "Bearer oauth-beat", "X-Goog-Gmail-Access-Token": "msg-token"}
	logReq := func(id string, h map[string]string) req {
		return req{method: "POST", path: "/v1/emails", as: beat, header: h, json: map[string]any{"gmailMessageId": id, "visibility": "team"}}
	}

	// 429 once, then the message: logged, after one retry.
	fake.FailNext(1, http.StatusTooManyRequests, "1")
	var res service.LogResult
	e.must(http.StatusCreated, logReq("18c1f2", headers)).decode(t, &res)
	if !res.Decision.Logged || res.Email == nil || res.Email.Subject != "Offer from Gmail" || res.Email.GmailMessageID != "18c1f2" || res.Email.Visibility != discreet.VisibilityTeam {
		t.Fatalf("logged: %+v", res)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 || reqs[0].Status != http.StatusTooManyRequests || reqs[1].Status != http.StatusOK {
		t.Fatalf("gmail requests: %v", reqs)
	}
	if reqs[1].Header.Get("Authorization") != "Bearer oauth-beat" || reqs[1].Header.Get("X-Goog-Gmail-Access-Token") != "msg-token" {
		t.Errorf("tokens not passed on: %v", reqs[1].Header)
	}
	if len(slept) != 1 || slept[0] < time.Second {
		t.Errorf("slept %v, want one wait honouring Retry-After", slept)
	}
	// Again: already logged.
	e.must(http.StatusOK, logReq("18c1f2", headers))

	// Gmail keeps throttling: 429 with Retry-After; down: 503 with Retry-After.
	fake.FailNext(gmail.DefaultAttempts, http.StatusTooManyRequests, "2")
	resp := e.must(http.StatusTooManyRequests, logReq("18c1f2", headers))
	if resp.problem(t).Code != "rate_limited" || resp.header.Get("Retry-After") == "" {
		t.Errorf("throttled: %s %v", resp, resp.header)
	}
	fake.FailNext(gmail.DefaultAttempts, http.StatusServiceUnavailable, "")
	resp = e.must(http.StatusServiceUnavailable, logReq("18c1f2", headers))
	if resp.problem(t).Code != "unavailable" || resp.header.Get("Retry-After") == "" {
		t.Errorf("down: %s %v", resp, resp.header)
	}
	// Unknown message, refused token, missing per-message token.
	e.must(http.StatusNotFound, logReq("nope", headers))
	e.must(http.StatusForbidden, logReq("18c1f2", map[string]string{"X-Gmail-Authorization": "Bearer stolen", "X-Goog-Gmail-Access-Token": "msg-token"}))
	e.must(http.StatusForbidden, logReq("18c1f2", map[string]string{"X-Gmail-Authorization": "Bearer oauth-beat"}))
	// Beat's Gmail token does not make anna a participant of beat's mail.
	fake.SetToken("oauth-anna", anna)
	fake.AddMessage(anna, "18c1f2", m.raw())
	e.must(http.StatusForbidden, req{method: "POST", path: "/v1/emails", as: anna, json: map[string]any{"gmailMessageId": "18c1f2"},
		header: map[string]string{"X-Gmail-Authorization": "Bearer oauth-anna", "X-Goog-Gmail-Access-Token": "msg-token"}})
}
