package gmail_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/gmail"
	"github.com/discreet-crm/discreet/internal/gmailfake"
	"github.com/discreet-crm/discreet/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const fixtures = "../testdata/mail"

var tokens = service.GmailTokens{OAuthToken: gmailfake.DefaultToken, AccessToken: "per-message-token"}

// sleeps records the backoff waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func setup(t *testing.T) (*gmailfake.Server, *gmail.Client, *sleeps) {
	t.Helper()
	fake := gmailfake.New(t, fixtures)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	c := gmail.New(fake.URL(), hc)
	s := &sleeps{}
	c.Sleep = s.sleep
	return fake, c, s
}

func wantCode(t *testing.T, err error, code discreet.Code) *discreet.Error {
	t.Helper()
	var de *discreet.Error
	if !errors.As(err, &de) || de.Code != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	return de
}

func TestRawSuccess(t *testing.T) {
	fake, c, _ := setup(t)
	fake.RequireAccessToken("per-message-token")
	got, err := c.Raw(context.Background(), tokens, "idn")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(fixtures + "/idn.eml")
	if !bytes.Equal(got, want) {
		t.Errorf("Raw returned %d bytes, want the fixture's %d bytes unchanged", len(got), len(want))
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %v", reqs)
	}
	r := reqs[0]
	if r.Path != "/gmail/v1/users/me/messages/idn" || r.Query.Get("format") != "raw" {
		t.Errorf("request = %v", r)
	}
	if r.Header.Get("Authorization") != "Bearer "+gmailfake.DefaultToken || r.Header.Get("X-Goog-Gmail-Access-Token") != "per-message-token" {
		t.Errorf("headers = %v", r.Header)
	}
}

func TestRawPerUserMailbox(t *testing.T) {
	fake, c, _ := setup(t)
	fake.SetToken("beat-token", "beat@acme-ch.example")
	fake.AddMessage("beat@acme-ch.example", "18c0ffee", []byte("From: kunde@zurich-bank.example\r\nSubject: nur für Beat\r\n\r\nhi\r\n"))
	got, err := c.Raw(context.Background(), service.GmailTokens{OAuthToken: "beat-token"}, "18c0ffee")
	if err != nil || !bytes.Contains(got, []byte("nur für Beat")) {
		t.Fatalf("Raw = %q, %v", got, err)
	}
	if fake.Requests()[0].Header.Get("X-Goog-Gmail-Access-Token") != "" {
		t.Error("sent an empty X-Goog-Gmail-Access-Token")
	}
	// Anna's token does not reach Beat's mailbox.
	_, err = c.Raw(context.Background(), tokens, "18c0ffee")
	wantCode(t, err, discreet.ENotFound)
}

func TestRawRetriesHonoringRetryAfter(t *testing.T) {
	fake, c, s := setup(t)
	fake.FailNext(2, http.StatusTooManyRequests, "3")
	if _, err := c.Raw(context.Background(), tokens, "reply-chain"); err != nil {
		t.Fatal(err)
	}
	if got := s.all(); len(got) != 2 || got[0] != 3*time.Second || got[1] != 3*time.Second {
		t.Errorf("sleeps = %v, want [3s 3s]", got)
	}
	if n := len(fake.Requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRawRetryAfterHTTPDate(t *testing.T) {
	fake, c, s := setup(t)
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	c.Now = func() time.Time { return now }
	fake.FailNext(1, http.StatusServiceUnavailable, now.Add(2*time.Second).Format(http.TimeFormat))
	if _, err := c.Raw(context.Background(), tokens, "reply-chain"); err != nil {
		t.Fatal(err)
	}
	if got := s.all(); len(got) != 1 || got[0] != 2*time.Second {
		t.Errorf("sleeps = %v, want [2s]", got)
	}
}

func TestRaw5xxGivesUpUnavailable(t *testing.T) {
	fake, c, s := setup(t)
	fake.FailNext(10, http.StatusInternalServerError, "")
	_, err := c.Raw(context.Background(), tokens, "reply-chain")
	de := wantCode(t, err, discreet.EUnavailable)
	if de.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v", de.RetryAfter)
	}
	if n := len(fake.Requests()); n != gmail.DefaultAttempts {
		t.Errorf("%d requests, want %d", n, gmail.DefaultAttempts)
	}
	got := s.all()
	if len(got) != gmail.DefaultAttempts-1 {
		t.Fatalf("sleeps = %v", got)
	}
	for i, d := range got { // jittered exponential: [base·2^i / 2, base·2^i]
		hi := gmail.DefaultBaseDelay << i
		if d < hi/2 || d > hi {
			t.Errorf("sleep %d = %v, want in [%v, %v]", i, d, hi/2, hi)
		}
	}
}

func TestRaw429GivesUpRateLimited(t *testing.T) {
	fake, c, _ := setup(t)
	fake.FailNext(10, http.StatusTooManyRequests, "2")
	_, err := c.Raw(context.Background(), tokens, "reply-chain")
	de := wantCode(t, err, discreet.ERateLimited)
	if de.RetryAfter != 2*time.Second {
		t.Errorf("RetryAfter = %v, want 2s", de.RetryAfter)
	}
}

// A Retry-After beyond the total wait budget ends the retries at once.
func TestRawRetryAfterBeyondBudget(t *testing.T) {
	fake, c, s := setup(t)
	fake.FailNext(1, http.StatusServiceUnavailable, "120")
	_, err := c.Raw(context.Background(), tokens, "reply-chain")
	de := wantCode(t, err, discreet.EUnavailable)
	if de.RetryAfter != 120*time.Second || len(s.all()) != 0 || len(fake.Requests()) != 1 {
		t.Errorf("RetryAfter = %v, sleeps %v, requests %d", de.RetryAfter, s.all(), len(fake.Requests()))
	}
}

func TestRawTimeout(t *testing.T) {
	fake, c, _ := setup(t)
	fake.DelayNext(1, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Raw(ctx, tokens, "reply-chain")
	wantCode(t, err, discreet.EUnavailable)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v; the deadline was not respected", d)
	}
}

// Real sleeping respects ctx too.
func TestRawBackoffRespectsContext(t *testing.T) {
	fake, c, _ := setup(t)
	c.Sleep = gmail.New("", nil).Sleep
	fake.FailNext(10, http.StatusServiceUnavailable, "5")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Raw(ctx, tokens, "reply-chain")
	wantCode(t, err, discreet.EUnavailable)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestRawErrors(t *testing.T) {
	tests := []struct {
		name   string
		tokens service.GmailTokens
		id     string
		setup  func(*gmailfake.Server)
		code   discreet.Code
	}{
		{"not found", tokens, "no-such-message", nil, discreet.ENotFound},
		{"unknown token", service.GmailTokens{OAuthToken: "stolen"}, "idn", nil, discreet.EPermission},
		{"wrong access token", tokens, "idn", func(f *gmailfake.Server) { f.RequireAccessToken("other") }, discreet.EPermission},
		{"403", tokens, "idn", func(f *gmailfake.Server) { f.FailNext(1, http.StatusForbidden, "") }, discreet.EPermission},
		{"400", tokens, "idn", func(f *gmailfake.Server) { f.FailNext(1, http.StatusBadRequest, "") }, discreet.EInvalid},
		{"no token", service.GmailTokens{}, "idn", nil, discreet.EUnauthenticated},
		{"no id", tokens, " ", nil, discreet.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c, s := setup(t)
			if tt.setup != nil {
				tt.setup(fake)
			}
			_, err := c.Raw(context.Background(), tt.tokens, tt.id)
			wantCode(t, err, tt.code)
			if len(s.all()) != 0 {
				t.Errorf("retried a final error: sleeps %v", s.all())
			}
		})
	}
}

func TestRawNetworkErrorUnavailable(t *testing.T) {
	fake, c, s := setup(t)
	fake.Close()
	_, err := c.Raw(context.Background(), tokens, "idn")
	wantCode(t, err, discreet.EUnavailable)
	if len(s.all()) != gmail.DefaultAttempts-1 {
		t.Errorf("sleeps = %v", s.all())
	}
}

func TestRawConcurrent(t *testing.T) {
	fake, c, _ := setup(t)
	fake.FailNext(3, http.StatusInternalServerError, "0")
	var wg sync.WaitGroup
	for _, id := range []string{"idn", "reply-chain", "latin1", "html-only", "sent-bcc"} {
		wg.Go(func() {
			if _, err := c.Raw(context.Background(), tokens, id); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		})
	}
	wg.Wait()
}
