package firestore_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	firestorepb "cloud.google.com/go/firestore/apiv1/firestorepb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/firestore"
	"github.com/discreet-crm/discreet/store/storetest"
)

// One emulator serves the package, with the repository's security rules;
// every store gets its own project, so tests never see each other's data.
var firestoreEmulator = emulator.NewShared(emulator.Firestore, "--rules="+rulesFile())

func rulesFile() string {
	p, err := filepath.Abs(filepath.Join("..", "..", "firestore.rules"))
	if err != nil {
		panic(err)
	}
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if err := firestoreEmulator.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the Firestore emulator:", err)
	}
	os.Exit(code)
}

func open(t testing.TB, opts ...option.ClientOption) *firestore.Store {
	t.Helper()
	return openProject(t, emulator.ProjectID(), opts...)
}

func openProject(t testing.TB, project string, opts ...option.ClientOption) *firestore.Store {
	t.Helper()
	firestoreEmulator.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := firestore.New(ctx, project, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// reads counts, on the wire, what Firestore sends back: documents of
// queries and lookups, and aggregation results; and what it bills
// (billed, writes, deletes), as its pricing counts: a document read per
// document a query returns (one for a query that returns none), per
// document a lookup asks for (found or not), and per batch of up to 1,000
// index entries an aggregation counts (at least one); a write or delete
// per document a commit writes or deletes.
type reads struct {
	queryDocs, lookupDocs, aggregations, queries atomic.Int64
	billed, writes, deletes                      atomic.Int64

	// waves counts sequential round trips: calls that start while no other
	// is in flight. Calls made in parallel overlap and count once.
	mu       sync.Mutex
	inflight int
	waves    int
}

func (r *reads) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight == 0 {
		r.waves++
	}
	r.inflight++
}

func (r *reads) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight--
}

func (r *reads) roundTrips() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.waves
}

func (r *reads) reset() {
	r.queryDocs.Store(0)
	r.lookupDocs.Store(0)
	r.aggregations.Store(0)
	r.queries.Store(0)
	r.billed.Store(0)
	r.writes.Store(0)
	r.deletes.Store(0)
	r.mu.Lock()
	r.waves = 0
	r.mu.Unlock()
}

func (r *reads) String() string {
	return fmt.Sprintf("%d reads billed (%d query documents in %d queries, %d lookups, %d aggregations), %d writes, %d deletes",
		r.billed.Load(), r.queryDocs.Load(), r.queries.Load(), r.lookupDocs.Load(), r.aggregations.Load(), r.writes.Load(), r.deletes.Load())
}

// interceptUnary counts the writes and deletes of commits.
func (r *reads) interceptUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var ws []*firestorepb.Write
	switch m := req.(type) {
	case *firestorepb.CommitRequest:
		ws = m.Writes
	case *firestorepb.BatchWriteRequest:
		ws = m.Writes
	}
	r.start()
	err := invoker(ctx, method, req, reply, cc, opts...)
	r.end()
	if err == nil {
		for _, w := range ws {
			if w.GetDelete() != "" {
				r.deletes.Add(1)
			} else {
				r.writes.Add(1)
			}
		}
	}
	return err
}

func (r *reads) intercept(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	r.start()
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		r.end()
		return nil, err
	}
	return &countingStream{ClientStream: s, r: r}, nil
}

type countingStream struct {
	grpc.ClientStream
	r *reads
	// query: this stream runs a query; docs it has returned so far.
	query bool
	docs  int
	ended bool
}

func (s *countingStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil && !s.ended {
		s.ended = true
		s.r.end()
	}
	if err == io.EOF && s.query && s.docs == 0 {
		s.r.billed.Add(1) // a query that returns nothing costs a read
	}
	if err != nil {
		return err
	}
	switch m := m.(type) {
	case *firestorepb.RunQueryResponse:
		if m.Document != nil {
			s.r.queryDocs.Add(1)
			s.r.billed.Add(1)
			s.docs++
		}
	case *firestorepb.BatchGetDocumentsResponse:
		if m.GetFound() != nil {
			s.r.lookupDocs.Add(1)
		}
		if m.GetFound() != nil || m.GetMissing() != "" {
			s.r.billed.Add(1)
		}
	case *firestorepb.RunAggregationQueryResponse:
		if m.Result != nil {
			s.r.aggregations.Add(1)
			var n int64
			for _, v := range m.Result.AggregateFields {
				n = max(n, v.GetIntegerValue())
			}
			s.r.billed.Add(max(1, (n+999)/1000))
		}
	}
	return nil
}

func (s *countingStream) SendMsg(m any) error {
	if _, ok := m.(*firestorepb.RunQueryRequest); ok {
		s.r.queries.Add(1)
		s.query = true
	}
	return s.ClientStream.SendMsg(m)
}

// ownerAuth is what the Firestore client sends the emulator: the "owner"
// bearer token, which is exempt from security rules (as IAM is in
// production).
type ownerAuth struct{}

func (ownerAuth) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer owner"}, nil
}
func (ownerAuth) RequireTransportSecurity() bool { return false }

// openCounting opens a store whose gRPC connection counts reads.
func openCounting(t testing.TB) (*firestore.Store, *reads) {
	t.Helper()
	host := firestoreEmulator.Host(t)
	r := &reads{}
	conn, err := grpc.NewClient(host,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(ownerAuth{}),
		grpc.WithStreamInterceptor(r.intercept),
		grpc.WithUnaryInterceptor(r.interceptUnary))
	if err != nil {
		t.Fatal(err)
	}
	return open(t, option.WithGRPCConn(conn)), r
}

// seedTimeline logs n emails onto contact; every tenth is owned by
// viewer (private), the rest privately by colleagues in another team.
func seedTimeline(t testing.TB, s *firestore.Store, contact, viewer string, n int) (visible int) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		owner := fmt.Sprintf("rep%d@acme.com", i%7)
		if i%10 == 0 {
			owner = viewer
			visible++
		}
		e := discreet.Email{
			ID: policy.LegacyEmailID(fmt.Sprintf("<seed-%d@mail.example>", i), ""), MessageID: fmt.Sprintf("<seed-%d@mail.example>", i),
			Subject: fmt.Sprintf("Offer %d", i), From: owner, To: []string{contact}, Date: base.Add(time.Duration(i) * time.Minute),
			Direction: discreet.Outbound, Snippet: "Dear customer, …", Body: "Dear customer,\n\nplease find our offer attached.\n",
			Owner: owner, Team: "ch", Visibility: discreet.VisibilityPrivate, Contacts: []string{contact},
			Participants: []string{owner, contact}, Source: discreet.SourceButton, LoggedAt: base.Add(time.Duration(i) * time.Minute),
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, _, err := s.LogEmail(ctx, store.EmailWrite{Email: e}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return visible
}

// TestTimelineReadsOnlyThePage checks what a page costs: of a contact with
// 500 emails of which the viewer may read 50, a page of 10 reads exactly
// 10 documents, whatever page it is.
func TestTimelineReadsOnlyThePage(t *testing.T) {
	s, r := openCounting(t)
	const contact, pageSize = "kunde@kunde.example", 10
	viewer := discreet.User{Email: "anna@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}}
	visible := seedTimeline(t, s, contact, viewer.Email, 500)
	keys := policy.ViewerAudience(viewer, discreet.DefaultOrgSettings(), discreet.AccessFull)

	ctx := context.Background()
	q := store.TimelineQuery{Contact: contact, Keys: keys, Limit: pageSize, CountHidden: true}
	seen := 0
	for page := 1; ; page++ {
		r.reset()
		p, err := s.Timeline(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != pageSize {
			t.Fatalf("page %d has %d entries, want %d", page, len(p.Entries), pageSize)
		}
		for _, en := range p.Entries {
			if !en.Visible || en.Email == nil || en.Owner != viewer.Email {
				t.Fatalf("page %d shows %+v", page, en)
			}
		}
		seen += len(p.Entries)
		if p.Hidden != 500-visible {
			t.Fatalf("page %d: hidden %d, want %d", page, p.Hidden, 500-visible)
		}
		// The page query reads exactly the page; the look-ahead and the
		// counts of all and of visible entries are aggregations, which
		// read index entries (a read per 1,000), not documents.
		if got := r.queryDocs.Load(); got != pageSize {
			t.Fatalf("page %d: the timeline query read %d documents, want %d", page, got, pageSize)
		}
		if got := r.queries.Load(); got != 1 {
			t.Fatalf("page %d: %d queries, want 1", page, got)
		}
		if got := r.lookupDocs.Load(); got != 0 {
			t.Fatalf("page %d: %d document lookups, want none", page, got)
		}
		// A first page learns from the count of visible entries whether
		// there is a next one; later pages count ahead.
		wantAgg := 3
		if q.Cursor == "" {
			wantAgg = 2
		}
		if got := r.aggregations.Load(); got != int64(wantAgg) {
			t.Fatalf("page %d: %d aggregations, want %d (look-ahead after the first page, all and visible entries)", page, got, wantAgg)
		}
		if got := r.billed.Load(); got != int64(pageSize+wantAgg) {
			t.Fatalf("page %d: %d reads billed, want %d", page, got, pageSize+wantAgg)
		}
		t.Logf("page %d: %d documents by query, %d by lookup, %d aggregations", page, r.queryDocs.Load(), r.lookupDocs.Load(), r.aggregations.Load())
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if seen != visible {
		t.Fatalf("paged through %d entries, want %d", seen, visible)
	}

	// Without CountHidden a page is the query and the look-ahead only.
	r.reset()
	if _, err := s.Timeline(ctx, store.TimelineQuery{Contact: contact, Keys: keys, Limit: pageSize}); err != nil {
		t.Fatal(err)
	}
	if r.queryDocs.Load() != pageSize || r.lookupDocs.Load() != 0 || r.aggregations.Load() != 1 {
		t.Fatalf("page without hidden count: %d query documents, %d lookups, %d aggregations; want %d, 0, 1",
			r.queryDocs.Load(), r.lookupDocs.Load(), r.aggregations.Load(), pageSize)
	}
}

// TestRulesDenyClients checks firestore.rules as the emulator enforces it:
// a client without the server's identity, signed in or not, can neither
// read nor write.
func TestRulesDenyClients(t *testing.T) {
	host := firestoreEmulator.Host(t)
	project := emulator.ProjectID()
	s := openProject(t, project)
	if err := s.PutTeam(context.Background(), discreet.Team{ID: "de", Name: "Germany"}); err != nil {
		t.Fatal(err)
	}
	url := "http://" + host + "/v1/projects/" + project + "/databases/(default)/documents/teams/de"
	for _, tc := range []struct {
		who, auth string
		method    string
		want      int
	}{
		{"anonymous", "", http.MethodGet, http.StatusForbidden},
		{"anonymous", "", http.MethodPatch, http.StatusForbidden},
		{"a signed-in user", "Bearer " + userToken(project, "anna@acme.com"), http.MethodGet, http.StatusForbidden},
		{"a signed-in user", "Bearer " + userToken(project, "anna@acme.com"), http.MethodPatch, http.StatusForbidden},
		{"the server", "Bearer owner", http.MethodGet, http.StatusOK}, // IAM in production
	} {
		body := strings.NewReader(`{"fields":{"name":{"stringValue":"hacked"}}}`)
		req, _ := http.NewRequest(tc.method, url, body)
		req.Header.Set("Content-Type", "application/json")
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s as %s: %d %s, want %d", tc.method, "teams/de", tc.who, resp.StatusCode, got, tc.want)
		}
	}
	team, err := s.Team(context.Background(), "de")
	if err != nil || team.Name != "Germany" {
		t.Fatalf("team after the attempts: %+v, %v", team, err)
	}
}

// userToken is an unsigned Firebase ID token, which the emulator accepts
// as a signed-in user.
func userToken(project, email string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now().Unix()
	return enc(map[string]any{"alg": "none", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": "https://securetoken.google.com/" + project, "aud": project, "sub": "u1", "user_id": "u1",
		"email": email, "iat": now, "exp": now + 3600, "auth_time": now,
		"firebase": map[string]any{"sign_in_provider": "password"},
	}) + "."
}

func TestErrorsAreDomainErrors(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	_, err := s.User(ctx, "")
	if discreet.ErrorCode(err) != discreet.EInvalid {
		t.Errorf("User(\"\"): %v, want invalid_argument", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Email(canceled, "0123456789abcdef0123456789abcdef")
	if discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Errorf("Email with a canceled context: %v, want unavailable", err)
	}
}

// Keys that are not valid document ids as they stand still work, and
// stay apart.
func TestKeysNeedingEscapes(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for _, id := range []string{"a/b", "a%2Fb", ".", "..", "__x__", "__", "_", "%", "x y"} {
		if err := s.PutTeam(ctx, discreet.Team{ID: id, Name: "team " + id}); err != nil {
			t.Fatalf("PutTeam(%q): %v", id, err)
		}
	}
	for _, id := range []string{"a/b", "a%2Fb", ".", "..", "__x__", "__", "_", "%", "x y"} {
		got, err := s.Team(ctx, id)
		if err != nil || got.Name != "team "+id {
			t.Fatalf("Team(%q) = %+v, %v", id, got, err)
		}
	}
}

// TestEmailIDKeyFleet: instances (here separate clients) starting together
// on one database all end up with the one stored email-id key.
func TestEmailIDKeyFleet(t *testing.T) {
	project := emulator.ProjectID()
	const n = 5
	stores := make([]*firestore.Store, n)
	for i := range stores {
		stores[i] = openProject(t, project)
	}
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { keys[i], errs[i] = s.EmailIDKey(t.Context()) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		if string(keys[i]) != string(keys[0]) {
			t.Fatalf("instances disagree on the key: %x and %x", keys[0], keys[i])
		}
	}
	later := openProject(t, project)
	k, err := later.EmailIDKey(t.Context())
	if err != nil || string(k) != string(keys[0]) {
		t.Fatalf("an instance started later got %x, %v; want %x", k, err, keys[0])
	}
}
