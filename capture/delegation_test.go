package capture_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/iamcredentials/v1"
	apioption "google.golang.org/api/option"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/capture"
)

const delegationSA = "discreet-prod@appspot.gserviceaccount.com"

// googleFake is the IAM Credentials API (signJwt) and the OAuth token
// endpoint (jwt-bearer grant), as far as delegation uses them.
type googleFake struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	signed    []map[string]any // payloads signJwt received
	signPaths []string
	exchanged []map[string]any // claims of the assertions the token endpoint received
	perUser   map[string]int   // exchanges per subject: tokens are "at-<user>-<n>"
	signCode  int              // non-zero: signJwt answers this
	tokenCode int              // non-zero: the token endpoint answers this
	tokenBody string
	block     chan struct{} // when set, the token endpoint waits on it
}

func newGoogleFake(t *testing.T) *googleFake {
	f := &googleFake{t: t, perUser: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/projects/{rest...}", f.signJwt)
	mux.HandleFunc("POST /token", f.token)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *googleFake) tokenURL() string { return f.srv.URL + "/token" }

func (f *googleFake) iam() *iamcredentials.Service {
	svc, err := iamcredentials.NewService(context.Background(),
		apioption.WithEndpoint(f.srv.URL+"/"), apioption.WithHTTPClient(f.srv.Client()))
	if err != nil {
		f.t.Fatal(err)
	}
	return svc
}

// signJwt "signs" by wrapping the payload in a JWT with a fixed header and
// signature; the token endpoint below reads the claims back from it.
func (f *googleFake) signJwt(w http.ResponseWriter, r *http.Request) {
	var req iamcredentials.SignJwtRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var claims map[string]any
	if err := json.Unmarshal([]byte(req.Payload), &claims); err != nil {
		http.Error(w, "payload is not JSON", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.signed = append(f.signed, claims)
	f.signPaths = append(f.signPaths, r.URL.Path)
	code := f.signCode
	f.mu.Unlock()
	if code != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": "Permission 'iam.serviceAccounts.signJwt' denied or backend down"}})
		return
	}
	enc := base64.RawURLEncoding.EncodeToString
	jwt := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(req.Payload)) + "." + enc([]byte("signature"))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(iamcredentials.SignJwtResponse{KeyId: "k1", SignedJwt: jwt})
}

func (f *googleFake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		return
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	sub, _ := claims["sub"].(string)
	f.mu.Lock()
	f.exchanged = append(f.exchanged, claims)
	f.perUser[sub]++
	n := f.perUser[sub]
	code, body, block := f.tokenCode, f.tokenBody, f.block
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	w.Header().Set("Content-Type", "application/json")
	if code != 0 {
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": fmt.Sprintf("at-%s-%d", sub, n), "token_type": "Bearer", "expires_in": 3600,
	})
}

func (f *googleFake) counts() (signs, exchanges int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.signed), len(f.exchanged)
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTokens(t *testing.T, f *googleFake, c *clock) capture.Tokens {
	t.Helper()
	tokens, err := capture.DelegatedTokens(t.Context(), capture.Delegation{
		ServiceAccount: delegationSA, IAM: f.iam(), TokenURL: f.tokenURL(), HTTPClient: f.srv.Client(), Now: c.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// The service account signs for itself an assertion whose subject is the
// user, for the Gmail scope, addressed to the token endpoint, for an hour.
func TestDelegationAssertion(t *testing.T) {
	f := newGoogleFake(t)
	c := &clock{t: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)}
	tokens := newTokens(t, f, c)
	tok, err := tokens(t.Context(), anna)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "at-"+anna+"-1" {
		t.Errorf("token = %q", tok)
	}
	if len(f.signPaths) != 1 || f.signPaths[0] != "/v1/projects/-/serviceAccounts/"+delegationSA+":signJwt" {
		t.Errorf("signJwt called at %v, want the service account itself", f.signPaths)
	}
	iat := float64(c.now().Unix())
	want := map[string]any{
		"iss": delegationSA, "sub": anna, "scope": "https://www.googleapis.com/auth/gmail.readonly",
		"aud": f.tokenURL(), "iat": iat, "exp": iat + 3600,
	}
	for _, claims := range []map[string]any{f.signed[0], f.exchanged[0]} {
		if len(claims) != len(want) {
			t.Errorf("claims %v, want exactly %v", claims, want)
		}
		for k, v := range want {
			if claims[k] != v {
				t.Errorf("claim %s = %v, want %v", k, claims[k], v)
			}
		}
	}
}

// A token is reused for its user until shortly before it expires; other
// users get their own.
func TestDelegationCachesPerUser(t *testing.T) {
	f := newGoogleFake(t)
	c := &clock{t: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)}
	tokens := newTokens(t, f, c)
	get := func(user string) string {
		t.Helper()
		tok, err := tokens(t.Context(), user)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	first := get(anna)
	c.add(50 * time.Minute)
	if again := get(anna); again != first {
		t.Errorf("after 50 min: %q, want the cached %q", again, first)
	}
	if s, e := f.counts(); s != 1 || e != 1 {
		t.Errorf("one user twice: %d signJwt, %d exchanges; want 1 and 1", s, e)
	}
	if other := get(admin); other == first || !strings.Contains(other, admin) {
		t.Errorf("another user got %q", other)
	}
	c.add(6 * time.Minute) // 4 minutes before the hour: renewed
	if renewed := get(anna); renewed == first {
		t.Errorf("near expiry: still %q", renewed)
	}
	if s, e := f.counts(); s != 3 || e != 3 {
		t.Errorf("%d signJwt, %d exchanges; want 3 and 3", s, e)
	}
}

// Concurrent requests for one user's token make one exchange.
func TestDelegationOneExchangePerUser(t *testing.T) {
	f := newGoogleFake(t)
	f.block = make(chan struct{})
	tokens := newTokens(t, f, &clock{t: time.Now()})
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Go(func() {
			tok, err := tokens(t.Context(), anna)
			if err != nil {
				t.Error(err)
			}
			got[i] = tok
		})
	}
	// Let the first exchange reach the endpoint, then release it.
	for {
		if _, e := f.counts(); e > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(f.block)
	wg.Wait()
	if s, e := f.counts(); s != 1 || e != 1 {
		t.Errorf("20 concurrent requests: %d signJwt, %d exchanges; want 1", s, e)
	}
	for _, tok := range got {
		if tok != got[0] {
			t.Fatalf("tokens differ: %v", got)
		}
	}
}

// A waiting request gives up with its own deadline.
func TestDelegationWaitHonoursDeadline(t *testing.T) {
	f := newGoogleFake(t)
	f.block = make(chan struct{})
	defer close(f.block)
	tokens := newTokens(t, f, &clock{t: time.Now()})
	go func() { _, _ = tokens(context.Background(), anna) }() // holds anna's exchange
	for {
		if _, e := f.counts(); e > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := tokens(ctx, anna)
	if discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

func TestDelegationErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		signCode  int
		tokenCode int
		tokenBody string
		code      discreet.Code
		mention   string
	}{
		{"delegation not granted", 0, http.StatusUnauthorized, `{"error":"unauthorized_client","error_description":"Client is unauthorized to retrieve access tokens using this method"}`,
			discreet.EPermission, anna},
		{"no such user", 0, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"Invalid email or User ID"}`,
			discreet.EPermission, anna},
		{"token endpoint down", 0, http.StatusServiceUnavailable, `{"error":"backend_error"}`, discreet.EUnavailable, anna},
		{"token endpoint throttles", 0, http.StatusTooManyRequests, `{}`, discreet.EUnavailable, anna},
		{"cannot sign for itself", http.StatusForbidden, 0, "", discreet.EInternal, "roles/iam.serviceAccountTokenCreator"},
		{"IAM down", http.StatusServiceUnavailable, 0, "", discreet.EUnavailable, anna},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newGoogleFake(t)
			f.signCode, f.tokenCode, f.tokenBody = tc.signCode, tc.tokenCode, tc.tokenBody
			tokens := newTokens(t, f, &clock{t: time.Now()})
			_, err := tokens(t.Context(), anna)
			if discreet.ErrorCode(err) != tc.code || !strings.Contains(discreet.ErrorMessage(err), tc.mention) {
				t.Fatalf("err = %v (%s), want %s mentioning %q", err, discreet.ErrorCode(err), tc.code, tc.mention)
			}
			// A failure is not cached: once Google answers, the token comes.
			f.mu.Lock()
			f.signCode, f.tokenCode = 0, 0
			f.mu.Unlock()
			if _, err := tokens(t.Context(), anna); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
		})
	}
}

// Capture on delegated tokens: the Gmail calls carry the exchanged token
// of the mailbox's own user.
func TestCaptureWithDelegatedTokens(t *testing.T) {
	f := newGoogleFake(t)
	h := newHarness(t, "projects/p/topics/t", func(cfg *capture.Config) {
		cfg.Tokens = newTokens(t, f, &clock{t: time.Now()})
	})
	h.gmail.SetToken("at-"+anna+"-1", anna)
	h.renewAll(t)
	w, err := h.st.WatchState(t.Context(), anna)
	if err != nil || w.HistoryID == 0 {
		t.Fatalf("anna's watch after renewal with delegated tokens: %+v, %v", w, err)
	}
}
