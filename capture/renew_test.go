package capture_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/capture"
	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/worker"
)

// renewWindow is how often cron.yaml starts the Gmail watch renewal: a
// renewal must be over before the next begins.
func renewWindow(t *testing.T) time.Duration {
	t.Helper()
	raw, err := os.ReadFile("../cron.yaml")
	must(t, err)
	m := regexp.MustCompile(`(?m)url: ` + regexp.QuoteMeta(capture.RouteRenew) + `\n(?:\s+\w+:.*\n)*?\s+schedule: every (\d+) (hours|minutes)`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("cron.yaml has no schedule of the form \"every N hours\" for %s", capture.RouteRenew)
	}
	n, _ := strconv.Atoi(string(m[1]))
	if string(m[2]) == "hours" {
		return time.Duration(n) * time.Hour
	}
	return time.Duration(n) * time.Minute
}

// TestRenewFiveThousand: cron's renewal of 5,000 users fans out into
// batches through the queue (run here as the Pub/Sub driver runs them,
// waits resumed by the minute's sweep, on a simulated clock). Every user
// is watched once; a batch meeting a Gmail outage retries alone from where
// it stopped, never from the first user; a refused mailbox is skipped; and
// the whole renewal, counting every slice at its full budget one after
// another on one instance and every wait, ends well within cron's window.
func TestRenewFiveThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 mailboxes")
	}
	const n = 5000
	h := newHarness(t, "projects/p/topics/gmail", noRetryWait, func(c *capture.Config) { c.TrustCronHeader = true })
	ctx := t.Context()
	users := []string{anna, admin}
	for i := range n {
		u := fmt.Sprintf("rep%04d@acme.example", i)
		users = append(users, u)
		h.gmail.SetToken("tok-"+u, u)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, u := range users[2:] {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := h.st.PutUser(ctx, discreet.User{Email: u, Role: discreet.RoleRep, Teams: []string{"de"}, CreatedAt: time.Now().UTC()}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	slices.Sort(users)
	// Batch 17 (users 1700..1799 by address) meets a Gmail outage for five
	// of its mailboxes: six 503s each, more than one watch call's retries.
	flaky := users[1750:1755]
	for _, u := range flaky {
		h.gmail.FailUser(u, 6, http.StatusServiceUnavailable)
	}
	refused := users[3333]
	h.gmail.FailUser(refused, 1, http.StatusForbidden)

	// Cron's GET starts the renewal job and returns at once.
	start := h.clock.now()
	status, resp := h.do(t, http.MethodGet, capture.RouteRenew, "", "", "X-Appengine-Cron", "true")
	var job service.JobView
	if status != http.StatusAccepted || json.Unmarshal([]byte(resp), &job) != nil || job.StartedBy != service.SystemActor {
		t.Fatalf("cron: %d (%s), want 202 with the renewal job", status, resp)
	}
	if n := h.watchCalls(); n != 0 {
		t.Fatalf("cron's request renewed %d watches itself", n)
	}
	runs := h.runJobs(t, func() bool {
		j, err := h.svc.Job(ctx, h.admin, job.ID)
		must(t, err)
		return j.State != store.JobRunning
	})
	rep := h.finish(t, job.ID)

	// Completion: every user renewed once (the refused one skipped).
	wantBatches := (len(users) + 99) / 100
	if rep.Batches != wantBatches || rep.Renewed != len(users)-1 || rep.Skipped != 1 || rep.Failed != 0 ||
		!slices.Equal(rep.SkippedUsers, []string{refused}) {
		t.Fatalf("report %+v, want %d batches, %d renewed, %s skipped", rep, wantBatches, len(users)-1, refused)
	}
	for _, u := range users {
		if u == refused {
			continue
		}
		w, err := h.st.WatchState(ctx, u)
		if err != nil || w.RenewedAt.Before(start.Add(-time.Second)) || w.HistoryID == 0 {
			t.Fatalf("%s: watch %+v, %v; want renewed by this renewal", u, w, err)
		}
	}
	// Per-batch retry: one batch retried; each of its flaky mailboxes was
	// asked again only after its outage, every other mailbox exactly once
	// (no retry re-renewed the batch's others, let alone restarted from
	// the first user).
	if rep.Retried != 1 {
		t.Fatalf("%d batches retried, want 1 (batch 17 alone)", rep.Retried)
	}
	calls := map[string][]int{}
	for _, r := range h.gmail.Requests() {
		if strings.HasSuffix(r.Path, "/watch") {
			calls[r.User] = append(calls[r.User], r.Status)
		}
	}
	for _, u := range users {
		ok := 0
		for _, s := range calls[u] {
			if s == http.StatusOK {
				ok++
			}
		}
		switch {
		case u == refused:
			if len(calls[u]) != 1 || ok != 0 {
				t.Fatalf("refused %s: calls %v, want one refused call", u, calls[u])
			}
		case slices.Contains(flaky, u):
			if ok != 1 || len(calls[u]) != 7 {
				t.Fatalf("flaky %s: calls %v, want six 503s then one success", u, calls[u])
			}
		default:
			if len(calls[u]) != 1 || ok != 1 {
				t.Fatalf("%s: calls %v, want exactly one", u, calls[u])
			}
		}
	}
	// Within the window: every wait (the sweep's minutes) plus every slice
	// charged its full budget, run one after another.
	window := renewWindow(t)
	worst := time.Duration(runs.sweeps)*time.Minute + time.Duration(runs.slices)*service.DefaultJobSlice
	t.Logf("%d users: %d batches, %d slices, %d sweeps; waits %s, worst case on one instance %s; cron window %s",
		len(users), rep.Batches, runs.slices, runs.sweeps, h.clock.skipped(), worst, window)
	if worst >= window {
		t.Fatalf("worst case %s is not within the cron window %s", worst, window)
	}
}

// TestNewUserWatched: a user provisioned by an admin, or on first sign-in,
// is watched at once (a job of its own), not at the next nightly renewal.
func TestNewUserWatched(t *testing.T) {
	h := newHarness(t, "projects/p/topics/gmail", noRetryWait)
	ctx := t.Context()
	org, err := h.st.OrgSettings(ctx)
	must(t, err)
	const carla, dora = "carla@acme.example", "dora@acme.example"
	for _, u := range []string{carla, dora} {
		h.gmail.SetToken("tok-"+u, u)
	}
	if _, err := h.svc.PutUser(ctx, h.admin, discreet.User{Email: carla, Role: discreet.RoleRep, Teams: []string{"de"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SignInIdentity(ctx, service.Identity{Email: dora, HostedDomain: org.InternalDomains[0]}); err != nil {
		t.Fatal(err)
	}
	// Changing an existing user starts nothing new.
	if _, err := h.svc.PutUser(ctx, h.admin, discreet.User{Email: carla, Role: discreet.RoleManager, Teams: []string{"de"}}); err != nil {
		t.Fatal(err)
	}
	jobs, err := h.svc.Jobs(ctx, h.admin, 100, "")
	must(t, err)
	if len(jobs.Items) != 2 {
		t.Fatalf("%d jobs after provisioning two users, want 2: %+v", len(jobs.Items), jobs.Items)
	}
	h.runJobs(t, func() bool { return true })
	for _, u := range []string{carla, dora} {
		if w, err := h.st.WatchState(ctx, u); err != nil || w.HistoryID == 0 {
			t.Fatalf("%s: watch %+v, %v; want watched once provisioned", u, w, err)
		}
	}
	if n := h.watchCalls(); n != 2 {
		t.Fatalf("%d watch calls, want 2", n)
	}

	// Without capture, provisioning starts no job.
	off := newHarness(t, "projects/p/topics/gmail", func(c *capture.Config) { c.Tokens = nil })
	if _, err := off.svc.PutUser(ctx, off.admin, discreet.User{Email: carla, Role: discreet.RoleRep}); err != nil {
		t.Fatal(err)
	}
	if jobs, err := off.svc.Jobs(ctx, off.admin, 100, ""); err != nil || len(jobs.Items) != 0 {
		t.Fatalf("jobs without capture: %+v, %v", jobs, err)
	}
}

// TestRenewThroughPubSub: the production driver. Cron's request starts
// the renewal; every slice of it and of its batches is a real Pub/Sub push
// (emulator) to /v1/jobs:run; a batch whose mailboxes Gmail does not
// serve for a while backs off, and cron's sweep hands it on once its wait
// is over (Pub/Sub cannot delay a message).
func TestRenewThroughPubSub(t *testing.T) {
	pubsubEmulator.Get(t) // sets PUBSUB_EMULATOR_HOST
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const (
		jobsAudience = "https://discreet.test/v1/jobs:run"
		jobsSA       = "jobs-push@discreet-test.iam.gserviceaccount.com"
	)
	project := emulator.ProjectID()
	client, err := pubsub.NewClient(ctx, project)
	must(t, err)
	t.Cleanup(func() { client.Close() })
	jobsTopic := "projects/" + project + "/topics/jobs"
	_, err = client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: jobsTopic})
	must(t, err)
	publisher := client.Publisher(jobsTopic)
	t.Cleanup(publisher.Stop)
	ps, err := worker.NewPubSub(worker.PubSubConfig{Publisher: publisher, Verifier: authtest.Verifier(t),
		PushAudience: jobsAudience, PushServiceAccount: jobsSA, Audiences: []string{apiAudience}, TrustCronHeader: true})
	must(t, err)
	h := newHarnessJobs(t, "projects/"+project+"/topics/gmail", ps, ps.Routes(), noRetryWait,
		func(c *capture.Config) { c.TrustCronHeader = true })
	ps.Bind(h.svc)

	var pushes atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, h.api.URL+r.URL.Path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+authtest.Token(jobsSA, jobsAudience))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			pushes.Add(1)
		}
		w.WriteHeader(resp.StatusCode)
	}))
	t.Cleanup(proxy.Close)
	_, err = client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: "projects/" + project + "/subscriptions/jobs-push", Topic: jobsTopic,
		PushConfig: &pubsubpb.PushConfig{PushEndpoint: proxy.URL + worker.RouteRun}, AckDeadlineSeconds: 60,
	})
	must(t, err)

	users := []string{anna, admin}
	for i := range 248 {
		u := fmt.Sprintf("rep%03d@acme.example", i)
		users = append(users, u)
		h.gmail.SetToken("tok-"+u, u)
		must(t, h.st.PutUser(ctx, discreet.User{Email: u, Role: discreet.RoleRep, CreatedAt: time.Now().UTC()}))
	}
	slices.Sort(users)
	flaky := users[150]
	h.gmail.FailUser(flaky, 6, http.StatusServiceUnavailable)

	status, resp := h.do(t, http.MethodGet, capture.RouteRenew, "", "", "X-Appengine-Cron", "true")
	var job service.JobView
	if status != http.StatusAccepted || json.Unmarshal([]byte(resp), &job) != nil {
		t.Fatalf("cron: %d (%s)", status, resp)
	}
	// Cron sweeps every minute; here every 200 ms, until the renewal is
	// done. (The service's clock is real: the Pub/Sub driver publishes
	// only what is due by the wall clock.)
	deadline := time.Now().Add(90 * time.Second)
	for {
		j, err := h.svc.Job(ctx, h.admin, job.ID)
		must(t, err)
		if j.State != store.JobRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the renewal did not finish through Pub/Sub: %+v", j)
		}
		time.Sleep(200 * time.Millisecond)
		if status, resp := h.do(t, http.MethodGet, worker.RouteSweep, "", "", "X-Appengine-Cron", "true"); status != http.StatusOK {
			t.Fatalf("cron's sweep: %d (%s)", status, resp)
		}
	}
	rep := h.finish(t, job.ID) // finished: reads the report
	if rep.Batches != 3 || rep.Renewed != len(users) || rep.Retried != 1 {
		t.Fatalf("report %+v, want 3 batches, %d renewed, one batch retried", rep, len(users))
	}
	for _, u := range users {
		if w, err := h.st.WatchState(ctx, u); err != nil || w.HistoryID == 0 {
			t.Fatalf("%s not watched: %+v, %v", u, w, err)
		}
	}
	if n := pushes.Load(); n < 4 {
		t.Fatalf("%d pushes acknowledged, want the renewal's and each batch's slices", n)
	}
}
