package storetest

import (
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// RunHolds checks store.Holds, store.SensitivityRules and the email scans
// of store.Governance.
func RunHolds(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("LegalHolds", func(t *testing.T) { testLegalHolds(t, open(t)) })
	t.Run("LegalHoldConcurrent", func(t *testing.T) { testLegalHoldConcurrent(t, open(t)) })
	t.Run("Rules", func(t *testing.T) { testRules(t, open(t)) })
	t.Run("EmailScans", func(t *testing.T) { testEmailScans(t, open(t)) })
	t.Run("OrgRetention", func(t *testing.T) { testOrgRetention(t, open(t)) })
	t.Run("OwnedEmailsBefore", func(t *testing.T) { testOwnedEmailsBefore(t, open(t)) })
}

// testOwnedEmailsBefore: an owner's emails dated before a time, oldest
// first, compared as instants whatever zone their date was written in.
func testOwnedEmailsBefore(t *testing.T, s store.Store) {
	ctx := t.Context()
	zurich := time.FixedZone("CET", 3600)
	var ids []string
	for i, d := range []time.Time{at(20), at(0).In(zurich), at(10), at(30)} {
		e := email("own"+string(rune('a'+i)), "rep@corp.example", "t1", discreet.VisibilityPublic, d, []string{"lisa@acme.example"})
		logEmail(t, s, e)
		ids = append(ids, e.ID)
	}
	logEmail(t, s, email("other", "other@corp.example", "t1", discreet.VisibilityPublic, at(1), []string{"lisa@acme.example"}))
	got, err := s.OwnedEmailsBefore(ctx, "rep@corp.example", at(25), 10)
	must(t, err, "OwnedEmailsBefore")
	var gotIDs []string
	for _, e := range got {
		gotIDs = append(gotIDs, e.ID)
	}
	if want := []string{ids[1], ids[2], ids[0]}; !slices.Equal(gotIDs, want) {
		t.Fatalf("OwnedEmailsBefore = %v, want %v (oldest first, the other owner's left out)", gotIDs, want)
	}
	if got, _ := s.OwnedEmailsBefore(ctx, "rep@corp.example", at(25), 1); len(got) != 1 || got[0].ID != ids[1] {
		t.Fatalf("limit 1: %+v", got)
	}
}

// testOrgRetention: the org setting retention is kept whole, team
// overrides included, and an unset one reads back unset.
func testOrgRetention(t *testing.T, s store.Store) {
	ctx := t.Context()
	o, err := s.OrgSettings(ctx)
	must(t, err, "OrgSettings")
	if !reflect.DeepEqual(o.Retention, discreet.Retention{}) {
		t.Fatalf("a new org's retention = %+v, want unset", o.Retention)
	}
	o.Retention = discreet.Retention{Private: "P12M", Team: "P2Y", Teams: map[string]discreet.RetentionPeriods{"ch": {Private: "P6M"}, "de": {Public: "P10Y"}}}
	must(t, s.PutOrgSettings(ctx, o), "PutOrgSettings")
	got, err := s.OrgSettings(ctx)
	must(t, err, "OrgSettings")
	if !reflect.DeepEqual(got.Retention, o.Retention) {
		t.Fatalf("retention read back %+v, want %+v", got.Retention, o.Retention)
	}
	got.Retention.Teams["ch"] = discreet.RetentionPeriods{} // a caller's change is not the store's
	if again, _ := s.OrgSettings(ctx); again.Retention.Teams["ch"].Private != "P6M" {
		t.Fatalf("the stored setting changed with a copy: %+v", again.Retention)
	}
	o.Retention = discreet.Retention{}
	must(t, s.PutOrgSettings(ctx, o), "PutOrgSettings")
	if got, _ := s.OrgSettings(ctx); !reflect.DeepEqual(got.Retention, discreet.Retention{}) {
		t.Fatalf("retention after unsetting = %+v", got.Retention)
	}
}

// testLegalHolds: a hold is stored once by id with every field kept, listed
// oldest first, and lifted once.
func testLegalHolds(t *testing.T, s store.Store) {
	ctx := t.Context()
	if hs, err := s.LegalHolds(ctx); err != nil || len(hs) != 0 {
		t.Fatalf("LegalHolds of an empty store = %v, %v", hs, err)
	}
	dates := discreet.LegalHold{ID: "h2", From: at(0), To: at(60 * 24), Reason: "Case 2026-17", CreatedBy: "admin@corp.example", CreatedAt: at(2)}
	contact := discreet.LegalHold{ID: "h1", Contact: "lisa@acme.example", Reason: "Müller v. Acme", CreatedBy: "admin@corp.example", CreatedAt: at(1)}
	for _, h := range []discreet.LegalHold{dates, contact, {ID: "h3", Domain: "acme.example", Reason: "r", CreatedAt: at(2)}, {ID: "h4", User: "rep@corp.example", Reason: "r", CreatedAt: at(3)}} {
		got, created, err := s.PutLegalHold(ctx, h)
		must(t, err, "PutLegalHold")
		if !created || !slices.Equal([]discreet.LegalHold{canonHold(got)}, []discreet.LegalHold{canonHold(h)}) {
			t.Fatalf("PutLegalHold(%s) = %+v, %v", h.ID, got, created)
		}
	}
	again := contact
	again.Reason = "another"
	got, created, err := s.PutLegalHold(ctx, again)
	must(t, err, "PutLegalHold again")
	if created || got.Reason != contact.Reason {
		t.Fatalf("PutLegalHold of a stored id = %+v, created %v: want the stored hold, not created", got, created)
	}
	hs, err := s.LegalHolds(ctx)
	must(t, err, "LegalHolds")
	var ids []string
	for _, h := range hs {
		ids = append(ids, h.ID)
	}
	if !slices.Equal(ids, []string{"h1", "h2", "h3", "h4"}) {
		t.Fatalf("LegalHolds order = %v, want h1 h2 h3 h4 (by creation, then id)", ids)
	}
	if h := canonHold(hs[1]); h != canonHold(dates) {
		t.Fatalf("date hold read back %+v, want %+v", h, dates)
	}
	if h := hs[2]; !h.From.IsZero() || !h.To.IsZero() {
		t.Fatalf("domain hold has dates %v..%v", h.From, h.To)
	}
	lifted, err := s.DeleteLegalHold(ctx, "h1")
	must(t, err, "DeleteLegalHold")
	if lifted.Contact != "lisa@acme.example" {
		t.Fatalf("DeleteLegalHold returned %+v", lifted)
	}
	wantCode(t, func() error { _, err := s.DeleteLegalHold(ctx, "h1"); return err }(), discreet.ENotFound, "DeleteLegalHold twice")
	if hs, _ := s.LegalHolds(ctx); len(hs) != 3 {
		t.Fatalf("%d holds after lifting one of 4", len(hs))
	}
	wantCode(t, func() error { _, _, err := s.PutLegalHold(ctx, discreet.LegalHold{Reason: "x"}); return err }(), discreet.EInvalid, "PutLegalHold without an id")
}

func canonHold(h discreet.LegalHold) discreet.LegalHold {
	h.From, h.To, h.CreatedAt = h.From.UTC(), h.To.UTC(), h.CreatedAt.UTC()
	return h
}

// testLegalHoldConcurrent: instances retrying one create store one hold,
// and exactly one of them created it.
func testLegalHoldConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 6
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, created[i], errs[i] = s.PutLegalHold(ctx, discreet.LegalHold{ID: "hc", Domain: "acme.example", Reason: "r", CreatedAt: at(1)})
		})
	}
	wg.Wait()
	count := 0
	for i := range n {
		must(t, errs[i], "PutLegalHold")
		if created[i] {
			count++
		}
	}
	hs, err := s.LegalHolds(ctx)
	must(t, err, "LegalHolds")
	if count != 1 || len(hs) != 1 {
		t.Fatalf("%d calls created, %d holds: want 1 and 1", count, len(hs))
	}
}

// testRules: rules are stored once by id, listed in the order they were
// added, and every add and delete moves the version, which the Never Log
// version carries (one read per decision tells it whether to re-read).
func testRules(t *testing.T, s store.Store) {
	ctx := t.Context()
	v0, err := s.RulesVersion(ctx)
	must(t, err, "RulesVersion")
	wantInNeverLog := func(when string) int64 {
		t.Helper()
		rv, err := s.RulesVersion(ctx)
		must(t, err, "RulesVersion")
		ch, err := s.NeverLogVersion(ctx)
		must(t, err, "NeverLogVersion")
		if ch.Rules != rv {
			t.Fatalf("%s: NeverLogVersion carries rules version %d, RulesVersion says %d", when, ch.Rules, rv)
		}
		return rv
	}
	iban := discreet.SensitivityRule{ID: "r2", Detector: discreet.DetectorIBAN, Action: discreet.ActionNeverLog, AddedBy: "admin@corp.example", AddedAt: at(1)}
	kw := discreet.SensitivityRule{ID: "r1", Detector: discreet.DetectorKeyword, Keyword: "Projekt Falke", Action: discreet.ActionPrivate, AddedBy: "admin@corp.example", AddedAt: at(2)}
	for _, r := range []discreet.SensitivityRule{iban, kw} {
		got, added, err := s.AddRule(ctx, r)
		must(t, err, "AddRule")
		if !added || got.ID != r.ID || got.Keyword != r.Keyword || got.Action != r.Action || !got.AddedAt.Equal(r.AddedAt) {
			t.Fatalf("AddRule(%s) = %+v, %v", r.ID, got, added)
		}
	}
	v1 := wantInNeverLog("after two adds")
	if v1 <= v0 {
		t.Fatalf("rules version %d after adding, %d before", v1, v0)
	}
	if _, added, err := s.AddRule(ctx, iban); err != nil || added {
		t.Fatalf("AddRule again = %v, %v: want not added", added, err)
	}
	if v := wantInNeverLog("after a repeated add"); v != v1 {
		t.Fatalf("a repeated add moved the version %d → %d", v1, v)
	}
	// A Never Log edit rewrites the Never Log version document: it keeps
	// the rules version.
	must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{{ID: "rules-nl-1", Pattern: "@rules.example", AddedAt: at(4)}}), "AddNeverLog")
	wantInNeverLog("after a Never Log add")
	list, v, err := s.Rules(ctx)
	must(t, err, "Rules")
	if v != v1 || len(list) != 2 || list[0].ID != "r2" || list[1].ID != "r1" || list[1].Keyword != "Projekt Falke" {
		t.Fatalf("Rules = %+v at %d, want r2 then r1 at %d", list, v, v1)
	}
	if r, err := s.Rule(ctx, "r1"); err != nil || r.Detector != discreet.DetectorKeyword {
		t.Fatalf("Rule(r1) = %+v, %v", r, err)
	}
	wantCode(t, func() error { _, err := s.Rule(ctx, "absent"); return err }(), discreet.ENotFound, "Rule(absent)")
	if r, err := s.DeleteRule(ctx, "r2"); err != nil || r.Detector != discreet.DetectorIBAN {
		t.Fatalf("DeleteRule = %+v, %v", r, err)
	}
	if v := wantInNeverLog("after a delete"); v <= v1 {
		t.Fatalf("rules version %d after a delete, %d before", v, v1)
	}
	wantCode(t, func() error { _, err := s.DeleteRule(ctx, "r2"); return err }(), discreet.ENotFound, "DeleteRule twice")
	if list, _, _ := s.Rules(ctx); len(list) != 1 || list[0].ID != "r1" {
		t.Fatalf("Rules after delete = %+v", list)
	}
}

// testEmailScans: Emails pages through every email once; MatchingEmails
// through exactly those a purge of the match would delete, whole.
func testEmailScans(t *testing.T, s store.Store) {
	ctx := t.Context()
	var want, lisa []string
	for i, c := range []string{"lisa@acme.example", "bob@other.example", "lisa@acme.example", "eve@sub.acme.example", "lisa@acme.example"} {
		e := email("scan"+string(rune('a'+i)), "rep@corp.example", "t1", discreet.VisibilityPublic, at(i), []string{c})
		logEmail(t, s, e)
		want = append(want, e.ID)
		if c == "lisa@acme.example" {
			lisa = append(lisa, e.ID)
		}
	}
	slices.Sort(want)
	slices.Sort(lisa)
	page := func(what string, f func(after string) ([]discreet.Email, error)) []string {
		t.Helper()
		var got []string
		for after := ""; ; {
			p, err := f(after)
			must(t, err, what)
			if len(p) == 0 {
				return got
			}
			for _, e := range p {
				got = append(got, e.ID)
				if e.Body == "" || len(e.Participants) == 0 {
					t.Fatalf("%s: email %s without its body or participants", what, e.ID)
				}
			}
			after = p[len(p)-1].ID
		}
	}
	if got := page("Emails", func(after string) ([]discreet.Email, error) { return s.Emails(ctx, after, 2) }); !slices.Equal(got, want) {
		t.Fatalf("Emails paged = %v, want %v", got, want)
	}
	got := page("MatchingEmails", func(after string) ([]discreet.Email, error) {
		return s.MatchingEmails(ctx, store.Match{Address: "lisa@acme.example"}, after, 2)
	})
	if !slices.Equal(got, lisa) {
		t.Fatalf("MatchingEmails(lisa) = %v, want %v", got, lisa)
	}
	if got := page("MatchingEmails domain", func(after string) ([]discreet.Email, error) {
		return s.MatchingEmails(ctx, store.Match{Domain: "acme.example"}, after, 10)
	}); len(got) != 4 {
		t.Fatalf("MatchingEmails(@acme.example) = %d emails, want 4 (subdomain included)", len(got))
	}
	wantCode(t, func() error { _, err := s.Emails(ctx, "", 0); return err }(), discreet.EInvalid, "Emails limit 0")
}
