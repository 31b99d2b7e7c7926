package worker_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/sqlite"
	"github.com/discreet-crm/discreet/worker"
)

// One Pub/Sub emulator serves the package; every test gets its own project.
var pubsubEmulator = emulator.NewShared(emulator.PubSub)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pubsubEmulator.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the Pub/Sub emulator:", err)
	}
	os.Exit(code)
}

const (
	adminEmail = "admin@acme.example"
	annaEmail  = "anna@acme.example"
)

type org struct {
	st          store.Store
	svc         *service.Service
	admin, anna discreet.User
}

// newOrg is an org on a fresh SQLite store whose service hands jobs to q.
func newOrg(t *testing.T, q service.JobQueue, cfg service.Config) *org {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg.Store, cfg.Jobs, cfg.BootstrapAdmins = st, q, []string{adminEmail}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	o := &org{st: st, svc: service.New(cfg)}
	if o.admin, err = o.svc.SignIn(ctx, adminEmail); err != nil {
		t.Fatal(err)
	}
	settings := discreet.DefaultOrgSettings()
	settings.InternalDomains = []string{"acme.example"}
	if _, err := o.svc.PutOrgSettings(ctx, o.admin, settings); err != nil {
		t.Fatal(err)
	}
	if o.anna, err = o.svc.PutUser(ctx, o.admin, discreet.User{Email: annaEmail, Role: discreet.RoleRep}); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o *org) log(t *testing.T, from string) string {
	t.Helper()
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Hi\r\nMessage-ID: <%s-%d@x.example>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n",
		from, annaEmail, strings.ReplaceAll(from, "@", "."), time.Now().UnixNano())
	res, err := o.svc.LogEmail(context.Background(), o.anna, service.LogRequest{Raw: []byte(raw)})
	if err != nil || res.Email == nil {
		t.Fatalf("log: %+v, %v", res, err)
	}
	return res.Email.ID
}

// waitJob polls until job id is no longer running.
func (o *org) waitJob(t *testing.T, id string, within time.Duration) service.JobView {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		j, err := o.svc.Job(context.Background(), o.admin, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != store.JobRunning {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still running after %v: %+v", within, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func importText(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "@w%04d.example\n", i)
	}
	return b.String()
}

// The embedded driver runs a purge to its end, second pass included, and
// stops without leaving goroutines behind.
func TestEmbeddedPurge(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) }) // runs last, after the store is closed
	ctx := context.Background()
	w := worker.NewEmbedded(worker.EmbeddedConfig{Logger: slog.New(slog.DiscardHandler)})
	o := newOrg(t, w, service.Config{DecisionWindow: 300 * time.Millisecond})
	w.Start(ctx, o.svc)
	defer w.Stop()
	for i := range 3 {
		o.log(t, fmt.Sprintf("s%d@spam.example", i))
	}
	// Timed from before the job exists: a slow AddNeverLog on a loaded
	// machine must not look like a second pass that did not wait.
	start := time.Now()
	added, err := o.svc.AddNeverLog(ctx, o.admin, service.AddNeverLogRequest{Pattern: "@spam.example", PurgeExisting: true})
	if err != nil {
		t.Fatal(err)
	}
	j := o.waitJob(t, added.Purge.ID, 10*time.Second)
	if j.State != store.JobDone || j.Done != 3 {
		t.Fatalf("purge: %+v", j)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("done after %v: the second pass did not wait for the decision window", d)
	}
}

// Jobs a previous process left (never enqueued, or enqueued and lost) are
// found by the embedded driver's first sweep.
func TestEmbeddedResumesLeftJobs(t *testing.T) {
	ctx := context.Background()
	w := worker.NewEmbedded(worker.EmbeddedConfig{Logger: slog.New(slog.DiscardHandler)})
	o := newOrg(t, nil, service.Config{}) // the "previous process": no driver
	res, err := o.svc.ImportNeverLog(ctx, o.admin, importText(300))
	if err != nil || res.Job == nil {
		t.Fatalf("import: %+v, %v", res, err)
	}
	restarted := service.New(service.Config{Store: o.st, Jobs: w, Logger: slog.New(slog.DiscardHandler)})
	w.Start(ctx, restarted)
	defer w.Stop()
	if j := o.waitJob(t, res.Job.ID, 10*time.Second); j.State != store.JobDone || j.Done != 300 {
		t.Fatalf("import: %+v", j)
	}
}

// callCronRoute calls one of the driver's cron routes as who (a signed-in
// user, "" for no token), with App Engine's cron header when cron, and
// returns the status.
func callCronRoute(t *testing.T, method, url, who string, cron bool) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, url, nil)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+authtest.Token(who, apiAudience))
	}
	if cron {
		req.Header.Set("X-Appengine-Cron", "true")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The embedded driver serves the sweep to App Engine cron (GET, trusted
// header) and to admins (POST, ID token), to nobody else, and answers 503
// until it has started.
func TestEmbeddedSweepRoute(t *testing.T) {
	ctx := context.Background()
	verifier := authtest.Verifier(t)
	w := worker.NewEmbedded(worker.EmbeddedConfig{Logger: slog.New(slog.DiscardHandler),
		Verifier: verifier, Audiences: []string{apiAudience}, TrustCronHeader: true})
	o := newOrg(t, w, service.Config{})
	api := httptest.NewServer(gateway.New(gateway.Config{Service: o.svc, Verifier: verifier, Audiences: []string{apiAudience},
		Routes: w.Routes()}))
	t.Cleanup(api.Close)
	sweep := func(method, auth string, cron bool) int {
		t.Helper()
		return callCronRoute(t, method, api.URL+worker.RouteSweep, auth, cron)
	}
	if code := sweep(http.MethodGet, "", true); code != http.StatusServiceUnavailable {
		t.Fatalf("cron sweep before Start: %d, want 503", code)
	}
	w.Start(ctx, o.svc)
	defer w.Stop()
	for _, tc := range []struct {
		method, who string
		cron        bool
		want        int
	}{
		{http.MethodGet, "", true, http.StatusOK},
		{http.MethodGet, adminEmail, false, http.StatusMethodNotAllowed},
		{http.MethodPost, "", false, http.StatusUnauthorized},
		{http.MethodPost, annaEmail, false, http.StatusForbidden},
		{http.MethodPost, adminEmail, false, http.StatusOK},
	} {
		if code := sweep(tc.method, tc.who, tc.cron); code != tc.want {
			t.Errorf("%s sweep by %q (cron %v): %d, want %d", tc.method, tc.who, tc.cron, code, tc.want)
		}
	}
}
