package faulttest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/discreet-crm/discreet/demo"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/gmail"
	"github.com/discreet-crm/discreet/internal/gmailfake"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// TestGmailFailures logs by Gmail message id while the Gmail fake answers
// 429, 500 or not at all: the server tries a bounded number of times,
// answers 429 or 503 with Retry-After, and leaves no goroutine behind.
func TestGmailFailures(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	ctx := context.Background()
	fake := gmailfake.New(t, "")
	const msgID = "msg-1"
	fake.AddMessage(gmailfake.DefaultUser, msgID, []byte(
		"From: anna@acme.example\r\nTo: buyer@gmail-customer.example\r\nSubject: Gmail faults\r\n"+
			"Message-ID: <gmail-fault-1@acme.example>\r\n\r\nHello.\r\n"))

	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Long enough that a request reaches the fake even on a loaded
	// machine: the test counts the attempts the fake saw, and one timed
	// out on the way there was counted as never made.
	gmailHTTP := &http.Client{Timeout: time.Second}
	gc := gmail.New(fake.URL(), gmailHTTP)
	gc.BaseDelay = 20 * time.Millisecond
	gc.MaxWait = 5 * time.Second
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Config{Store: st, Gmail: gc, Logger: logger})
	if err := demo.Load(ctx, svc, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(gateway.New(gateway.Config{Service: svc, DevAuth: true, Logger: logger, Ready: st.Ping}))
	c := &http.Client{Timeout: 30 * time.Second}
	defer func() {
		c.CloseIdleConnections()
		api.Close()
		fake.Close()
		gmailHTTP.CloseIdleConnections()
		st.Close()
	}()

	post := func() (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, api.URL+"/v1/emails",
			strings.NewReader(`{"gmailMessageId":"`+msgID+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Dev-User", gmailfake.DefaultUser)
		req.Header.Set(gateway.HeaderGmailAuthorization, "Bearer "+gmailfake.DefaultToken)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}

	for _, tc := range []struct {
		name   string
		fault  func()
		status int
		// minAttempts: every attempt of the timeouts case waits out the
		// client's timeout, so on a loaded machine the request's deadline
		// may leave no room for the last one, and the retry gives up
		// early by design (gmail.Do); it must still have retried.
		minAttempts int
	}{
		{"429 with Retry-After", func() { fake.FailNext(100, http.StatusTooManyRequests, "1") }, http.StatusTooManyRequests, gmail.DefaultAttempts},
		{"500", func() { fake.FailNext(100, http.StatusInternalServerError, "") }, http.StatusServiceUnavailable, gmail.DefaultAttempts},
		{"timeouts", func() { fake.DelayNext(100, 10*time.Second) }, http.StatusServiceUnavailable, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(fake.Requests())
			tc.fault()
			start := time.Now()
			status, h, b := post()
			took := time.Since(start)
			attempts := len(fake.Requests()) - before
			if status != tc.status {
				t.Errorf("status %d, want %d: %s", status, tc.status, b)
			}
			if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 {
				t.Errorf("Retry-After %q, want seconds ≥ 1", h.Get("Retry-After"))
			}
			if attempts < tc.minAttempts || attempts > gmail.DefaultAttempts {
				t.Errorf("Gmail was asked %d times, want %d to %d (bounded retries)", attempts, tc.minAttempts, gmail.DefaultAttempts)
			}
			if took > 10*time.Second {
				t.Errorf("the request took %v; retries must be bounded in time", took)
			}
			t.Logf("%s: %d after %d attempts in %v, Retry-After %s", tc.name, status, attempts, took.Round(time.Millisecond), h.Get("Retry-After"))
		})
		// Clear what is left of the scripted faults: serve the rest normally.
		drainFaults(t, fake)
	}

	status, _, b := post()
	if status != http.StatusCreated {
		t.Fatalf("once Gmail answers: %d %s, want 201", status, b)
	}
}

// drainFaults uses up the fake's remaining scripted faults by asking it
// directly until a request succeeds.
func drainFaults(t *testing.T, fake *gmailfake.Server) {
	t.Helper()
	c := &http.Client{Timeout: 50 * time.Millisecond}
	defer c.CloseIdleConnections()
	for range 200 {
		req, _ := http.NewRequest(http.MethodGet, fake.URL()+"gmail/v1/users/me/messages/msg-1?format=raw", nil)
		req.Header.Set("Authorization", "Bearer "+gmailfake.DefaultToken)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatal("the fake still fails after 200 requests")
}
