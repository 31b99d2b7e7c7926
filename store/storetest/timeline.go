package storetest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

func testTimelineOrder(t *testing.T, s store.Store) {
	const c = "anna@alpha.example"
	var logged []discreet.Email
	for i := range 10 {
		date := at(i * 10)
		if i >= 4 && i <= 6 {
			date = at(45) // three emails at one instant: ordered by id
		}
		logged = append(logged, logEmail(t, s, email(fmt.Sprintf("order%d", i), "rep.de@acme.com", "de", discreet.VisibilityPublic, date, []string{c})))
	}
	// Log in another order than the dates, too.
	logged = append(logged, logEmail(t, s, email("order-old", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(-100), []string{c})))
	want := newestFirst(logged...)

	p, err := s.Timeline(t.Context(), store.TimelineQuery{Contact: c, Keys: allKeys, Limit: 3})
	must(t, err, "Timeline")
	sameIDs(t, ids(p.Entries), want[:3], "first page")
	for _, en := range p.Entries {
		var e discreet.Email
		for _, l := range logged {
			if l.ID == en.EmailID {
				e = l
			}
		}
		if !en.Visible || en.Email == nil || !en.Date.Equal(e.Date) || en.Owner != e.Owner {
			t.Fatalf("entry %+v does not describe %s", en, e.ID)
		}
		if en.Email.Body != "" {
			t.Fatalf("a timeline entry carries the body")
		}
		sameEmail(t, *en.Email, summaryOf(e), "entry summary")
	}
	for _, limit := range []int{1, 3, 4, 10, 11, 12, 100} {
		got := readAll(t, s, store.TimelineQuery{Contact: c, Keys: allKeys, Limit: limit})
		sameIDs(t, ids(got), want, fmt.Sprintf("all pages of %d", limit))
	}
	// A page that ends exactly at the end has no next cursor.
	p, err = s.Timeline(t.Context(), store.TimelineQuery{Contact: c, Keys: allKeys, Limit: len(want)})
	must(t, err, "Timeline")
	if len(p.Entries) != len(want) || p.Next != "" {
		t.Fatalf("a page holding the whole timeline: %d entries, next %q", len(p.Entries), p.Next)
	}
	got := readAll(t, s, store.TimelineQuery{Contact: c, Keys: allKeys, Limit: 4, All: true})
	sameIDs(t, ids(got), want, "All=true pages")
}

func testTimelineLimits(t *testing.T, s store.Store) {
	const c = "anna@alpha.example"
	logEmail(t, s, email("lim", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(0), []string{c}))
	for _, limit := range []int{0, -1, 101} {
		_, err := s.Timeline(t.Context(), store.TimelineQuery{Contact: c, Keys: allKeys, Limit: limit})
		wantCode(t, err, discreet.EInvalid, fmt.Sprintf("Timeline limit %d", limit))
	}
	_, err := s.Timeline(t.Context(), store.TimelineQuery{Keys: allKeys, Limit: 10})
	wantCode(t, err, discreet.EInvalid, "Timeline without a contact")
}

func testTimelineCursorStable(t *testing.T, s store.Store) {
	const c = "anna@alpha.example"
	var original []discreet.Email
	for i := range 15 {
		original = append(original, logEmail(t, s, email(fmt.Sprintf("stable%02d", i), "rep.de@acme.com", "de", discreet.VisibilityPublic, at(i*10), []string{c})))
	}
	q := store.TimelineQuery{Contact: c, Keys: allKeys, Limit: 4}
	var seen []store.TimelineEntry
	arrivals := [][]discreet.Email{
		{ // after page 1: newer than all, older than all, among the read, at the cursor's date, among the unread
			email("new-newest", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(1000), []string{c}),
			email("new-oldest", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(-1000), []string{c}),
			email("new-read", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(135), []string{c}),
			email("new-tie", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(110), []string{c}),
			email("new-unread", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(55), []string{c}),
		},
		{email("new-2", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(71), []string{c})},
	}
	for page := 0; ; page++ {
		p, err := s.Timeline(t.Context(), q)
		must(t, err, "Timeline")
		seen = append(seen, p.Entries...)
		if p.Next == "" {
			break
		}
		if page < len(arrivals) {
			for _, e := range arrivals[page] {
				logEmail(t, s, e)
			}
		}
		q.Cursor = p.Next
	}
	count := map[string]int{}
	for i, en := range seen {
		count[en.EmailID]++
		if count[en.EmailID] > 1 {
			t.Fatalf("entry %s shown twice while emails arrived", en.EmailID)
		}
		if i > 0 && store.SortKey(en.Date, en.EmailID) >= store.SortKey(seen[i-1].Date, seen[i-1].EmailID) {
			t.Fatalf("pages out of order at %d", i)
		}
	}
	for _, e := range original {
		if count[e.ID] != 1 {
			t.Fatalf("original email %s missing from the pages", e.MessageID)
		}
	}
}

func testTimelineCursorBound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := "anna@alpha.example", "bob@beta.example"
	for i := range 3 {
		logEmail(t, s, email(fmt.Sprintf("bound%d", i), "rep.de@acme.com", "de", discreet.VisibilityPublic, at(i), []string{a, b}))
	}
	p, err := s.Timeline(ctx, store.TimelineQuery{Contact: a, Keys: allKeys, Limit: 1})
	must(t, err, "Timeline")
	if p.Next == "" {
		t.Fatalf("no next cursor on a page of 1 of 3")
	}
	_, err = s.Timeline(ctx, store.TimelineQuery{Contact: b, Keys: allKeys, Limit: 1, Cursor: p.Next})
	wantCode(t, err, discreet.EInvalid, "a cursor of contact A used on contact B")
	_, err = s.Timeline(ctx, store.TimelineQuery{Contact: a, Keys: allKeys, Limit: 1, Cursor: p.Next, All: true})
	must(t, err, "the cursor works with All on its own contact")

	mid := len(p.Next) / 2
	swapped := p.Next[:mid] + string(map[bool]byte{true: 'A', false: 'B'}[p.Next[mid] != 'A']) + p.Next[mid+1:]
	for _, bad := range []string{
		swapped,
		p.Next[:len(p.Next)-1],
		p.Next + "A",
		"x" + p.Next,
		"not a cursor",
		"e30",
		"{}",
	} {
		_, err := s.Timeline(ctx, store.TimelineQuery{Contact: a, Keys: allKeys, Limit: 1, Cursor: bad})
		wantCode(t, err, discreet.EInvalid, fmt.Sprintf("tampered cursor %q", bad))
	}
	// Audit cursors are not timeline cursors.
	for i := range 2 {
		must(t, s.AppendAudit(ctx, discreet.AuditRecord{ID: fmt.Sprintf("r%d", i), At: at(i), Actor: "x@acme.com", Action: discreet.AuditLog}), "AppendAudit")
	}
	_, next, err := s.Audit(ctx, store.AuditQuery{Limit: 1})
	must(t, err, "Audit")
	_, err = s.Timeline(ctx, store.TimelineQuery{Contact: a, Keys: allKeys, Limit: 1, Cursor: next})
	wantCode(t, err, discreet.EInvalid, "an audit cursor on a timeline")
}

func testTimelineHidden(t *testing.T, s store.Store) {
	ctx := t.Context()
	const c = "kunde@kunde.example"
	anna := discreet.User{Email: "anna@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}}
	beat := discreet.User{Email: "beat@acme.com", Role: discreet.RoleRep, Teams: []string{"ch"}}
	carl := discreet.User{Email: "carl@acme.com", Role: discreet.RoleRep, Teams: []string{"fr"}}
	var private, public []discreet.Email
	for i := range 2 {
		private = append(private, logEmail(t, s, email(fmt.Sprintf("priv%d", i), anna.Email, "de", discreet.VisibilityPrivate, at(i*2), []string{c})))
	}
	for i := range 3 {
		public = append(public, logEmail(t, s, email(fmt.Sprintf("pub%d", i), beat.Email, "ch", discreet.VisibilityPublic, at(i*2+1), []string{c})))
	}
	all := append(append([]discreet.Email{}, private...), public...)
	isPrivate := map[string]bool{private[0].ID: true, private[1].ID: true}

	keys := keysOf(carl, discreet.AccessFull)
	p, err := s.Timeline(ctx, store.TimelineQuery{Contact: c, Keys: keys, Limit: 10, CountHidden: true})
	must(t, err, "Timeline")
	sameIDs(t, ids(p.Entries), newestFirst(public...), "visible entries")
	if p.Hidden != 2 {
		t.Fatalf("Hidden = %d, want 2", p.Hidden)
	}
	p, err = s.Timeline(ctx, store.TimelineQuery{Contact: c, Keys: keys, Limit: 10})
	must(t, err, "Timeline")
	if p.Hidden != 0 {
		t.Fatalf("Hidden = %d without CountHidden, want 0", p.Hidden)
	}
	// Without full access carl sees nothing; the stub keys hide all five.
	stub := keysOf(carl, discreet.AccessStub)
	p, err = s.Timeline(ctx, store.TimelineQuery{Contact: c, Keys: stub, Limit: 10, CountHidden: true})
	must(t, err, "Timeline")
	if len(p.Entries) != 0 || p.Hidden != 5 {
		t.Fatalf("stub viewer: %d entries, hidden %d; want 0 and 5", len(p.Entries), p.Hidden)
	}
	if h := hidden(t, s, c, nil); h != 5 {
		t.Fatalf("no keys: hidden %d, want 5", h)
	}
	if h := hidden(t, s, c, keysOf(anna, discreet.AccessFull)); h != 0 {
		t.Fatalf("anna: hidden %d, want 0", h)
	}

	entries := readAll(t, s, store.TimelineQuery{Contact: c, Keys: keys, Limit: 2, All: true})
	sameIDs(t, ids(entries), newestFirst(all...), "All=true returns every entry")
	for _, en := range entries {
		var e discreet.Email
		for _, l := range all {
			if l.ID == en.EmailID {
				e = l
			}
		}
		if en.Visible == isPrivate[en.EmailID] {
			t.Fatalf("entry %s: Visible = %v", e.MessageID, en.Visible)
		}
		if !en.Date.Equal(e.Date) || en.Owner != e.Owner {
			t.Fatalf("entry %s: date %v owner %s, want %v %s", e.MessageID, en.Date, en.Owner, e.Date, e.Owner)
		}
		if en.Visible {
			if en.Email == nil {
				t.Fatalf("visible entry %s without its email", e.MessageID)
			}
			sameEmail(t, *en.Email, summaryOf(e), "visible entry")
		} else if en.Email != nil {
			t.Fatalf("hidden entry %s carries its email", e.MessageID)
		}
	}
	p, err = s.Timeline(ctx, store.TimelineQuery{Contact: c, Keys: keys, Limit: 1, All: true, CountHidden: true})
	must(t, err, "Timeline")
	if p.Hidden != 2 {
		t.Fatalf("All=true Hidden = %d, want 2", p.Hidden)
	}
}

// testTimelineAudience checks, for a generated population, that the store
// shows each viewer exactly the emails policy.CanReadOnTimeline admits.
func testTimelineAudience(t *testing.T, s store.Store) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(7, 11))
	users := []discreet.User{
		{Email: "admin@acme.com", Role: discreet.RoleAdmin, Teams: []string{"de"}},
		{Email: "mgr.de@acme.com", Role: discreet.RoleManager, Teams: []string{"de"}},
		{Email: "mgr.ch@acme.com", Role: discreet.RoleManager, Teams: []string{"ch", "fr"}},
		{Email: "rep1.de@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}},
		{Email: "rep2.de@acme.com", Role: discreet.RoleRep, Teams: []string{"de"}},
		{Email: "rep.ch@acme.com", Role: discreet.RoleRep, Teams: []string{"ch"}},
		{Email: "rep.fr@acme.com", Role: discreet.RoleRep, Teams: []string{"fr"}},
		{Email: "rep.multi@acme.com", Role: discreet.RoleRep, Teams: []string{"ch", "de"}},
		{Email: "rep.none@acme.com", Role: discreet.RoleRep},
	}
	viewers := append(users, discreet.User{}) // nobody signed in: sees nothing
	contacts := []string{"c1@customer.ch", "c2@kunde.de", "c3@client.fr"}
	visibilities := []discreet.Visibility{discreet.VisibilityPrivate, discreet.VisibilityTeam, discreet.VisibilityPublic}
	var emails []discreet.Email
	for i := range 36 {
		owner := users[rng.IntN(len(users))]
		team := owner.PrimaryTeam()
		if rng.IntN(6) == 0 {
			team = []string{"", "de", "ch", "fr"}[rng.IntN(4)]
		}
		var cs []string
		for _, c := range contacts {
			if rng.IntN(2) == 0 {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			cs = contacts[i%3 : i%3+1]
		}
		var internal []string
		for range rng.IntN(3) {
			if u := users[rng.IntN(len(users))].Email; u != owner.Email {
				internal = append(internal, u)
			}
		}
		e := email(fmt.Sprintf("pop%02d", i), owner.Email, team, visibilities[rng.IntN(3)], at(rng.IntN(20)), cs, internal...)
		emails = append(emails, logEmail(t, s, e))
	}
	settings := []discreet.OrgSettings{discreet.DefaultOrgSettings()}
	open := discreet.DefaultOrgSettings()
	open.AdminsReadPrivate = true
	open.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleManager: discreet.ScopeAll, discreet.RoleRep: discreet.ScopeAll}
	settings = append(settings, open)
	strict := discreet.DefaultOrgSettings()
	strict.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleManager: discreet.ScopeTeam, discreet.RoleRep: discreet.ScopeOwned}
	settings = append(settings, strict)

	check := func(settings []discreet.OrgSettings, withAll bool) {
		t.Helper()
		for si, set := range settings {
			for _, c := range contacts {
				contact, err := s.Contact(ctx, c)
				must(t, err, "Contact")
				var onContact []discreet.Email
				for _, e := range emails {
					for _, ec := range e.Contacts {
						if ec == c {
							onContact = append(onContact, e)
						}
					}
				}
				for _, v := range viewers {
					access := policy.ContactAccess(v, contact, set)
					keys := policy.ViewerAudience(v, set, access)
					var want []discreet.Email
					readable := map[string]bool{}
					for _, e := range onContact {
						if policy.CanReadOnTimeline(v, e, set, access) {
							want = append(want, e)
							readable[e.ID] = true
						}
					}
					what := fmt.Sprintf("settings #%d, viewer %q (%s), contact %s (%s)", si, v.Email, v.Role, c, access)
					got := readAll(t, s, store.TimelineQuery{Contact: c, Keys: keys, Limit: 10})
					sameIDs(t, ids(got), newestFirst(want...), what)
					if h := hidden(t, s, c, keys); h != len(onContact)-len(want) {
						t.Fatalf("%s: hidden %d, want %d", what, h, len(onContact)-len(want))
					}
					if !withAll {
						continue
					}
					all := readAll(t, s, store.TimelineQuery{Contact: c, Keys: keys, Limit: 15, All: true})
					sameIDs(t, ids(all), newestFirst(onContact...), what+", All=true")
					for _, en := range all {
						if en.Visible != readable[en.EmailID] || (en.Email != nil) != en.Visible {
							t.Fatalf("%s, All=true: entry %s Visible=%v email=%v, policy says %v", what, en.EmailID, en.Visible, en.Email != nil, readable[en.EmailID])
						}
					}
				}
			}
		}
	}
	check(settings, false)
	check(settings[:1], true)

	// Change some visibilities; the audience follows.
	perm := rng.Perm(len(emails))[:10]
	sort.Ints(perm)
	for _, i := range perm {
		v := visibilities[rng.IntN(3)]
		got, err := s.SetVisibility(ctx, emails[i].ID, v, policy.EmailAudience)
		must(t, err, "SetVisibility")
		emails[i].Visibility = v
		sameEmail(t, got, emails[i], "SetVisibility result")
	}
	check(settings[:2], false)
}
