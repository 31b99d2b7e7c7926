// Package storetest is the one conformance suite every store.Store adapter
// passes. An adapter's test calls Run with a function that opens a fresh,
// empty store (and closes it with t.Cleanup).
//
// Times in the suite are whole microseconds in UTC, the precision every
// backend keeps (Firestore stores microseconds); stored times are compared
// with time.Time.Equal.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Run runs every conformance test; open must return a new empty store each
// time it is called.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"OrgSettings", testOrgSettings},
		{"UserSettings", testUserSettings},
		{"Users", testUsers},
		{"Teams", testTeams},
		{"NeverLog", testNeverLog},
		{"NeverLogAtomic", testNeverLogAtomic},
		{"NeverLogLargeImport", testNeverLogLarge},
		{"NeverLogChanges", testNeverLogChanges},
		{"NeverLogPersonalVersion", testNeverLogPersonalVersion},
		{"NeverLogConsistentRead", testNeverLogConsistentRead},
		{"Contacts", testContacts},
		{"LogEmailIdempotent", testLogEmailIdempotent},
		{"LogEmailConcurrentSame", testLogEmailConcurrentSame},
		{"LogEmailConcurrentContact", testLogEmailConcurrentContact},
		{"LogEmailInvalid", testLogEmailInvalid},
		{"EmailNotFound", testEmailNotFound},
		{"SetVisibility", testSetVisibility},
		{"AudienceFromCaller", testAudienceFromCaller},
		{"DeleteEmail", testDeleteEmail},
		{"TimelineOrder", testTimelineOrder},
		{"TimelineLimits", testTimelineLimits},
		{"TimelineCursorStable", testTimelineCursorStable},
		{"TimelineCursorBound", testTimelineCursorBound},
		{"TimelineHidden", testTimelineHidden},
		{"TimelineAudience", testTimelineAudience},
		{"Intents", testIntents},
		{"IntentExpiry", testIntentExpiry},
		{"IntentConcurrent", testIntentConcurrent},
		{"IntentRelease", testIntentRelease},
		{"Audit", testAudit},
		{"Purge", testPurge},
		{"PurgeDropsContacts", testPurgeDropsContacts},
		{"MatchProperty", testMatchProperty},
		{"MatchOldSpellings", testMatchOldSpellings},
		{"Unicode", testUnicode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
	t.Run("Watches", func(t *testing.T) { RunWatches(t, open) })
	t.Run("Seeding", func(t *testing.T) { RunSeeding(t, open) })
	t.Run("Jobs", func(t *testing.T) { RunJobs(t, open) })
	t.Run("Secrets", func(t *testing.T) { RunSecrets(t, open) })
	t.Run("LegacyIDs", func(t *testing.T) { RunLegacyIDs(t, open) })
	t.Run("Governance", func(t *testing.T) { RunGovernance(t, open) })
	t.Run("Holds", func(t *testing.T) { RunHolds(t, open) })
	t.Run("Protection", func(t *testing.T) { RunProtection(t, open) })
	t.Run("Access", func(t *testing.T) { RunAccess(t, open) })
	t.Run("Scale", func(t *testing.T) { RunScale(t, open) })
}

// base is the suite's clock: whole microseconds, UTC.
var base = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

// wantCode fails unless err is a *discreet.Error with code.
func wantCode(t *testing.T, err error, code discreet.Code, what string) {
	t.Helper()
	var de *discreet.Error
	if !errors.As(err, &de) {
		t.Fatalf("%s: got error %v (%T), want a *discreet.Error with code %s", what, err, err, code)
	}
	if de.Code != code {
		t.Fatalf("%s: got code %s (%v), want %s", what, de.Code, err, code)
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// email builds a logged email as the service would: id from the
// Message-ID, participants the contacts, internal colleagues and owner.
func email(msgID, owner, team string, v discreet.Visibility, date time.Time, contacts []string, internal ...string) discreet.Email {
	e := discreet.Email{
		ID:         policy.LegacyEmailID("<"+msgID+"@mail.example>", ""),
		MessageID:  "<" + msgID + "@mail.example>",
		ThreadID:   "thread-" + msgID,
		Subject:    "Subject " + msgID,
		From:       owner,
		To:         contacts,
		Cc:         internal,
		Date:       date,
		Direction:  discreet.Outbound,
		Snippet:    "Snippet of " + msgID,
		Body:       "Body of " + msgID,
		Owner:      owner,
		Team:       team,
		Visibility: v,
		Contacts:   contacts,
		Internal:   internal,
		Source:     discreet.SourceButton,
		LoggedAt:   date.Add(time.Minute),
	}
	seen := map[string]bool{}
	for _, a := range append(append(append([]string{}, contacts...), internal...), owner) {
		if !seen[a] {
			seen[a] = true
			e.Participants = append(e.Participants, a)
		}
	}
	return e
}

// written is e as the service hands it to LogEmail, with its audience.
func written(e discreet.Email) store.EmailWrite {
	return store.EmailWrite{Email: e, Audience: policy.EmailAudience(e)}
}

func logEmail(t *testing.T, s store.Store, e discreet.Email) discreet.Email {
	t.Helper()
	got, created, err := s.LogEmail(t.Context(), written(e))
	must(t, err, "LogEmail "+e.MessageID)
	if !created {
		t.Fatalf("LogEmail %s: created = false for a new email", e.MessageID)
	}
	return got
}

// canon makes emails comparable: times in UTC, nil and empty lists alike.
func canon(e discreet.Email) discreet.Email {
	e.Date, e.LoggedAt = e.Date.UTC(), e.LoggedAt.UTC()
	for _, l := range []*[]string{&e.To, &e.Cc, &e.Contacts, &e.Internal, &e.Participants, &e.Lenient} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return e
}

func sameEmail(t *testing.T, got, want discreet.Email, what string) {
	t.Helper()
	if g, w := canon(got), canon(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// summaryOf is what a visible timeline entry carries: the email without
// its body (and without participants, which are for purges only).
func summaryOf(e discreet.Email) discreet.Email {
	e.Body = ""
	e.Participants, e.Lenient = nil, nil
	return e
}

// Audience keys of three kinds of viewer, from the policy package.
var (
	adminAll = discreet.User{Email: "root@acme.com", Role: discreet.RoleAdmin}
	// allKeys sees every email (an admin when adminsReadPrivate is on).
	allKeys = policy.ViewerAudience(adminAll, discreet.OrgSettings{AdminsReadPrivate: true}, discreet.AccessFull)
)

// keysOf is a user's audience on a contact, under the default settings.
func keysOf(u discreet.User, access discreet.Access) []string {
	return policy.ViewerAudience(u, discreet.DefaultOrgSettings(), access)
}

// readAll pages through a timeline and returns every entry.
func readAll(t *testing.T, s store.Store, q store.TimelineQuery) []store.TimelineEntry {
	t.Helper()
	var out []store.TimelineEntry
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatalf("timeline of %s never ends", q.Contact)
		}
		p, err := s.Timeline(t.Context(), q)
		must(t, err, "Timeline "+q.Contact)
		if len(p.Entries) > q.Limit {
			t.Fatalf("Timeline %s: %d entries for limit %d", q.Contact, len(p.Entries), q.Limit)
		}
		if p.Next != "" && len(p.Entries) == 0 {
			t.Fatalf("Timeline %s: empty page with a next cursor", q.Contact)
		}
		out = append(out, p.Entries...)
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
	}
}

func ids(entries []store.TimelineEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.EmailID
	}
	return out
}

// newestFirst is the order a timeline of these emails must have.
func newestFirst(emails ...discreet.Email) []string {
	sorted := append([]discreet.Email(nil), emails...)
	sort.Slice(sorted, func(i, j int) bool {
		return store.SortKey(sorted[i].Date, sorted[i].ID) > store.SortKey(sorted[j].Date, sorted[j].ID)
	})
	out := make([]string, len(sorted))
	for i, e := range sorted {
		out[i] = e.ID
	}
	return out
}

func sameIDs(t *testing.T, got, want []string, what string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func hidden(t *testing.T, s store.Store, contact string, keys []string) int {
	t.Helper()
	p, err := s.Timeline(t.Context(), store.TimelineQuery{Contact: contact, Keys: keys, Limit: 1, CountHidden: true})
	must(t, err, "Timeline hidden count")
	return p.Hidden
}

func testPing(t *testing.T, s store.Store) {
	must(t, s.Ping(t.Context()), "Ping")
}

func testOrgSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.OrgSettings(ctx)
	must(t, err, "OrgSettings")
	if !reflect.DeepEqual(got, discreet.DefaultOrgSettings()) {
		t.Fatalf("OrgSettings before any put = %+v, want the defaults", got)
	}
	want := discreet.DefaultOrgSettings()
	want.InternalDomains = []string{"acme.com", "acme.ch"}
	want.AdminsReadPrivate = true
	want.HiddenEmails = discreet.HiddenStubs
	want.ContactAccess = map[discreet.Role]discreet.Scope{discreet.RoleRep: discreet.ScopeOwned, discreet.RoleManager: discreet.ScopeAll}
	want.Uploads = discreet.UploadsAdmins
	must(t, s.PutOrgSettings(ctx, want), "PutOrgSettings")
	got, err = s.OrgSettings(ctx)
	must(t, err, "OrgSettings")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("OrgSettings = %+v, want %+v", got, want)
	}
	want.DefaultLog = false
	must(t, s.PutOrgSettings(ctx, want), "PutOrgSettings again")
	got, err = s.OrgSettings(ctx)
	must(t, err, "OrgSettings")
	if got.DefaultLog {
		t.Fatalf("PutOrgSettings did not replace the settings")
	}
}

func testUserSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.UserSettings(ctx, "anna@acme.com")
	must(t, err, "UserSettings")
	if !reflect.DeepEqual(got, discreet.UserSettings{}) {
		t.Fatalf("UserSettings before any put = %+v, want zero", got)
	}
	off := false
	want := discreet.UserSettings{DefaultLog: &off, DefaultVisibility: discreet.VisibilityTeam}
	must(t, s.PutUserSettings(ctx, "anna@acme.com", want), "PutUserSettings")
	got, err = s.UserSettings(ctx, "anna@acme.com")
	must(t, err, "UserSettings")
	if got.DefaultLog == nil || *got.DefaultLog || got.DefaultVisibility != discreet.VisibilityTeam {
		t.Fatalf("UserSettings = %+v, want %+v", got, want)
	}
	other, err := s.UserSettings(ctx, "beat@acme.com")
	must(t, err, "UserSettings of another user")
	if other.DefaultLog != nil || other.DefaultVisibility != "" {
		t.Fatalf("another user's settings = %+v, want zero", other)
	}
}

func sameUser(t *testing.T, got, want discreet.User, what string) {
	t.Helper()
	if got.Email != want.Email || got.Name != want.Name || got.Role != want.Role ||
		fmt.Sprint(got.Teams) != fmt.Sprint(want.Teams) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("%s: got %+v, want %+v", what, got, want)
	}
}

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.User(ctx, "nobody@acme.com")
	wantCode(t, err, discreet.ENotFound, "User of an unknown address")

	anna := discreet.User{Email: "anna@acme.com", Name: "Anna", Role: discreet.RoleRep, Teams: []string{"de", "ch"}, CreatedAt: base}
	must(t, s.PutUser(ctx, anna), "PutUser")
	got, err := s.User(ctx, anna.Email)
	must(t, err, "User")
	sameUser(t, got, anna, "User after PutUser")

	anna.Role, anna.Teams = discreet.RoleManager, []string{"ch"}
	must(t, s.PutUser(ctx, anna), "PutUser replace")
	got, err = s.User(ctx, anna.Email)
	must(t, err, "User")
	sameUser(t, got, anna, "User after a second PutUser")

	beat := discreet.User{Email: "beat@acme.com", Name: "Beat", Role: discreet.RoleRep, Teams: []string{"ch"}, CreatedAt: at(1)}
	got, created, err := s.CreateUser(ctx, beat)
	must(t, err, "CreateUser")
	if !created {
		t.Fatalf("CreateUser of a new user: created = false")
	}
	sameUser(t, got, beat, "CreateUser result")
	imposter := beat
	imposter.Name, imposter.Role = "Someone else", discreet.RoleAdmin
	got, created, err = s.CreateUser(ctx, imposter)
	must(t, err, "CreateUser again")
	if created {
		t.Fatalf("CreateUser of an existing user: created = true")
	}
	sameUser(t, got, beat, "CreateUser of an existing user returns the stored one")
	got, err = s.User(ctx, beat.Email)
	must(t, err, "User")
	sameUser(t, got, beat, "CreateUser must not replace")

	for _, e := range []string{"carl@acme.com", "dora@acme.com", "emil@acme.com"} {
		must(t, s.PutUser(ctx, discreet.User{Email: e, Role: discreet.RoleRep, CreatedAt: base}), "PutUser "+e)
	}
	var all []string
	after := ""
	for i := 0; i < 10; i++ {
		page, err := s.Users(ctx, after, 2)
		must(t, err, "Users")
		if len(page) > 2 {
			t.Fatalf("Users returned %d for limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			all = append(all, u.Email)
		}
		after = page[len(page)-1].Email
	}
	sameIDs(t, all, []string{"anna@acme.com", "beat@acme.com", "carl@acme.com", "dora@acme.com", "emil@acme.com"}, "Users paged by email")
}

func testTeams(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.Team(ctx, "de")
	wantCode(t, err, discreet.ENotFound, "Team unknown")
	teams, err := s.Teams(ctx)
	must(t, err, "Teams")
	if len(teams) != 0 {
		t.Fatalf("Teams of a new store = %v", teams)
	}
	must(t, s.PutTeam(ctx, discreet.Team{ID: "de", Name: "Germany"}), "PutTeam")
	must(t, s.PutTeam(ctx, discreet.Team{ID: "ch", Name: "Schweiz"}), "PutTeam")
	must(t, s.PutTeam(ctx, discreet.Team{ID: "ch", Name: "Switzerland"}), "PutTeam rename")
	got, err := s.Team(ctx, "ch")
	must(t, err, "Team")
	if got != (discreet.Team{ID: "ch", Name: "Switzerland"}) {
		t.Fatalf("Team ch = %+v", got)
	}
	teams, err = s.Teams(ctx)
	must(t, err, "Teams")
	want := []discreet.Team{{ID: "ch", Name: "Switzerland"}, {ID: "de", Name: "Germany"}}
	if !reflect.DeepEqual(teams, want) {
		t.Fatalf("Teams = %v, want %v (by id)", teams, want)
	}
}

func nl(id, scope, pattern string) discreet.NeverLogEntry {
	return discreet.NeverLogEntry{ID: id, Scope: scope, Pattern: pattern, Note: "note " + id, AddedBy: "admin@acme.com", AddedAt: base}
}

func patterns(entries []discreet.NeverLogEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Pattern
	}
	return out
}

func testNeverLog(t *testing.T, s store.Store) {
	ctx := t.Context()
	c0, err := s.NeverLogVersion(ctx)
	must(t, err, "NeverLogVersion")
	v0 := c0.Version
	must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("n1", "", "@zeta.example"), nl("n2", "", "anna@alpha.example")}), "AddNeverLog")
	list, v1, err := s.NeverLog(ctx, "")
	must(t, err, "NeverLog")
	sameIDs(t, patterns(list), []string{"@zeta.example", "anna@alpha.example"}, "NeverLog by pattern")
	if v1 == v0 {
		t.Fatalf("version did not move on add (%d)", v1)
	}
	if c, _ := s.NeverLogVersion(ctx); c.Version != v1 {
		t.Fatalf("NeverLogVersion = %d, NeverLog said %d", c.Version, v1)
	}
	e, err := s.NeverLogEntry(ctx, "", "n1")
	must(t, err, "NeverLogEntry")
	if e.ID != "n1" || e.Pattern != "@zeta.example" || e.Note != "note n1" || e.AddedBy != "admin@acme.com" || !e.AddedAt.Equal(base) {
		t.Fatalf("NeverLogEntry = %+v", e)
	}
	_, err = s.NeverLogEntry(ctx, "", "nope")
	wantCode(t, err, discreet.ENotFound, "NeverLogEntry unknown")
	_, err = s.NeverLogEntry(ctx, "anna@acme.com", "n1")
	wantCode(t, err, discreet.ENotFound, "NeverLogEntry of another list")

	// A personal list is separate: the same pattern may be on both.
	must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("p1", "anna@acme.com", "@zeta.example")}), "AddNeverLog personal")
	personal, pv, err := s.NeverLog(ctx, "anna@acme.com")
	must(t, err, "NeverLog personal")
	sameIDs(t, patterns(personal), []string{"@zeta.example"}, "personal list")
	us, err := s.UserSettings(ctx, "anna@acme.com")
	must(t, err, "UserSettings")
	if pv == 0 || us.NeverLogVersion != pv {
		t.Fatalf("personal version %d, user settings say %d; want them equal and moved", pv, us.NeverLogVersion)
	}
	if c, _ := s.NeverLogVersion(ctx); c.Version != v1 {
		t.Fatalf("a personal add moved the org version %d → %d", v1, c.Version)
	}
	v2 := v1
	org, _, _ := s.NeverLog(ctx, "")
	if len(org) != 2 {
		t.Fatalf("org list has %d entries after a personal add", len(org))
	}

	del, err := s.DeleteNeverLog(ctx, "", "n2")
	must(t, err, "DeleteNeverLog")
	if del.ID != "n2" || del.Pattern != "anna@alpha.example" {
		t.Fatalf("DeleteNeverLog returned %+v", del)
	}
	c3, _ := s.NeverLogVersion(ctx)
	if v3 := c3.Version; v3 == v2 {
		t.Fatalf("version did not move on delete")
	}
	_, err = s.DeleteNeverLog(ctx, "", "n2")
	wantCode(t, err, discreet.ENotFound, "DeleteNeverLog twice")
	_, err = s.DeleteNeverLog(ctx, "", "p1")
	wantCode(t, err, discreet.ENotFound, "DeleteNeverLog from the wrong list")
	list, _, _ = s.NeverLog(ctx, "")
	sameIDs(t, patterns(list), []string{"@zeta.example"}, "NeverLog after delete")
}

func testNeverLogAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("n1", "", "@zeta.example")}), "AddNeverLog")
	c1, _ := s.NeverLogVersion(ctx)
	v1 := c1.Version
	err := s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("n2", "", "a@b.example"), nl("n3", "", "@zeta.example"), nl("n4", "", "c@d.example")})
	wantCode(t, err, discreet.EConflict, "AddNeverLog with a pattern already listed")
	err = s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("n5", "", "x@y.example"), nl("n6", "", "x@y.example")})
	wantCode(t, err, discreet.EConflict, "AddNeverLog with a pattern twice in the batch")
	err = s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("n7", "", "e@f.example"), nl("n1", "", "g@h.example")})
	wantCode(t, err, discreet.EConflict, "AddNeverLog with an id already listed")
	list, v2, err := s.NeverLog(ctx, "")
	must(t, err, "NeverLog")
	sameIDs(t, patterns(list), []string{"@zeta.example"}, "a failed batch adds nothing")
	if v2 != v1 {
		t.Fatalf("a failed batch moved the version %d → %d", v1, v2)
	}
	for _, id := range []string{"n2", "n4", "n5", "n7"} {
		_, err := s.NeverLogEntry(ctx, "", id)
		wantCode(t, err, discreet.ENotFound, "entry of a failed batch")
	}
}

// Imports may be far larger than one backend transaction; they are still
// all or nothing.
func testNeverLogLarge(t *testing.T, s store.Store) {
	ctx := t.Context()
	batch := func(prefix string, n int) []discreet.NeverLogEntry {
		out := make([]discreet.NeverLogEntry, n)
		for i := range out {
			out[i] = nl(fmt.Sprintf("%s%04d", prefix, i), "", fmt.Sprintf("@%s%04d.example", prefix, i))
		}
		return out
	}
	must(t, s.AddNeverLog(ctx, batch("big", 600)), "AddNeverLog of 600 entries")
	list, _, err := s.NeverLog(ctx, "")
	must(t, err, "NeverLog")
	if len(list) != 600 {
		t.Fatalf("after a 600-entry import the list has %d entries", len(list))
	}
	// A conflict near the end of a large batch takes back the whole batch.
	late := batch("late", 600)
	late[550].Pattern = "@big0007.example"
	wantCode(t, s.AddNeverLog(ctx, late), discreet.EConflict, "AddNeverLog with a conflict at entry 550")
	list, _, err = s.NeverLog(ctx, "")
	must(t, err, "NeverLog")
	if len(list) != 600 {
		t.Fatalf("a failed 600-entry import left %d entries, want the 600 from before", len(list))
	}
	_, err = s.NeverLogEntry(ctx, "", "late0000")
	wantCode(t, err, discreet.ENotFound, "first entry of a failed large import")
}

func contactIs(t *testing.T, s store.Store, addr, owner, team string) discreet.Contact {
	t.Helper()
	c, err := s.Contact(t.Context(), addr)
	must(t, err, "Contact "+addr)
	if c.Email != addr || c.Owner != owner || c.Team != team || c.CreatedAt.IsZero() {
		t.Fatalf("Contact %s = %+v, want owner %s team %s and a creation time", addr, c, owner, team)
	}
	return c
}

func contactAddrs(cs []discreet.Contact) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Email
	}
	return out
}

func testContacts(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.Contact(ctx, "anna@alpha.example")
	wantCode(t, err, discreet.ENotFound, "Contact before any email")

	logEmail(t, s, email("c1", "rep.de@acme.com", "de", discreet.VisibilityPublic, at(0), []string{"anna@alpha.example", "bob@beta.example"}))
	contactIs(t, s, "anna@alpha.example", "rep.de@acme.com", "de")
	bob := contactIs(t, s, "bob@beta.example", "rep.de@acme.com", "de")

	logEmail(t, s, email("c2", "rep.ch@acme.com", "ch", discreet.VisibilityPublic, at(1), []string{"bob@beta.example", "carl@gamma.example"}))
	again := contactIs(t, s, "bob@beta.example", "rep.de@acme.com", "de")
	if !again.CreatedAt.Equal(bob.CreatedAt) {
		t.Fatalf("logging onto an existing contact changed it: %+v → %+v", bob, again)
	}
	contactIs(t, s, "carl@gamma.example", "rep.ch@acme.com", "ch")
	logEmail(t, s, email("c3", "rep.ch@acme.com", "ch", discreet.VisibilityPublic, at(2), []string{"zed@alpha.example", "amy@zulu.example"}))

	for _, tc := range []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"bo", 10, []string{"bob@beta.example"}},
		{"beta", 10, []string{"bob@beta.example"}},                                         // by domain
		{"alpha", 10, []string{"anna@alpha.example", "zed@alpha.example"}},                 // by domain
		{"a", 10, []string{"amy@zulu.example", "anna@alpha.example", "zed@alpha.example"}}, // both ways, once each, by address
		{"a", 2, []string{"amy@zulu.example", "anna@alpha.example"}},                       // limit
		{"z", 10, []string{"amy@zulu.example", "zed@alpha.example"}},                       // by domain and by address
		{"anna@alpha.example", 10, []string{"anna@alpha.example"}},                         // whole address
		{"carl@", 10, []string{"carl@gamma.example"}},                                      // local part and @
		{"gamma.example", 10, []string{"carl@gamma.example"}},                              // whole domain
		{"gamma.example.", 10, nil},                                                        // not a prefix
		{"x", 10, nil},
		{"", 3, []string{"amy@zulu.example", "anna@alpha.example", "bob@beta.example"}}, // everything
	} {
		got, err := s.SearchContacts(ctx, tc.prefix, tc.limit)
		must(t, err, "SearchContacts "+tc.prefix)
		sameIDs(t, contactAddrs(got), tc.want, fmt.Sprintf("SearchContacts(%q, %d)", tc.prefix, tc.limit))
	}

	c, err := s.SetContactOwner(ctx, "bob@beta.example", "rep.fr@acme.com", "fr")
	must(t, err, "SetContactOwner")
	if c.Email != "bob@beta.example" || c.Owner != "rep.fr@acme.com" || c.Team != "fr" {
		t.Fatalf("SetContactOwner returned %+v", c)
	}
	contactIs(t, s, "bob@beta.example", "rep.fr@acme.com", "fr")
	_, err = s.SetContactOwner(ctx, "nobody@nowhere.example", "rep.fr@acme.com", "fr")
	wantCode(t, err, discreet.ENotFound, "SetContactOwner of an unknown contact")
	_, err = s.Contact(ctx, "nobody@nowhere.example")
	wantCode(t, err, discreet.ENotFound, "Contact unknown")
}
