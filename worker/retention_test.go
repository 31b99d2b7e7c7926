package worker_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/worker"
)

// TestRetentionRoute: cron (GET) and admins (POST) start the day's
// retention sweep, reps may not, and the embedded driver's ticker starts
// it by itself: the one job of the day, run to its end.
func TestRetentionRoute(t *testing.T) {
	ctx := context.Background()
	verifier := authtest.Verifier(t)
	w := worker.NewEmbedded(worker.EmbeddedConfig{Logger: slog.New(slog.DiscardHandler), SweepEvery: 20 * time.Millisecond,
		Verifier: verifier, Audiences: []string{apiAudience}, TrustCronHeader: true})
	o := newOrg(t, w, service.Config{})
	api := httptest.NewServer(gateway.New(gateway.Config{Service: o.svc, Verifier: verifier, Audiences: []string{apiAudience},
		Routes: w.Routes()}))
	t.Cleanup(api.Close)
	start := func(method, who string, cron bool) int {
		t.Helper()
		return callCronRoute(t, method, api.URL+worker.RouteRetention, who, cron)
	}
	w.Start(ctx, o.svc)
	defer w.Stop()
	// No retention set: nothing to start.
	if code := start(http.MethodGet, "", true); code != http.StatusOK {
		t.Fatalf("cron with no retention: %d, want 200", code)
	}
	id := o.log(t, "kunde@zurich-bank.example") // dated 2026-11-02: older than a day
	settings, err := o.svc.OrgSettings(ctx, o.admin)
	if err != nil {
		t.Fatal(err)
	}
	settings.Retention = discreet.Retention{Public: "P1D"}
	if _, err := o.svc.PutOrgSettings(ctx, o.admin, settings); err != nil {
		t.Fatal(err)
	}
	// The ticker, which found nothing to sweep until now, starts the
	// day's sweep by itself; every start below meets that one job.
	today := "retention-" + time.Now().UTC().Format(time.DateOnly)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := o.st.Job(ctx, today); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the embedded ticker did not start the retention sweep once retention was set")
		}
	}
	for _, tc := range []struct {
		method, who string
		cron        bool
		want        int
	}{
		{http.MethodGet, adminEmail, false, http.StatusMethodNotAllowed},
		{http.MethodPost, "", false, http.StatusUnauthorized},
		{http.MethodPost, annaEmail, false, http.StatusForbidden},
		{http.MethodGet, "", true, http.StatusAccepted},
		{http.MethodPost, adminEmail, false, http.StatusAccepted},
	} {
		if code := start(tc.method, tc.who, tc.cron); code != tc.want {
			t.Errorf("%s by %q (cron %v): %d, want %d", tc.method, tc.who, tc.cron, code, tc.want)
		}
	}
	j := o.waitJob(t, today, 10*time.Second)
	if j.State != "done" || j.Done != 1 {
		t.Fatalf("the day's sweep: %+v", j)
	}
	if _, err := o.st.Email(ctx, id); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("the expired email: %v", err)
	}
}
