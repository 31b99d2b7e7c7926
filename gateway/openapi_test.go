package gateway_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"cloud.google.com/go/pubsub/v2"
	"github.com/labstack/echo/v4"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/capture"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/worker"
)

// TestOpenAPIOneCopy: docs/openapi.yaml is a link to the embedded file,
// not a copy that can drift.
func TestOpenAPIOneCopy(t *testing.T) {
	target, err := os.Readlink("../docs/openapi.yaml")
	if err != nil || target != "../gateway/openapi.yaml" {
		t.Fatalf("docs/openapi.yaml must be a symlink to ../gateway/openapi.yaml: %q, %v", target, err)
	}
	docs, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil || !bytes.Equal(docs, gateway.OpenAPI()) {
		t.Fatalf("docs/openapi.yaml does not read as the served document (%v)", err)
	}
}

// TestOpenAPI: the document is served, every route (the REST API's,
// capture's and the job driver's) is documented and every documented
// operation is routed.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	resp := e.must(http.StatusOK, req{method: "GET", path: "/v1/openapi.yaml"})
	if !bytes.Equal(resp.body, gateway.OpenAPI()) {
		t.Fatal("the served document is not the embedded one")
	}
	doc := gateway.OpenAPI()
	if !bytes.HasPrefix(doc, []byte("openapi: 3.1.")) {
		t.Error("not OpenAPI 3.1")
	}
	documented := documentedOperations(t, doc)

	// Capture as production mounts it, switched off (no delegation) but
	// with its push identity, so its routes authenticate like production's.
	capt, err := capture.New(capture.Config{
		Service: e.svc, Store: e.st, Verifier: authtest.Verifier(t),
		PushAudience: "https://discreet.test/v1/gmail/push", PushServiceAccount: "push@p.iam.gserviceaccount.com",
		Audiences: []string{audience},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The Pub/Sub job driver as production mounts it (its routes include
	// the embedded driver's sweep). Nothing is published here: the client
	// points nowhere and never dials.
	client, err := pubsub.NewClient(t.Context(), "p", option.WithEndpoint("127.0.0.1:1"), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	jobs, err := worker.NewPubSub(worker.PubSubConfig{
		Publisher: client.Publisher("projects/p/topics/jobs"), Verifier: authtest.Verifier(t),
		PushAudience: "https://discreet.test/v1/jobs:run", PushServiceAccount: "jobs-push@p.iam.gserviceaccount.com",
		Audiences: []string{audience},
	})
	if err != nil {
		t.Fatal(err)
	}
	jobs.Bind(e.svc)
	h := gateway.New(gateway.Config{Service: e.svc, Verifier: authtest.Verifier(t), Audiences: []string{audience},
		Routes: append(capt.Routes(), jobs.Routes()...)})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	// Every Echo route is documented (verb routes are served by one Echo
	// route per prefix; the requests below prove each verb).
	routed := map[string]bool{}
	for _, r := range h.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		p := regexp.MustCompile(`:(\w+)`).ReplaceAllString(strings.ReplaceAll(r.Path, `\:`, "\x00"), "{$1}")
		p = strings.ReplaceAll(p, "\x00", ":")
		op := r.Method + " " + p
		routed[op] = true
		if !documented[op] && !documentedVerb(documented, op) {
			t.Errorf("route %s is not documented", op)
		}
	}
	for _, op := range []string{"POST /v1/gmail/push", "POST /v1/gmail/watch:renew", "GET /v1/gmail/watch:renew", "GET /_ah/warmup",
		"POST /v1/jobs:run", "POST /v1/jobs:sweep", "GET /v1/jobs:sweep", "GET /v1/jobs", "GET /v1/jobs/{id}"} {
		if !routed[op] {
			t.Errorf("%s is not routed", op)
		}
	}
	// Every documented operation answers: anonymous callers get 401 from a
	// protected route, 200 from a public one, never 404 or 405 — except
	// the cron-only GETs, which answer 405 to anyone but cron.
	for op := range documented {
		method, p, _ := strings.Cut(op, " ")
		p = regexp.MustCompile(`\{\w+\}`).ReplaceAllString(p, "x@y.example")
		r, err := http.NewRequest(method, srv.URL+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := resp.StatusCode == 401 || resp.StatusCode == 200
		if op == "GET /v1/gmail/watch:renew" || op == "GET /v1/jobs:sweep" {
			want = resp.StatusCode == 405
		}
		if !want {
			t.Errorf("documented %s: %d", op, resp.StatusCode)
		}
	}
	if len(documented) < 33 {
		t.Errorf("only %d documented operations", len(documented))
	}
}

// documentedVerb reports whether op ("POST /v1/x/{id}") is the Echo route
// that serves documented custom verbs ("POST /v1/x/{id}:grant").
func documentedVerb(documented map[string]bool, op string) bool {
	for d := range documented {
		if strings.HasPrefix(d, op+":") {
			return true
		}
	}
	return false
}
