package worker_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/worker"
)

const (
	pushAudience = "https://discreet.test/v1/jobs:run"
	pushSA       = "jobs-push@discreet-test.iam.gserviceaccount.com"
	apiAudience  = "discreet-test-audience"
)

// pushProxy stands in for Pub/Sub's push authentication: it forwards each
// push to the service with the OIDC token Pub/Sub would attach, and
// records the answers.
type pushProxy struct {
	srv      *httptest.Server
	mu       sync.Mutex
	statuses []int
}

func newPushProxy(t *testing.T, target string) *pushProxy {
	p := &pushProxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, target+r.URL.Path, bytes.NewReader(body))
		req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		req.Header.Set("Authorization", "Bearer "+authtest.Token(pushSA, pushAudience))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		p.mu.Lock()
		p.statuses = append(p.statuses, resp.StatusCode)
		p.mu.Unlock()
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(out)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pushProxy) acked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.statuses {
		if s/100 == 2 {
			n++
		}
	}
	return n
}

// The production driver end to end: a job's slices are delivered by a
// real Pub/Sub push subscription (emulator) to /v1/jobs:run, each slice
// re-publishes the next, and the sweep (cron) hands on a job whose wait is
// over.
func TestPubSubDriver(t *testing.T) {
	pubsubEmulator.Get(t) // sets PUBSUB_EMULATOR_HOST
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	project := emulator.ProjectID()
	topic := "projects/" + project + "/topics/jobs"
	client, err := pubsub.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
		t.Fatal(err)
	}
	publisher := client.Publisher(topic)
	t.Cleanup(publisher.Stop)
	verifier := authtest.Verifier(t)
	ps, err := worker.NewPubSub(worker.PubSubConfig{Publisher: publisher, Verifier: verifier,
		PushAudience: pushAudience, PushServiceAccount: pushSA, Audiences: []string{apiAudience}})
	if err != nil {
		t.Fatal(err)
	}
	// Every slice does one step, so the import takes several deliveries.
	o := newOrg(t, ps, service.Config{JobSlice: time.Nanosecond, DecisionWindow: time.Second})
	ps.Bind(o.svc)
	api := httptest.NewServer(gateway.New(gateway.Config{Service: o.svc, Verifier: verifier, Audiences: []string{apiAudience},
		Routes: ps.Routes()}))
	t.Cleanup(api.Close)
	proxy := newPushProxy(t, api.URL)
	if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name:               "projects/" + project + "/subscriptions/jobs-push",
		Topic:              topic,
		PushConfig:         &pubsubpb.PushConfig{PushEndpoint: proxy.srv.URL + worker.RouteRun},
		AckDeadlineSeconds: 60,
	}); err != nil {
		t.Fatal(err)
	}

	res, err := o.svc.ImportNeverLog(ctx, o.admin, importText(450))
	if err != nil || res.Job == nil {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if j := o.waitJob(t, res.Job.ID, time.Minute); j.State != store.JobDone || j.Done != 450 {
		t.Fatalf("import through Pub/Sub: %+v", j)
	}
	// The job is saved done before the last push's answer reaches the
	// proxy: give that answer a moment.
	for deadline := time.Now().Add(10 * time.Second); proxy.acked() < 4 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := proxy.acked(); n < 4 {
		t.Fatalf("%d pushes acknowledged, want a slice per step (3 batches and the audit)", n)
	}

	// A purge waits for its second pass; Pub/Sub cannot delay a message,
	// so the sweep (cron, or an admin) hands the job on once the wait is
	// over.
	o.log(t, "a@junk.example")
	added, err := o.svc.AddNeverLog(ctx, o.admin, service.AddNeverLogRequest{Pattern: "@junk.example", PurgeExisting: true})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, _ := o.svc.Job(ctx, o.admin, added.Purge.ID)
		if j.Done == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first pass did not run: %+v", j)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1200 * time.Millisecond) // the decision window
	if j, _ := o.svc.Job(ctx, o.admin, added.Purge.ID); j.State != store.JobRunning {
		t.Fatalf("the purge finished without the sweep: %+v", j)
	}
	sweep := func(auth string, method string) *http.Response {
		req, _ := http.NewRequestWithContext(ctx, method, api.URL+worker.RouteSweep, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := sweep("", http.MethodPost); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous sweep: %d", r.StatusCode)
	}
	if r := sweep("Bearer "+authtest.Token(annaEmail, apiAudience), http.MethodPost); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a rep's sweep: %d", r.StatusCode)
	}
	if r := sweep("Bearer "+authtest.Token(adminEmail, apiAudience), http.MethodGet); r.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET sweep without the cron header: %d", r.StatusCode)
	}
	if r := sweep("Bearer "+authtest.Token(adminEmail, apiAudience), http.MethodPost); r.StatusCode != http.StatusOK {
		t.Fatalf("admin sweep: %d", r.StatusCode)
	}
	if j := o.waitJob(t, added.Purge.ID, 30*time.Second); j.State != store.JobDone || j.Done != 1 {
		t.Fatalf("purge through Pub/Sub: %+v", j)
	}

	// A push without the subscription's token is refused.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, api.URL+worker.RouteRun, strings.NewReader(`{"message":{"data":"e30="}}`))
	req.Header.Set("Authorization", "Bearer "+authtest.Token("mallory@evil.example", pushAudience))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a forged push: %d", resp.StatusCode)
	}
}

// Both drivers' routes are Public (they authenticate their callers
// themselves) and declare the long deadline: a slice or a sweep works
// through many documents.
func TestRoutes(t *testing.T) {
	client, err := pubsub.NewClient(t.Context(), "p", option.WithEndpoint("127.0.0.1:1"), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	ps, err := worker.NewPubSub(worker.PubSubConfig{Publisher: client.Publisher("projects/p/topics/jobs"),
		Verifier: authtest.Verifier(t), PushAudience: pushAudience, PushServiceAccount: pushSA})
	if err != nil {
		t.Fatal(err)
	}
	em := worker.NewEmbedded(worker.EmbeddedConfig{})
	for name, tc := range map[string]struct {
		routes []gateway.Route
		want   []string
	}{
		"pubsub": {ps.Routes(), []string{"POST " + worker.RouteRun, "POST " + worker.RouteSweep, "GET " + worker.RouteSweep,
			"POST " + worker.RouteRetention, "GET " + worker.RouteRetention}},
		"embedded": {em.Routes(), []string{"POST " + worker.RouteSweep, "GET " + worker.RouteSweep,
			"POST " + worker.RouteRetention, "GET " + worker.RouteRetention}},
	} {
		var got []string
		for _, r := range tc.routes {
			got = append(got, r.Method+" "+r.Path)
			if !r.Public || r.Deadline != gateway.LongRequestTimeout || r.Handler == nil {
				t.Errorf("%s: %s %s: public %v, deadline %v", name, r.Method, r.Path, r.Public, r.Deadline)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s routes %v, want %v", name, got, tc.want)
		}
	}
}
