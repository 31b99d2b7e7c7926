package gateway_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/internal/logging"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// audience is what the test deployment expects in ID tokens.
const audience = "https://discreet.test.example"

// backend is a store the end-to-end tests run against.
type backend struct {
	name string
	open func(t *testing.T) store.Store
}

// backends are the stores every end-to-end test runs against: SQLite
// always, Firestore on the emulator (firestore_test.go).
var backends = []backend{
	{"sqlite", func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

func forEachBackend(t *testing.T, f func(t *testing.T, st store.Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.open(t)) })
	}
}

// env is a running gateway over real HTTP.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	svc    *service.Service
	st     store.Store
	logBuf *syncBuffer

	mu     sync.Mutex
	tokens map[string]string
}

type envOptions struct {
	store   store.Store
	devAuth bool
	gmail   service.MessageSource
	ready   func(context.Context) error
	mount   []func(*echo.Echo)
	project string
	// routes are other packages' routes (gateway.Config.Routes), made
	// with the env's service and store.
	routes func(svc *service.Service, st store.Store) []gateway.Route
	// now is the service's clock (service.Config.Now); nil: the real one.
	now func() time.Time
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	if o.store == nil {
		o.store = backends[0].open(t)
	}
	buf := &syncBuffer{}
	logger := slog.New(logging.NewHandler(buf, slog.LevelDebug))
	svc := service.New(service.Config{Store: o.store, Gmail: o.gmail, BootstrapAdmins: []string{"admin@acme.example"}, Logger: logger, Now: o.now})
	var routes []gateway.Route
	if o.routes != nil {
		routes = o.routes(svc, o.store)
	}
	h := gateway.New(gateway.Config{
		Service:   svc,
		Verifier:  authtest.Verifier(t),
		Audiences: []string{"https://other.example", audience},
		DevAuth:   o.devAuth,
		Logger:    logger,
		Ready:     o.ready,
		Mount:     o.mount,
		Project:   o.project,
		Routes:    routes,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, svc: svc, st: o.store, logBuf: buf, tokens: map[string]string{}}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// token is a valid Google ID token for email (signed once per env).
func (e *env) token(email string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	tok, ok := e.tokens[email]
	if !ok {
		tok = authtest.Token(email, audience)
		e.tokens[email] = tok
	}
	return tok
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r, err)
	}
}

func (r response) problem(t *testing.T) problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, r)
	}
	var p problem
	r.decode(t, &p)
	if p.Status != r.status || p.Code == "" || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Fatalf("incomplete problem: %s", r)
	}
	return p
}

type problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail"`
	Code   string            `json:"code"`
	Field  string            `json:"field"`
	Errors []json.RawMessage `json:"errors"`
}

// req describes one request; as is the caller's email ("" anonymous).
type req struct {
	method, path string
	as           string
	json         any    // encoded as application/json
	body         string // sent as is, with contentType
	contentType  string
	header       map[string]string
}

func (e *env) do(r req) response {
	e.t.Helper()
	var body io.Reader
	ct := r.contentType
	switch {
	case r.json != nil:
		b, err := json.Marshal(r.json)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
		if ct == "" {
			ct = "application/json"
		}
	case r.body != "":
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if r.as != "" {
		hr.Header.Set("Authorization", "Bearer "+e.token(r.as))
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// must does r and fails unless it answers status.
func (e *env) must(status int, r req) response {
	e.t.Helper()
	resp := e.do(r)
	if resp.status != status {
		e.t.Fatalf("%s %s as %q: %s, want %d", r.method, r.path, r.as, resp, status)
	}
	return resp
}

// mail is a test message.
type mail struct {
	from, subject, body, messageID string
	to, cc                         []string
	date                           time.Time
}

func (m mail) raw() []byte {
	if m.date.IsZero() {
		m.date = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", m.from)
	if len(m.to) > 0 {
		fmt.Fprintf(&b, "To: %s\r\n", strings.Join(m.to, ", "))
	}
	if len(m.cc) > 0 {
		fmt.Fprintf(&b, "Cc: %s\r\n", strings.Join(m.cc, ", "))
	}
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		m.subject, m.date.Format(time.RFC1123Z), m.messageID, m.body)
	return []byte(b.String())
}

func (m mail) base64url() string { return base64.RawURLEncoding.EncodeToString(m.raw()) }

type storeT = store.Store

func stdBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
