package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// A first deploy's start-up: with bootstrap admins and internal domains
// set, the admin and a colleague can sign in on an empty store; the next
// start changes nothing.
func TestFirstStartSeedsWhoCanSignIn(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadConfig(env(map[string]string{
		"DISCREET_DATA_DIR": dir, "DISCREET_DEMO": "0",
		"DISCREET_BOOTSTRAP_ADMINS": "it@acme.example", "DISCREET_INTERNAL_DOMAINS": "acme.example",
	}))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func() *app {
		a, err := newApp(t.Context(), cfg, logger)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := start()
	srv := httptest.NewServer(a.handler)
	for _, who := range []string{"it@acme.example", "anna@acme.example"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/me", nil)
		req.Header.Set("X-Dev-User", who)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s signs in: %d", who, resp.StatusCode)
		}
	}
	srv.Close()
	a.Close()

	a = start()
	defer a.Close()
	admin, err := a.service.SignIn(t.Context(), "it@acme.example")
	if err != nil || admin.Role != discreet.RoleAdmin {
		t.Fatalf("bootstrap admin: %+v, %v", admin, err)
	}
	page, err := a.service.Audit(t.Context(), admin, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	seeds := 0
	for _, r := range page.Items {
		if r.Actor == service.SystemActor {
			seeds++
		}
	}
	if seeds != 1 {
		t.Errorf("%d seed records after two starts, want 1", seeds)
	}
}

// The app runs jobs with the configured driver: locally the embedded one,
// started with the app, finishes a large import an admin hands it over
// the REST API; the sweep is a route of the app.
func TestAppRunsJobs(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{"DISCREET_DATA_DIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	do := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("X-Dev-User", "admin@acme.example")
		req.Header.Set("Content-Type", "text/plain")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	var lines strings.Builder
	for i := range 250 {
		fmt.Fprintf(&lines, "@w%03d.example\n", i)
	}
	code, body := do(http.MethodPost, "/v1/never-log:import", lines.String())
	var res service.ImportResult
	if code != http.StatusAccepted || json.Unmarshal(body, &res) != nil || res.Job == nil {
		t.Fatalf("import: %d %s; want 202 with a job", code, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body = do(http.MethodGet, "/v1/jobs/"+res.Job.ID, "")
		var j service.JobView
		if code != http.StatusOK || json.Unmarshal(body, &j) != nil {
			t.Fatalf("job: %d %s", code, body)
		}
		if j.State == store.JobDone && j.Done == 250 {
			break
		}
		if j.State != store.JobRunning || time.Now().After(deadline) {
			t.Fatalf("job: %+v", j)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Dev sign-in is not an ID token: the sweep asks for one.
	if code, body := do(http.MethodPost, "/v1/jobs:sweep", ""); code != http.StatusUnauthorized {
		t.Errorf("sweep with X-Dev-User: %d %s", code, body)
	}
}
