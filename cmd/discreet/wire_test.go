package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
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
