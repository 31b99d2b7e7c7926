package firestore_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/firestore"
)

// Budgets (issue 13, part 4), asserted with what Firestore would bill
// (reads.billed, writes, deletes); docs/PERFORMANCE.md records the figures
// and what they cost.

// timelineBudget is the most a page of 20 may read, whatever the contact.
const timelineBudget = 24

// seedMixed logs n emails onto contact, as reps log them: most are team
// emails of team ch, every tenth is the viewer's own private one, and
// every tenth from the fifth a colleague's private one.
func seedMixed(t testing.TB, s *firestore.Store, contact, viewer string, n int) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		owner, vis := fmt.Sprintf("rep%d@acme.com", i%7), discreet.VisibilityTeam
		switch i % 10 {
		case 0:
			owner, vis = viewer, discreet.VisibilityPrivate
		case 5:
			vis = discreet.VisibilityPrivate
		}
		id := fmt.Sprintf("<mixed-%s-%d@mail.example>", contact, i)
		e := discreet.Email{
			ID: policy.LegacyEmailID(id, ""), MessageID: id, Subject: fmt.Sprintf("Offer %d", i), From: owner, To: []string{contact},
			Date: base.Add(time.Duration(i) * time.Minute), Direction: discreet.Outbound, Snippet: "Dear customer, …",
			Body: "Dear customer,\n\nplease find our offer attached.\n", Owner: owner, Team: "ch", Visibility: vis,
			Contacts: []string{contact}, Participants: []string{owner, contact}, Source: discreet.SourceButton,
			LoggedAt: base.Add(time.Duration(i) * time.Minute),
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, _, err := s.LogEmail(ctx, store.EmailWrite{Email: e, Audience: policy.EmailAudience(e)}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestTimelineBudget: a page of 20 with the hidden count reads at most
// timelineBudget documents, for a rep and for admins, on a small contact
// and on one with more emails than the counts go up to; and the hidden
// count it answers is exact, or a lower bound that says so.
func TestTimelineBudget(t *testing.T) {
	s, r := openCounting(t)
	ctx := context.Background()
	const small, big = "small@kunde.example", "big@kunde.example"
	const smallN, bigN = 60, 2500
	anna := discreet.User{Email: "anna@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}}
	admin := discreet.User{Email: "admin@acme.com", Role: discreet.RoleAdmin}
	seedMixed(t, s, small, anna.Email, smallN)
	seedMixed(t, s, big, anna.Email, bigN)
	org := discreet.DefaultOrgSettings()
	private := org
	private.AdminsReadPrivate = true
	for _, tc := range []struct {
		name    string
		keys    []string
		contact string
		n       int
		hidden  int // what a count of every entry gives
	}{
		{"rep, small contact", policy.ViewerAudience(anna, org, discreet.AccessFull), small, smallN, smallN - smallN/10},
		{"admin, small contact", policy.ViewerAudience(admin, org, discreet.AccessFull), small, smallN, smallN / 10 * 2},
		{"rep, big contact", policy.ViewerAudience(anna, org, discreet.AccessFull), big, bigN, bigN - bigN/10},
		{"admin, big contact", policy.ViewerAudience(admin, org, discreet.AccessFull), big, bigN, bigN / 10 * 2},
		{"admin reading private, big contact", policy.ViewerAudience(admin, private, discreet.AccessFull), big, bigN, 0},
	} {
		q := store.TimelineQuery{Contact: tc.contact, Keys: tc.keys, Limit: 20, CountHidden: true}
		for page := 1; page <= 2; page++ {
			r.reset()
			p, err := s.Timeline(ctx, q)
			if err != nil {
				t.Fatalf("%s, page %d: %v", tc.name, page, err)
			}
			t.Logf("%s (%d emails), page %d: %d entries, hidden %d (at least: %v); %s", tc.name, tc.n, page, len(p.Entries), p.Hidden, p.HiddenAtLeast, r)
			if got := r.billed.Load(); got > timelineBudget {
				t.Errorf("%s, page %d: %d reads, budget %d", tc.name, page, got, timelineBudget)
			}
			switch {
			case !p.HiddenAtLeast && p.Hidden != tc.hidden:
				t.Errorf("%s: hidden %d, want %d", tc.name, p.Hidden, tc.hidden)
			case p.HiddenAtLeast && p.Hidden > tc.hidden:
				t.Errorf("%s: hidden at least %d, but %d are", tc.name, p.Hidden, tc.hidden)
			}
			if p.Next == "" {
				break
			}
			q.Cursor = p.Next
		}
	}
}

// captureBudget is the most logging one captured email may cost: the
// intent consumed, the decision, the log and its audit.
const captureReadBudget, captureWriteBudget = 12, 10

// TestCaptureBudget: service.CaptureSent of a rep's sent email to one
// external contact, with a compose intent, on a warm instance: what it
// reads and writes, to an existing contact and to a new one.
func TestCaptureBudget(t *testing.T) {
	s, r := openCounting(t)
	ctx := context.Background()
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.com"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutOrgSettings(ctx, org))
	must(s.PutTeam(ctx, discreet.Team{ID: "de", Name: "Germany"}))
	anna := discreet.User{Email: "anna@acme.com", Name: "Anna", Role: discreet.RoleRep, Teams: []string{"de"}}
	must(s.PutUser(ctx, anna))
	svc := service.New(service.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
	_, err := svc.AddNeverLog(ctx, discreet.User{Email: "admin@acme.com", Role: discreet.RoleAdmin},
		service.AddNeverLogRequest{Pattern: "@hr-partner.example"})
	must(err)

	sent := func(n int, to string) []byte {
		return []byte(fmt.Sprintf("From: anna@acme.com\r\nTo: %s\r\nSubject: Offer %d\r\nDate: Mon, 02 Mar 2026 09:%02d:00 +0000\r\n"+
			"Message-ID: <offer-%d@acme.com>\r\n\r\nDear customer,\r\nplease find our offer.\r\n", to, n, n, n))
	}
	capture := func(n int, to string) {
		t.Helper()
		_, err := svc.PutIntent(ctx, anna, service.IntentRequest{To: []string{to}, Subject: fmt.Sprintf("Offer %d", n), Log: true, Visibility: discreet.VisibilityTeam})
		must(err)
		r.reset()
		res, err := svc.CaptureSent(ctx, anna, sent(n, to), fmt.Sprintf("gm-%d", n))
		must(err)
		if res.Email == nil || !res.Created || res.Email.Source != discreet.SourceCompose {
			t.Fatalf("capture %d: %+v", n, res)
		}
	}
	capture(0, "kunde@kunde.example") // warms the instance: id key, compiled lists
	for _, tc := range []struct {
		name string
		n    int
		to   string
	}{
		{"existing contact", 1, "kunde@kunde.example"},
		{"new contact", 2, "neu@kunde.example"},
	} {
		capture(tc.n, tc.to)
		t.Logf("capture to %s: %s", tc.name, r)
		if r.billed.Load() > captureReadBudget || r.writes.Load()+r.deletes.Load() > captureWriteBudget {
			t.Errorf("capture to %s: %d reads, %d writes; budget %d and %d", tc.name, r.billed.Load(), r.writes.Load()+r.deletes.Load(),
				captureReadBudget, captureWriteBudget)
		}
	}
}

// messageReadBudget and messageRoundTrips bound opening a message with two
// external contacts on a warm instance (issue 13, part 4).
const messageReadBudget, messageRoundTrips = 15, 3

// TestMessageBudget: service.MessageState, what the message card reads,
// for a rep opening a message with two external contacts that colleagues
// logged email with (one she may read only as a stub, one with more emails
// she reads than the card shows), and one colleague: not logged yet, then
// logged by her. Per contact the card reads at most MessageTimeline
// entries and two counts whatever the contact's size (docs/PERFORMANCE.md
// gives the bound for any two contacts).
func TestMessageBudget(t *testing.T) {
	s, r := openCounting(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.com"}
	must(s.PutOrgSettings(ctx, org))
	// An org of 200 teams: the card reads the names it shows, not every team.
	for i := range 200 {
		must(s.PutTeam(ctx, discreet.Team{ID: fmt.Sprintf("t%03d", i), Name: fmt.Sprintf("Team %d", i)}))
	}
	for _, tm := range []discreet.Team{{ID: "de", Name: "Germany"}, {ID: "ch", Name: "Switzerland"}} {
		must(s.PutTeam(ctx, tm))
	}
	anna := discreet.User{Email: "anna@acme.com", Name: "Anna", Role: discreet.RoleRep, Teams: []string{"de"}}
	must(s.PutUser(ctx, anna))
	const bank, firm = "kunde@bank.example", "lead@firm.example"
	seedMixed(t, s, bank, "beat@acme.com", 40) // team ch's customer: a stub for Anna
	seedMixed(t, s, firm, anna.Email, 40)      // Anna reads her own emails on it
	svc := service.New(service.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
	_, err := svc.AddNeverLog(ctx, discreet.User{Email: "admin@acme.com", Role: discreet.RoleAdmin},
		service.AddNeverLogRequest{Pattern: "@hr-partner.example"})
	must(err)

	raw := []byte("From: Kunde <" + bank + ">\r\nTo: Anna <anna@acme.com>\r\nCc: " + firm + ", carla@acme.com\r\n" +
		"Subject: Offer\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\nMessage-ID: <budget@bank.example>\r\n\r\nHello.\r\n")
	open := func(name string, warm bool) service.MessageState {
		t.Helper()
		r.reset()
		st, err := svc.MessageState(ctx, anna, raw, "gm-budget")
		must(err)
		r.mu.Lock()
		inflight := r.inflight
		r.mu.Unlock()
		if inflight != 0 {
			t.Fatalf("%s: %d calls still open after MessageState returned: the round trip count cannot be trusted", name, inflight)
		}
		t.Logf("%s: %s; %d sequential round trips", name, r, r.roundTrips())
		if warm && (r.billed.Load() > messageReadBudget || r.roundTrips() > messageRoundTrips) {
			t.Errorf("%s: %d reads in %d round trips; budget %d reads, %d round trips", name, r.billed.Load(), r.roundTrips(),
				messageReadBudget, messageRoundTrips)
		}
		return st
	}
	open("cold instance, not logged", false)
	st := open("warm instance, not logged", true)
	if st.Email != nil || st.Decision != nil || len(st.Contacts) != 2 {
		t.Fatalf("not logged: %+v", st)
	}
	if c := st.Contacts[0]; c.Address != bank || c.Contact == nil || c.Contact.Access != discreet.AccessStub || c.Timeline == nil || c.Timeline.Hidden == nil {
		t.Errorf("the bank's contact: %+v", c)
	}
	if c := st.Contacts[1]; c.Address != firm || c.Contact == nil || c.Timeline == nil || len(c.Timeline.Items) == 0 {
		t.Errorf("the firm's contact: %+v", c)
	}

	if _, err := svc.LogEmail(ctx, anna, service.LogRequest{Raw: raw, Log: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	open("first open after logging", false)
	if st := open("warm instance, logged", true); st.Email == nil {
		t.Fatalf("logged: %+v", st)
	}
}

func ptr[T any](v T) *T { return &v }
