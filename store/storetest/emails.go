package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

func testLogEmailIdempotent(t *testing.T, s store.Store) {
	ctx := t.Context()
	e := email("idem", "rep.de@acme.com", "de", discreet.VisibilityTeam, at(0),
		[]string{"anna@alpha.example", "bob@beta.example"}, "rep.de@acme.com", "mgr.de@acme.com")
	got := logEmail(t, s, e)
	sameEmail(t, got, e, "LogEmail returns the stored email")
	stored, err := s.Email(ctx, e.ID)
	must(t, err, "Email")
	sameEmail(t, stored, e, "Email returns everything logged, body and participants included")
	if stored.Owner != "rep.de@acme.com" || stored.Team != "de" {
		t.Fatalf("owner/team = %s/%s", stored.Owner, stored.Team)
	}

	second := e
	second.Owner, second.Team, second.Subject, second.Visibility = "rep.ch@acme.com", "ch", "changed", discreet.VisibilityPublic
	got, created, err := s.LogEmail(ctx, written(second))
	must(t, err, "LogEmail again")
	if created {
		t.Fatalf("LogEmail of a logged id: created = true")
	}
	sameEmail(t, got, e, "LogEmail again returns the first email")
	stored, _ = s.Email(ctx, e.ID)
	sameEmail(t, stored, e, "LogEmail again changes nothing")
	for _, c := range e.Contacts {
		entries := readAll(t, s, store.TimelineQuery{Contact: c, Keys: allKeys, Limit: 10})
		sameIDs(t, ids(entries), []string{e.ID}, "timeline of "+c+" after logging twice")
		if n := hidden(t, s, c, nil); n != 1 {
			t.Fatalf("%s counts %d emails, want 1", c, n)
		}
	}
}

func testLogEmailConcurrentSame(t *testing.T, s store.Store) {
	ctx := t.Context()
	contacts := []string{"anna@alpha.example", "bob@beta.example", "carl@gamma.example"}
	const n = 50
	var wg sync.WaitGroup
	results := make([]discreet.Email, n)
	createds := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		e := email("race", fmt.Sprintf("rep%02d@acme.com", i), "de", discreet.VisibilityPublic, at(0), contacts)
		wg.Go(func() {
			results[i], createds[i], errs[i] = s.LogEmail(ctx, written(e))
		})
	}
	wg.Wait()
	winner := -1
	for i := range n {
		must(t, errs[i], fmt.Sprintf("LogEmail #%d", i))
		if createds[i] {
			if winner >= 0 {
				t.Fatalf("LogEmail created the email twice (#%d and #%d)", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no LogEmail call reported created")
	}
	stored, err := s.Email(ctx, results[winner].ID)
	must(t, err, "Email")
	if stored.Owner != fmt.Sprintf("rep%02d@acme.com", winner) {
		t.Fatalf("stored owner %s, but #%d created it", stored.Owner, winner)
	}
	for i := range n {
		sameEmail(t, results[i], stored, fmt.Sprintf("LogEmail #%d returns the stored email", i))
	}
	for _, c := range contacts {
		entries := readAll(t, s, store.TimelineQuery{Contact: c, Keys: allKeys, Limit: 100, All: true})
		sameIDs(t, ids(entries), []string{stored.ID}, "timeline of "+c)
		if h := hidden(t, s, c, nil); h != 1 {
			t.Fatalf("%s counts %d emails, want 1", c, h)
		}
		contactIs(t, s, c, stored.Owner, "de")
	}
}

// testLogEmailConcurrentContact logs different emails onto one new contact
// at once: the contact is created once and counts every email.
func testLogEmailConcurrentContact(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	var want []discreet.Email
	for i := range n {
		e := email(fmt.Sprintf("many%02d", i), fmt.Sprintf("rep%02d@acme.com", i), "de", discreet.VisibilityPublic, at(i), []string{"anna@alpha.example"})
		want = append(want, e)
		wg.Go(func() { _, _, errs[i] = s.LogEmail(ctx, written(e)) })
	}
	wg.Wait()
	for i, err := range errs {
		must(t, err, fmt.Sprintf("LogEmail #%d", i))
	}
	entries := readAll(t, s, store.TimelineQuery{Contact: "anna@alpha.example", Keys: allKeys, Limit: 7})
	sameIDs(t, ids(entries), newestFirst(want...), "timeline after concurrent logging")
	if h := hidden(t, s, "anna@alpha.example", nil); h != n {
		t.Fatalf("contact counts %d emails, want %d", h, n)
	}
	c, err := s.Contact(ctx, "anna@alpha.example")
	must(t, err, "Contact")
	if !strings.HasPrefix(c.Owner, "rep") || c.Team != "de" {
		t.Fatalf("contact = %+v", c)
	}
}

func testLogEmailInvalid(t *testing.T, s store.Store) {
	e := email("bad", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(0), []string{"anna@alpha.example"})
	noID := e
	noID.ID = ""
	_, _, err := s.LogEmail(t.Context(), written(noID))
	wantCode(t, err, discreet.EInvalid, "LogEmail without an id")
	badVis := e
	badVis.Visibility = "secret"
	_, _, err = s.LogEmail(t.Context(), written(badVis))
	wantCode(t, err, discreet.EInvalid, "LogEmail with an unknown visibility")
	_, err = s.Email(t.Context(), e.ID)
	wantCode(t, err, discreet.ENotFound, "an invalid email is not stored")
}

func testEmailNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.Email(ctx, "0123456789abcdef0123456789abcdef")
	wantCode(t, err, discreet.ENotFound, "Email unknown")
	_, err = s.SetVisibility(ctx, "0123456789abcdef0123456789abcdef", discreet.VisibilityPublic, policy.EmailAudience)
	wantCode(t, err, discreet.ENotFound, "SetVisibility unknown")
	err = s.DeleteEmail(ctx, "0123456789abcdef0123456789abcdef")
	wantCode(t, err, discreet.ENotFound, "DeleteEmail unknown")
	p, err := s.Timeline(ctx, store.TimelineQuery{Contact: "nobody@nowhere.example", Keys: allKeys, Limit: 10, CountHidden: true})
	must(t, err, "Timeline of an unknown contact")
	if len(p.Entries) != 0 || p.Next != "" || p.Hidden != 0 {
		t.Fatalf("Timeline of an unknown contact = %+v, want empty", p)
	}
}

func testSetVisibility(t *testing.T, s store.Store) {
	ctx := t.Context()
	owner := discreet.User{Email: "anna@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}}
	mate := discreet.User{Email: "beat@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}}
	other := discreet.User{Email: "carl@acme.com", Role: discreet.RoleRep, Teams: []string{"ch"}}
	contacts := []string{"kunde@kunde.example", "client@client.example"}
	e := logEmail(t, s, email("vis", owner.Email, "de", discreet.VisibilityPrivate, at(0), contacts))

	sees := func(u discreet.User, want bool, what string) {
		t.Helper()
		for _, c := range contacts {
			got := readAll(t, s, store.TimelineQuery{Contact: c, Keys: keysOf(u, discreet.AccessFull), Limit: 10})
			if (len(got) == 1) != want || len(got) > 1 {
				t.Fatalf("%s: %s sees %d entries on %s", what, u.Email, len(got), c)
			}
			if want && got[0].Email.Visibility != e.Visibility {
				t.Fatalf("%s: timeline shows visibility %s, want %s", what, got[0].Email.Visibility, e.Visibility)
			}
		}
	}
	sees(owner, true, "private")
	sees(mate, false, "private")
	sees(other, false, "private")

	got, err := s.SetVisibility(ctx, e.ID, discreet.VisibilityTeam, policy.EmailAudience)
	must(t, err, "SetVisibility team")
	e.Visibility = discreet.VisibilityTeam
	sameEmail(t, got, e, "SetVisibility returns the changed email")
	stored, _ := s.Email(ctx, e.ID)
	sameEmail(t, stored, e, "Email after SetVisibility")
	sees(owner, true, "team")
	sees(mate, true, "team")
	sees(other, false, "team")

	_, err = s.SetVisibility(ctx, e.ID, discreet.VisibilityPublic, policy.EmailAudience)
	must(t, err, "SetVisibility public")
	e.Visibility = discreet.VisibilityPublic
	sees(other, true, "public")

	_, err = s.SetVisibility(ctx, e.ID, discreet.VisibilityPrivate, policy.EmailAudience)
	must(t, err, "SetVisibility private")
	e.Visibility = discreet.VisibilityPrivate
	sees(owner, true, "private again")
	sees(mate, false, "private again")
	sees(other, false, "private again")
	for _, c := range contacts {
		if h := hidden(t, s, c, keysOf(other, discreet.AccessFull)); h != 1 {
			t.Fatalf("hidden on %s = %d, want 1", c, h)
		}
	}

	_, err = s.SetVisibility(ctx, e.ID, "secret", policy.EmailAudience)
	wantCode(t, err, discreet.EInvalid, "SetVisibility unknown visibility")
}

// testAudienceFromCaller: who may read an email is the service's call. A
// store writes exactly the audience keys it is given, refuses a write
// without them or without the key every email carries, and computes a visibility change's keys with the caller's
// function on the record as it stands in the change.
func testAudienceFromCaller(t *testing.T, s store.Store) {
	ctx := t.Context()
	contacts := []string{"kunde@kunde.example"}
	e := email("aud", "anna@acme.com", "de", discreet.VisibilityPublic, at(0), contacts)
	_, _, err := s.LogEmail(ctx, store.EmailWrite{Email: e})
	wantCode(t, err, discreet.EInvalid, "LogEmail without audience keys")
	_, err = s.Email(ctx, e.ID)
	wantCode(t, err, discreet.ENotFound, "an email without audience keys is not stored")

	_, _, err = s.LogEmail(ctx, store.EmailWrite{Email: e, Audience: []string{"x:marker-public"}})
	wantCode(t, err, discreet.EInvalid, "LogEmail without the key every email carries")

	every := policy.EmailAudience(e)[slices.IndexFunc(policy.EmailAudience(e), policy.CarriedByEveryEmail)]
	onlyMarker := func(e discreet.Email) []string { return []string{every, "x:marker-" + string(e.Visibility)} }
	_, created, err := s.LogEmail(ctx, store.EmailWrite{Email: e, Audience: onlyMarker(e)})
	must(t, err, "LogEmail with the caller's keys")
	if !created {
		t.Fatal("not created")
	}
	page := func(keys ...string) int {
		t.Helper()
		return len(readAll(t, s, store.TimelineQuery{Contact: contacts[0], Keys: keys, Limit: 10}))
	}
	if page("x:marker-public") != 1 || page(keysOf(discreet.User{Email: "anna@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}}, discreet.AccessFull)...) != 0 {
		t.Fatal("the store did not write exactly the caller's audience keys")
	}

	_, err = s.SetVisibility(ctx, e.ID, discreet.VisibilityTeam, nil)
	wantCode(t, err, discreet.EInvalid, "SetVisibility without an audience")
	_, err = s.SetVisibility(ctx, e.ID, discreet.VisibilityTeam, func(discreet.Email) []string { return nil })
	wantCode(t, err, discreet.EInvalid, "SetVisibility with no audience keys")
	if got, _ := s.Email(ctx, e.ID); got.Visibility != discreet.VisibilityPublic || page("x:marker-public") != 1 {
		t.Fatalf("a refused visibility change changed the email: %s", got.Visibility)
	}

	var seen discreet.Email
	_, err = s.SetVisibility(ctx, e.ID, discreet.VisibilityTeam, func(e discreet.Email) []string { seen = e; return onlyMarker(e) })
	must(t, err, "SetVisibility with the caller's keys")
	if seen.ID != e.ID || seen.Owner != e.Owner || seen.Visibility != discreet.VisibilityTeam {
		t.Fatalf("the audience was asked of %+v, want the stored email with its new visibility", seen)
	}
	if page("x:marker-team") != 1 || page("x:marker-public") != 0 {
		t.Fatal("SetVisibility did not replace the keys with the caller's")
	}
}

func testDeleteEmail(t *testing.T, s store.Store) {
	ctx := t.Context()
	contacts := []string{"anna@alpha.example", "bob@beta.example"}
	gone := logEmail(t, s, email("gone", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(1), contacts))
	kept := logEmail(t, s, email("kept", "rep.de@acme.com", "de", discreet.VisibilityPrivate, at(0), contacts[:1]))
	must(t, s.DeleteEmail(ctx, gone.ID), "DeleteEmail")
	_, err := s.Email(ctx, gone.ID)
	wantCode(t, err, discreet.ENotFound, "Email after DeleteEmail")
	err = s.DeleteEmail(ctx, gone.ID)
	wantCode(t, err, discreet.ENotFound, "DeleteEmail twice")
	sameIDs(t, ids(readAll(t, s, store.TimelineQuery{Contact: contacts[0], Keys: allKeys, Limit: 10, All: true})), []string{kept.ID}, "timeline of "+contacts[0])
	sameIDs(t, ids(readAll(t, s, store.TimelineQuery{Contact: contacts[1], Keys: allKeys, Limit: 10, All: true})), nil, "timeline of "+contacts[1])
	if h := hidden(t, s, contacts[0], nil); h != 1 {
		t.Fatalf("%s counts %d emails after a delete, want 1", contacts[0], h)
	}
	if h := hidden(t, s, contacts[1], nil); h != 0 {
		t.Fatalf("%s counts %d emails after a delete, want 0", contacts[1], h)
	}
	n, err := s.CountMatching(ctx, store.Match{Address: contacts[1]})
	must(t, err, "CountMatching")
	if n != 0 {
		t.Fatalf("a deleted email still matches (%d)", n)
	}
	// The contact stays: it exists for search and the stub.
	contactIs(t, s, contacts[1], "rep.de@acme.com", "de")
	// Logging it again is a new email.
	logEmail(t, s, gone)
}

func testUnicode(t *testing.T, s store.Store) {
	ctx := t.Context()
	long := strings.Repeat("Grüezi 👋 שלום עולם ", 100<<10/30) // > 100 KB
	if len(long) < 100<<10 {
		t.Fatalf("long subject is only %d bytes", len(long))
	}
	contacts := []string{"kunde@xn--mller-kva.example", "\"j smith\"@quoted.example", "müller@xn--bcher-kva.example"}
	cases := []struct{ id, subject string }{
		{"emoji", "Angebot 🚀🔥 für Müller — ✅"},
		{"rtl", "\u202eשלום עולם مرحبا بالعالم"},
		{"cjk", "見積もり 报价 견적"},
		{"long", long},
		{"ctrl", "tab\tnew\nline \"quotes\" \\ backslash ' apostrophe %_ like"},
	}
	var logged []discreet.Email
	for i, c := range cases {
		e := email(c.id, "rep.de@acme.com", "de", discreet.VisibilityPublic, at(i), contacts)
		e.Subject = c.subject
		e.Snippet = string([]rune(c.subject)[:min(len([]rune(c.subject)), 200)])
		if !strings.HasPrefix(c.id, "long") {
			e.Body = strings.Repeat(c.subject+"\n", 50)
		}
		logged = append(logged, logEmail(t, s, e))
		stored, err := s.Email(ctx, e.ID)
		must(t, err, "Email "+c.id)
		sameEmail(t, stored, e, "Email "+c.id)
	}
	for _, c := range contacts {
		entries := readAll(t, s, store.TimelineQuery{Contact: c, Keys: allKeys, Limit: 2})
		sameIDs(t, ids(entries), newestFirst(logged...), "timeline of "+c)
		for _, en := range entries {
			for _, e := range logged {
				if e.ID == en.EmailID {
					sameEmail(t, *en.Email, summaryOf(e), "timeline summary")
				}
			}
		}
	}
	got, err := s.SearchContacts(ctx, "kunde@xn--", 10)
	must(t, err, "SearchContacts punycode")
	sameIDs(t, contactAddrs(got), contacts[:1], "SearchContacts punycode")
	got, err = s.SearchContacts(ctx, "mü", 10)
	must(t, err, "SearchContacts of a non-ASCII local part")
	sameIDs(t, contactAddrs(got), contacts[2:], "SearchContacts of a non-ASCII local part")
}
