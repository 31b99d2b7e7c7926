package capture_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/capture"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/internal/gmailfake"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/sqlite"
)

const (
	pushAudience = "https://discreet.test/v1/gmail/push"
	pushSA       = "gmail-push@discreet-test.iam.gserviceaccount.com"
	apiAudience  = "discreet-test-audience"
	anna         = "anna@acme.example"
	admin        = "admin@acme.example"
	customer     = "kunde@zurich-bank.example"
)

// harness is one org: a SQLite store, the service, a fake Gmail and the
// REST API (gateway) with capture mounted, served over HTTP.
type harness struct {
	st    store.Store
	svc   *service.Service
	gmail *gmailfake.Server
	cap   *capture.Capture
	api   *httptest.Server
	anna  discreet.User
	admin discreet.User
	topic string
	cfg   capture.Config
	clock *jobClock
}

// jobClock is the harness's time: real time plus what the test skipped
// (runJobs skips the waits of jobs).
type jobClock struct{ skip atomic.Int64 }

func (c *jobClock) now() time.Time          { return time.Now().Add(time.Duration(c.skip.Load())) }
func (c *jobClock) advance(d time.Duration) { c.skip.Add(int64(d)) }
func (c *jobClock) skipped() time.Duration  { return time.Duration(c.skip.Load()) }

type option func(*capture.Config)

func newHarness(t *testing.T, topic string, opts ...option) *harness {
	t.Helper()
	return newHarnessJobs(t, topic, nil, nil, opts...)
}

// newHarnessJobs is newHarness whose service hands its jobs to q, with the
// job driver's routes served beside capture's.
func newHarnessJobs(t *testing.T, topic string, q service.JobQueue, jobRoutes []gateway.Route, opts ...option) *harness {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	clk := &jobClock{}
	svc := service.New(service.Config{Store: st, Logger: logger, Now: clk.now, Jobs: q})
	h := &harness{st: st, svc: svc, gmail: gmailfake.New(t, ""), topic: topic, clock: clk}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.example"}
	must(t, st.PutOrgSettings(ctx, org))
	must(t, st.PutTeam(ctx, discreet.Team{ID: "de", Name: "Germany"}))
	h.anna = discreet.User{Email: anna, Name: "Anna", Role: discreet.RoleRep, Teams: []string{"de"}, CreatedAt: time.Now().UTC()}
	h.admin = discreet.User{Email: admin, Name: "Admin", Role: discreet.RoleAdmin, Teams: []string{"de"}, CreatedAt: time.Now().UTC()}
	for _, u := range []discreet.User{h.anna, h.admin} {
		must(t, st.PutUser(ctx, u))
		h.gmail.SetToken("tok-"+u.Email, u.Email)
	}
	cfg := capture.Config{
		Service: svc, Store: st,
		Tokens:        func(_ context.Context, user string) (string, error) { return "tok-" + user, nil },
		GmailEndpoint: h.gmail.URL(), HTTPClient: h.gmail.Client(),
		Topic:    topic,
		Verifier: authtest.Verifier(t), PushAudience: pushAudience, PushServiceAccount: pushSA,
		Audiences: []string{apiAudience},
		Logger:    logger,
		Now:       clk.now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.cfg = cfg
	h.cap, err = capture.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := gateway.New(gateway.Config{Service: svc, Logger: logger, Routes: append(h.cap.Routes(), jobRoutes...)})
	h.api = httptest.NewServer(e)
	t.Cleanup(h.api.Close)
	return h
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// mail is a sent message as Gmail keeps it in SENT.
type mail struct {
	id      string // Gmail id; the Message-ID derives from it
	from    string
	to      []string
	subject string
	date    time.Time
}

// sentAt is the date of mail without one: recent, and the same on every
// call, so that m.raw() is the same message every time.
var sentAt = time.Now().Truncate(time.Second)

func (m mail) raw() []byte {
	date := m.date
	if date.IsZero() {
		date = sentAt
	}
	from := m.from
	if from == "" {
		from = anna
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@mail.acme.example>\r\n",
		from, strings.Join(m.to, ", "), m.subject, date.Format(time.RFC1123Z), m.id)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, here is the quote.\r\n")
	return b.Bytes()
}

// send puts m into the user's SENT and returns the new history id.
func (h *harness) send(user string, m mail) uint64 {
	return h.gmail.AddMessage(user, m.id, m.raw(), "SENT")
}

func (h *harness) intent(t *testing.T, to []string, subject string, log bool, v discreet.Visibility) {
	t.Helper()
	if _, err := h.svc.PutIntent(t.Context(), h.anna, service.IntentRequest{To: to, Subject: subject, Log: log, Visibility: v}); err != nil {
		t.Fatal(err)
	}
}

// logged returns the stored email of m as its sender, who captured it,
// sees it, or false.
func (h *harness) logged(t *testing.T, m mail) (discreet.Email, bool) {
	t.Helper()
	from := m.from
	if from == "" {
		from = anna
	}
	sender, err := h.st.User(t.Context(), from)
	must(t, err)
	ev, err := h.svc.LoggedCopy(t.Context(), sender, m.raw(), m.id)
	if discreet.ErrorCode(err) == discreet.ENotFound {
		return discreet.Email{}, false
	}
	must(t, err)
	return ev.Email, true
}

func (h *harness) history(t *testing.T, user string) uint64 {
	t.Helper()
	w, err := h.st.WatchState(t.Context(), user)
	must(t, err)
	return w.HistoryID
}

// rawGets counts the format=raw reads of message id.
func (h *harness) rawGets(id string) int {
	n := 0
	for _, r := range h.gmail.Requests() {
		if strings.HasSuffix(r.Path, "/messages/"+id) && r.Query.Get("format") == "raw" && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// notification is a Pub/Sub push body as Gmail's notifications arrive.
func pushBody(user string, historyID uint64) string {
	data := fmt.Sprintf(`{"emailAddress":%q,"historyId":%d}`, user, historyID)
	return fmt.Sprintf(`{"message":{"data":%q,"messageId":"m-%d","publishTime":"2026-03-02T09:30:00Z"},"subscription":"projects/p/subscriptions/gmail-push"}`,
		b64(data), historyID)
}

// post sends body to path with the bearer token (none when "").
func (h *harness) post(t *testing.T, path, token, body string, header ...string) (int, string) {
	t.Helper()
	return h.do(t, http.MethodPost, path, token, body, header...)
}

func (h *harness) do(t *testing.T, method, path, token, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, h.api.URL+path, strings.NewReader(body))
	must(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// pushProxy stands where Pub/Sub's push would reach the service: it adds
// the OIDC token Pub/Sub attaches in production (the emulator attaches
// none), so the real verification runs, and records each answer.
type pushProxy struct {
	srv    *httptest.Server
	target string
	mu     sync.Mutex
	seen   []pushSeen
}

type pushSeen struct {
	historyID uint64
	status    int
}

func newPushProxy(t *testing.T, target string) *pushProxy {
	p := &pushProxy{target: target}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.target+r.URL.Path, bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		req.Header.Set("Authorization", "Bearer "+authtest.Token(pushSA, pushAudience))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		var id uint64
		if push, err := capture.DecodePush(body); err == nil {
			id = push.Notification.HistoryID
		}
		p.mu.Lock()
		p.seen = append(p.seen, pushSeen{id, resp.StatusCode})
		p.mu.Unlock()
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(out)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// acked counts pushes of historyID the service acknowledged (2xx).
func (p *pushProxy) acked(historyID uint64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.seen {
		if s.historyID == historyID && s.status >= 200 && s.status < 300 {
			n++
		}
	}
	return n
}

func (p *pushProxy) statuses(historyID uint64) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for _, s := range p.seen {
		if s.historyID == historyID {
			out = append(out, s.status)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func storeAuditAll() store.AuditQuery { return store.AuditQuery{Limit: 1000} }

// jobRuns is what runJobs did: slices run, and minutes skipped waiting as
// cron's sweep would (Pub/Sub cannot delay a message).
type jobRuns struct {
	slices, sweeps int
}

// runJobs runs the service's jobs the way the Pub/Sub driver does, on
// the harness's clock: every job due now is run, up to 8 at once, slice
// after slice; when none is due and done() is still false, a minute
// passes (the sweep's cron period) and the sweep looks again.
func (h *harness) runJobs(t *testing.T, done func() bool) jobRuns {
	t.Helper()
	ctx := t.Context()
	var runs jobRuns
	var mu sync.Mutex
	for sweeps := 0; ; sweeps++ {
		if sweeps > 48*60 {
			t.Fatalf("jobs did not finish in two simulated days (%d slices)", runs.slices)
		}
		ids, err := h.svc.DueJobs(ctx)
		must(t, err)
		if len(ids) == 0 {
			if done() {
				return runs
			}
			h.clock.advance(time.Minute)
			runs.sweeps++
			continue
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for _, id := range ids {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				for {
					r, err := h.svc.RunJob(ctx, id)
					mu.Lock()
					runs.slices++
					mu.Unlock()
					if err != nil {
						t.Errorf("RunJob(%s): %v", id, err)
						return
					}
					if !r.More {
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

// renewAll starts a watch renewal as an admin would and runs it to its
// end; it returns the job's report.
func (h *harness) renewAll(t *testing.T) service.WatchReport {
	t.Helper()
	j, err := h.svc.StartWatchRenewal(t.Context(), h.admin)
	must(t, err)
	return h.finish(t, j.ID)
}

// finish runs jobs until job id is finished, and returns its report.
func (h *harness) finish(t *testing.T, id string) service.WatchReport {
	t.Helper()
	var last service.JobView
	h.runJobs(t, func() bool {
		j, err := h.svc.Job(t.Context(), h.admin, id)
		must(t, err)
		last = j
		return j.State != store.JobRunning
	})
	if last.State != store.JobDone {
		t.Fatalf("job %s: %+v", id, last)
	}
	var rep service.WatchReport
	must(t, json.Unmarshal(last.Report, &rep))
	return rep
}
