package storetest

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

func intent(id, user string, recipients []string, subject string, created time.Time) discreet.Intent {
	return discreet.Intent{
		ID: id, User: user, Recipients: recipients, Subject: subject, Log: true,
		Visibility: discreet.VisibilityTeam, CreatedAt: created, ExpiresAt: created.Add(time.Hour),
	}
}

func consume(t *testing.T, s store.Store, user string, recipients []string, subject string, now time.Time, wantID string) {
	t.Helper()
	got, err := s.ConsumeIntent(t.Context(), user, recipients, subject, now)
	if wantID == "" {
		wantCode(t, err, discreet.ENotFound, fmt.Sprintf("ConsumeIntent(%v, %q)", recipients, subject))
		return
	}
	must(t, err, "ConsumeIntent")
	if got.ID != wantID {
		t.Fatalf("ConsumeIntent(%v, %q) = %s, want %s", recipients, subject, got.ID, wantID)
	}
}

func testIntents(t *testing.T, s store.Store) {
	ctx := t.Context()
	const anna = "anna@acme.com"
	ab := []string{"a@x.example", "b@y.example"}
	a := []string{"a@x.example"}
	in := intent("i1", anna, ab, "Offer", at(0))
	for _, i := range []discreet.Intent{
		in,
		intent("i2", anna, ab, "Other", at(5)),
		intent("i3", anna, ab, "Other", at(3)),
		intent("i4", anna, a, "Offer", at(4)),
		intent("i5", "beat@acme.com", ab, "Offer", at(6)),
	} {
		must(t, s.PutIntent(ctx, i), "PutIntent "+i.ID)
	}
	now := at(10)
	got, err := s.ConsumeIntent(ctx, anna, ab, "Offer", now)
	must(t, err, "ConsumeIntent")
	if got.ID != in.ID || got.User != anna || fmt.Sprint(got.Recipients) != fmt.Sprint(ab) || got.Subject != "Offer" ||
		!got.Log || got.Visibility != discreet.VisibilityTeam || !got.CreatedAt.Equal(in.CreatedAt) || !got.ExpiresAt.Equal(in.ExpiresAt) {
		t.Fatalf("ConsumeIntent = %+v, want %+v (the same subject beats a newer one)", got, in)
	}
	consume(t, s, anna, ab, "Offer", now, "i2") // no subject match left: the newest
	consume(t, s, anna, ab, "Offer", now, "i3")
	consume(t, s, anna, ab, "Offer", now, "") // each consumed once
	consume(t, s, anna, []string{"b@y.example"}, "Offer", now, "")
	consume(t, s, anna, a, "Something else", now, "i4")
	consume(t, s, "carl@acme.com", ab, "Offer", now, "")
	consume(t, s, "beat@acme.com", ab, "Offer", now, "i5")
}

func testIntentExpiry(t *testing.T, s store.Store) {
	const anna = "anna@acme.com"
	r := []string{"a@x.example"}
	must(t, s.PutIntent(t.Context(), intent("old", anna, r, "Hi", at(0))), "PutIntent")         // expires at(60)
	must(t, s.PutIntent(t.Context(), intent("older", anna, r, "Hi", at(-30))), "PutIntent")     // expires at(30)
	must(t, s.PutIntent(t.Context(), intent("fresh", anna, r, "Other", at(-120))), "PutIntent") // expires at(-60)
	consume(t, s, anna, r, "Hi", at(90), "")
	consume(t, s, anna, r, "Hi", at(45), "old")
	consume(t, s, anna, r, "Hi", at(10), "older")
	consume(t, s, anna, r, "Hi", at(10), "")
}

// A capture whose write failed releases its intent; the retry finds it.
func testIntentRelease(t *testing.T, s store.Store) {
	const anna = "anna@acme.com"
	r := []string{"a@x.example"}
	must(t, s.PutIntent(t.Context(), intent("retry", anna, r, "Hi", at(0))), "PutIntent")
	consume(t, s, anna, r, "Hi", at(1), "retry")
	consume(t, s, anna, r, "Hi", at(1), "")
	must(t, s.ReleaseIntent(t.Context(), "retry"), "ReleaseIntent")
	consume(t, s, anna, r, "Hi", at(1), "retry")
	wantCode(t, s.ReleaseIntent(t.Context(), "no-such-intent"), discreet.ENotFound, "ReleaseIntent of an unknown id")
}

func testIntentConcurrent(t *testing.T, s store.Store) {
	const anna = "anna@acme.com"
	r := []string{"a@x.example", "b@y.example"}
	must(t, s.PutIntent(t.Context(), intent("once", anna, r, "Hi", at(0))), "PutIntent")
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	got, missing := 0, 0
	for range n {
		wg.Go(func() {
			_, err := s.ConsumeIntent(t.Context(), anna, r, "Hi", at(1))
			mu.Lock()
			defer mu.Unlock()
			switch discreet.ErrorCode(err) {
			case "":
				got++
			case discreet.ENotFound:
				missing++
			default:
				t.Errorf("ConsumeIntent: %v", err)
			}
		})
	}
	wg.Wait()
	if got != 1 || missing != n-1 {
		t.Fatalf("%d concurrent consumers: %d got the intent, %d not_found; want 1 and %d", n, got, missing, n-1)
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	var records []discreet.AuditRecord
	for i := range 9 {
		r := discreet.AuditRecord{
			ID: fmt.Sprintf("a%02d", i), At: at(i), Actor: "admin@acme.com", Action: discreet.AuditVisibility,
			EmailID: fmt.Sprintf("email%d", i), Target: "t", Count: i, Detail: map[string]string{"from": "private", "to": "team"},
		}
		if i == 5 {
			r.At = at(4) // same instant as a04: ordered by id
		}
		if i%3 == 0 {
			r.EmailOwner = "anna@acme.com"
		} else if i%3 == 1 {
			r.EmailOwner = "beat@acme.com"
		}
		records = append(records, r)
		must(t, s.AppendAudit(ctx, r), "AppendAudit")
	}
	newest := func(rs []discreet.AuditRecord) []string {
		rs = append([]discreet.AuditRecord(nil), rs...)
		sort.Slice(rs, func(i, j int) bool { return store.SortKey(rs[i].At, rs[i].ID) > store.SortKey(rs[j].At, rs[j].ID) })
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	readAudit := func(q store.AuditQuery) []discreet.AuditRecord {
		var out []discreet.AuditRecord
		for range 100 {
			page, next, err := s.Audit(ctx, q)
			must(t, err, "Audit")
			if len(page) > q.Limit {
				t.Fatalf("Audit returned %d records for limit %d", len(page), q.Limit)
			}
			out = append(out, page...)
			if next == "" {
				return out
			}
			q.Cursor = next
		}
		t.Fatalf("audit never ends")
		return nil
	}
	auditIDs := func(rs []discreet.AuditRecord) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	all := readAudit(store.AuditQuery{Limit: 4})
	sameIDs(t, auditIDs(all), newest(records), "audit newest first")
	for _, r := range all {
		if r.ID == "a07" && (r.Actor != "admin@acme.com" || r.Action != discreet.AuditVisibility || r.EmailID != "email7" ||
			r.EmailOwner != "beat@acme.com" || r.Count != 7 || r.Detail["to"] != "team" || !r.At.Equal(at(7))) {
			t.Fatalf("audit record = %+v", r)
		}
	}
	sameIDs(t, auditIDs(readAudit(store.AuditQuery{Limit: 9})), newest(records), "audit in one page")
	var annas []discreet.AuditRecord
	for _, r := range records {
		if r.EmailOwner == "anna@acme.com" {
			annas = append(annas, r)
		}
	}
	sameIDs(t, auditIDs(readAudit(store.AuditQuery{EmailOwner: "anna@acme.com", Limit: 2})), newest(annas), "audit of anna's emails")
	sameIDs(t, auditIDs(readAudit(store.AuditQuery{EmailOwner: "nobody@acme.com", Limit: 2})), nil, "audit of nobody's emails")

	_, next, err := s.Audit(ctx, store.AuditQuery{EmailOwner: "anna@acme.com", Limit: 1})
	must(t, err, "Audit")
	_, _, err = s.Audit(ctx, store.AuditQuery{Limit: 1, Cursor: next})
	wantCode(t, err, discreet.EInvalid, "a filtered audit cursor used unfiltered")
	_, _, err = s.Audit(ctx, store.AuditQuery{EmailOwner: "anna@acme.com", Limit: 1, Cursor: next[:len(next)-2]})
	wantCode(t, err, discreet.EInvalid, "a tampered audit cursor")
}

func testPurge(t *testing.T, s store.Store) {
	ctx := t.Context()
	const rep = "rep.de@acme.com"
	log := func(id string, contacts ...string) discreet.Email {
		return logEmail(t, s, email(id, rep, "de", discreet.VisibilityPublic, at(len(id)), contacts, "mgr@acme.com"))
	}
	e1 := log("p1", "anna@example.com")
	e2 := log("p2", "bob@sub.example.com")
	e3 := log("p3", "carl@example.org")
	e4 := log("p4", "anna@example.com", "dora@other.example")
	e5 := log("p5", "x@notexample.com")
	e6 := log("p6", "dora@other.example")
	e7 := log("p7", "eve@deep.sub.example.com", "carl@example.org")

	counts := []struct {
		m    store.Match
		want int
	}{
		{store.Match{Address: "anna@example.com"}, 2},
		{store.Match{Address: "dora@other.example"}, 2},
		{store.Match{Address: "nobody@example.com"}, 0},
		{store.Match{Domain: "example.com"}, 4}, // covers sub. and deep.sub., not notexample.com
		{store.Match{Domain: "sub.example.com"}, 2},
		{store.Match{Domain: "deep.sub.example.com"}, 1},
		{store.Match{Domain: "notexample.com"}, 1},
		{store.Match{Domain: "acme.com"}, 7}, // internal participants count too
	}
	for _, c := range counts {
		n, err := s.CountMatching(ctx, c.m)
		must(t, err, "CountMatching")
		if n != c.want {
			t.Fatalf("CountMatching(%+v) = %d, want %d", c.m, n, c.want)
		}
	}
	_, err := s.CountMatching(ctx, store.Match{})
	wantCode(t, err, discreet.EInvalid, "CountMatching of nothing")

	dora := discreet.User{Email: "viewer@acme.com", Role: discreet.RoleRep, Teams: []string{"fr"}}
	if h := hidden(t, s, "dora@other.example", keysOf(dora, discreet.AccessStub)); h != 2 {
		t.Fatalf("dora hidden before the purge = %d, want 2", h)
	}

	rep1, err := s.PurgeMatching(ctx, store.Match{Domain: "example.com"}, 3)
	must(t, err, "PurgeMatching")
	if rep1.Deleted != 4 || rep1.Batches != 2 || len(rep1.EmailIDs) != 4 {
		t.Fatalf("PurgeMatching = %+v, want 4 deleted in 2 batches of at most 3", rep1)
	}
	gone := map[string]bool{}
	for _, id := range rep1.EmailIDs {
		gone[id] = true
	}
	for _, e := range []discreet.Email{e1, e2, e4, e7} {
		if !gone[e.ID] {
			t.Fatalf("purge did not report %s", e.MessageID)
		}
		_, err := s.Email(ctx, e.ID)
		wantCode(t, err, discreet.ENotFound, "Email after purge")
	}
	for _, e := range []discreet.Email{e3, e5, e6} {
		_, err := s.Email(ctx, e.ID)
		must(t, err, "Email not covered by the purge")
	}
	for _, c := range []struct {
		contact string
		want    []string
	}{
		{"anna@example.com", nil},
		{"bob@sub.example.com", nil},
		{"eve@deep.sub.example.com", nil},
		{"dora@other.example", []string{e6.ID}},
		{"carl@example.org", []string{e3.ID}},
		{"x@notexample.com", []string{e5.ID}},
	} {
		got := readAll(t, s, store.TimelineQuery{Contact: c.contact, Keys: allKeys, Limit: 10, All: true})
		sameIDs(t, ids(got), c.want, "timeline of "+c.contact+" after the purge")
		if h := hidden(t, s, c.contact, nil); h != len(c.want) {
			t.Fatalf("%s counts %d emails after the purge, want %d", c.contact, h, len(c.want))
		}
	}
	if h := hidden(t, s, "dora@other.example", keysOf(dora, discreet.AccessStub)); h != 1 {
		t.Fatalf("dora hidden after the purge = %d, want 1", h)
	}
	n, err := s.CountMatching(ctx, store.Match{Domain: "example.com"})
	must(t, err, "CountMatching")
	if n != 0 {
		t.Fatalf("CountMatching after the purge = %d", n)
	}
	again, err := s.PurgeMatching(ctx, store.Match{Domain: "example.com"}, 3)
	must(t, err, "PurgeMatching again")
	if again.Deleted != 0 || again.Batches != 0 || len(again.EmailIDs) != 0 {
		t.Fatalf("PurgeMatching again = %+v, want nothing", again)
	}
	byAddr, err := s.PurgeMatching(ctx, store.Match{Address: "dora@other.example"}, 1)
	must(t, err, "PurgeMatching by address")
	if byAddr.Deleted != 1 || byAddr.Batches != 1 || len(byAddr.EmailIDs) != 1 || byAddr.EmailIDs[0] != e6.ID {
		t.Fatalf("PurgeMatching by address = %+v, want %s", byAddr, e6.ID)
	}
	_, err = s.PurgeMatching(ctx, store.Match{Address: "a@b.example", Domain: "b.example"}, 10)
	wantCode(t, err, discreet.EInvalid, "PurgeMatching of both an address and a domain")
}
