package sqlite

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// fixtureFile is one database under testdata/fixtures, written by the code
// of a past commit (testdata/fixtures/gen says how), and what that code
// wrote beyond fixtureData.
type fixtureFile struct {
	name string
	// orgVersion is the org Never Log List's version; personal the
	// personal lists' versions (none before versions were kept per user).
	orgVersion int64
	personal   map[string]int64
	// extra adjusts the expected records and checks what only newer
	// trees wrote (jobs, the email-id key).
	extra func(t *testing.T, f *fixtureSet, s *Store, raw *sql.DB)
	// after checks what only newer trees wrote, once the common checks
	// and writes are done.
	after func(t *testing.T, s *Store)
}

var fixtureFiles = []fixtureFile{
	// The last release: whole records as JSON with the REST field tags.
	{name: "816438a", orgVersion: 3},
	// Main before its records had types of their own: jobs as JSON with
	// Go field names, list versions per user, the email-id key.
	{name: "1e1e293", orgVersion: 2, personal: map[string]int64{"anna@acme.example": 1}, extra: checkJobsAndKey},
	// Main before its records had types of their own, after m5 and b2:
	// lenient keys in an email's JSON, chosen audiences, the log's audit
	// record written with its email.
	{name: "3c80744", orgVersion: 2, personal: map[string]int64{"anna@acme.example": 1},
		extra: func(t *testing.T, f *fixtureSet, s *Store, raw *sql.DB) {
			checkJobsAndKey(t, f, s, raw)
			addLogged(f)
		},
		after: checkLenientPurge},
}

// addLogged adds fixtureLogged to what a fixture holds.
func addLogged(f *fixtureSet) {
	f.Audience = map[string][]string{}
	for _, l := range fixtureLogged() {
		f.Emails = append(f.Emails, l.Email)
		if l.Audience != nil {
			f.Audience[l.Email.ID] = l.Audience
		}
		if l.Audit != nil {
			f.Audit = append(f.Audit, *l.Audit)
		}
	}
}

// checkLenientPurge: an email's lenient keys, read from its old JSON, index
// it as main did, and a purge through them deletes it with the contact it
// leaves empty.
func checkLenientPurge(t *testing.T, s *Store) {
	ctx := t.Context()
	for _, m := range []store.Match{
		{Domain: "odd-partner.example"},
		{Domain: "mail_gw.odd-partner.example."},
		{Address: "lisa@x..mail_gw.odd-partner.example."},
		{Address: "nobody@odd-partner.example", Spellings: []string{"lisa@x..mail_gw.odd-partner.example."}},
	} {
		n, err := s.CountMatching(ctx, m)
		must(t, err)
		if n != 1 {
			t.Errorf("CountMatching %+v = %d, want 1 (e-lenient)", m, n)
		}
	}
	rep, err := s.PurgeMatching(ctx, store.Match{Domain: "odd-partner.example"}, 10)
	must(t, err)
	same(t, "PurgeMatching odd-partner.example", []string{"e-lenient"}, rep.EmailIDs)
	_, err = s.Contact(ctx, "info@lenient.example")
	wantNotFound(t, err, "a contact the purge left with no email")
	if _, err := s.Contact(ctx, "buyer@audience.example"); err != nil {
		t.Errorf("a contact the purge did not touch: %v", err)
	}
}

// checkJobsAndKey reads back the jobs and the email-id key of fixtures
// written after both existed.
func checkJobsAndKey(t *testing.T, _ *fixtureSet, s *Store, raw *sql.DB) {
	ctx := t.Context()
	want := fixtureJobs()
	for i := range want {
		// JSON kept a nil raw message as null, and so gave it back.
		for _, m := range []*json.RawMessage{&want[i].Params, &want[i].Checkpoint, &want[i].Report} {
			if *m == nil {
				*m = json.RawMessage("null")
			}
		}
		if want[i].ID == "job-running" {
			want[i].Parts = len(fixtureJobParts)
		}
		got, err := s.Job(ctx, want[i].ID)
		must(t, err)
		same(t, "Job "+want[i].ID, want[i], got)
	}
	for n, p := range fixtureJobParts {
		got, err := s.JobPart(ctx, "job-running", n)
		must(t, err)
		same(t, "JobPart", p, got)
	}
	jobs, next, err := s.ListJobs(ctx, store.JobQuery{Limit: 100})
	must(t, err)
	same(t, "ListJobs", []store.Job{want[2], want[1], want[0]}, jobs)
	if next != "" {
		t.Errorf("ListJobs next %q", next)
	}
	due, err := s.DueJobs(ctx, fixtureAt(300), 10)
	must(t, err)
	same(t, "DueJobs", []store.Job{want[0]}, due)
	_, claim, err := s.ClaimJob(ctx, "job-running", "instance-b", fixtureAt(202).Add(30*time.Second), time.Minute)
	must(t, err)
	if claim != store.ClaimHeld {
		t.Errorf("ClaimJob under instance-a's lease = %v, want held", claim)
	}

	var key []byte
	if err := raw.QueryRowContext(ctx, "SELECT value FROM secrets WHERE name = 'email-id'").Scan(&key); err != nil {
		t.Fatal(err)
	}
	got, err := s.EmailIDKey(ctx)
	must(t, err)
	same(t, "EmailIDKey", key, got)
}

// fixtureDir is a new data directory holding the fixture database written
// by the code at name.
func fixtureDir(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "fixtures", name+".db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "discreet.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFixtures opens each database written by older code with this code,
// migrating it, and reads every record back exactly; then writes to it.
func TestFixtures(t *testing.T) {
	for _, ff := range fixtureFiles {
		t.Run(ff.name, func(t *testing.T) {
			dir := fixtureDir(t, ff.name)
			path := filepath.Join(dir, "discreet.db")
			raw, err := sql.Open("sqlite", path+"?_query_only=1")
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			f := fixtureData()
			s := openDir(t, dir)
			if ff.extra != nil {
				ff.extra(t, &f, s, raw)
			}
			checkFixture(t, s, f, ff)
			checkWritesAfter(t, s)
			if ff.after != nil {
				ff.after(t, s)
			}
		})
	}
}

// TestMigrationFailsWhole: a migration that fails part way (here after
// 0006 has copied the records, before it drops the old tables) leaves the
// database as the old code wrote it, and the next Open migrates it whole.
func TestMigrationFailsWhole(t *testing.T) {
	dir := fixtureDir(t, "816438a")
	path := filepath.Join(dir, "discreet.db")
	for _, fault := range []func() error{
		func() error { return errors.New("the disk went away") },
		func() error { panic("killed") },
	} {
		migrateRecordsFault = fault
		s, err := Open(t.Context(), dir)
		migrateRecordsFault = nil
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded through a failing migration")
		}
		raw, err := sql.Open("sqlite", path+"?_query_only=1")
		if err != nil {
			t.Fatal(err)
		}
		var version int
		var userData string
		err = raw.QueryRow("SELECT (SELECT max(version) FROM schema_version), (SELECT data FROM users WHERE email = 'anna@acme.example')").Scan(&version, &userData)
		raw.Close()
		if err != nil || version != 3 || !strings.Contains(userData, `"name":"Anna Schmidt"`) {
			t.Fatalf("after a failed migration: version %d, anna %q, %v; want version 3 and the old record", version, userData, err)
		}
	}
	s := openDir(t, dir)
	checkFixture(t, s, fixtureData(), fixtureFiles[0])
}

func openDir(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func same[T any](t *testing.T, what string, want, got T) {
	t.Helper()
	if d := gocmp.Diff(want, got); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func checkFixture(t *testing.T, s *Store, f fixtureSet, ff fixtureFile) {
	ctx := t.Context()

	teams, err := s.Teams(ctx)
	must(t, err)
	same(t, "Teams", f.Teams, teams)

	users, err := s.Users(ctx, "", 1000)
	must(t, err)
	wantUsers := slices.SortedFunc(slices.Values(f.Users), func(a, b discreet.User) int { return cmp.Compare(a.Email, b.Email) })
	same(t, "Users", wantUsers, users)
	for _, u := range f.Users {
		got, err := s.User(ctx, u.Email)
		must(t, err)
		same(t, "User "+u.Email, u, got)
	}

	org, err := s.OrgSettings(ctx)
	must(t, err)
	same(t, "OrgSettings", f.Org, org)
	for email, us := range f.UserSettings {
		us.NeverLogVersion = ff.personal[email]
		got, err := s.UserSettings(ctx, email)
		must(t, err)
		same(t, "UserSettings "+email, us, got)
	}

	byScope := map[string][]discreet.NeverLogEntry{}
	for _, e := range f.NeverLog {
		byScope[e.Scope] = append(byScope[e.Scope], e)
	}
	for scope, want := range byScope {
		slices.SortFunc(want, func(a, b discreet.NeverLogEntry) int { return cmp.Compare(a.Pattern, b.Pattern) })
		got, version, err := s.NeverLog(ctx, scope)
		must(t, err)
		same(t, "NeverLog "+scope, want, got)
		wantVersion := ff.orgVersion
		if scope != "" {
			wantVersion = ff.personal[scope]
		}
		if version != wantVersion {
			t.Errorf("NeverLog %q version %d, want %d", scope, version, wantVersion)
		}
		for _, e := range want {
			got, err := s.NeverLogEntry(ctx, scope, e.ID)
			must(t, err)
			same(t, "NeverLogEntry "+e.ID, e, got)
		}
	}
	changes, err := s.NeverLogVersion(ctx)
	must(t, err)
	if changes.Version != ff.orgVersion {
		t.Errorf("NeverLogVersion %d, want %d", changes.Version, ff.orgVersion)
	}
	for _, e := range f.NeverLogDeleted {
		_, err := s.NeverLogEntry(ctx, e.Scope, e.ID)
		wantNotFound(t, err, "deleted Never Log entry")
	}

	emails := map[string]discreet.Email{}
	var ordered []discreet.Email
	for _, e := range f.Emails {
		if v, ok := f.Revisibility[e.ID]; ok {
			e.Visibility = v
		}
		emails[e.ID] = e
		ordered = append(ordered, e)
		got, err := s.Email(ctx, e.ID)
		must(t, err)
		same(t, "Email "+e.ID, e, got)
	}
	for _, e := range f.Unlogged {
		_, err := s.Email(ctx, e.ID)
		wantNotFound(t, err, "unlogged email")
	}

	// Contacts: made by the first email on them, some reassigned since.
	contacts := map[string]discreet.Contact{}
	for _, e := range append(append([]discreet.Email(nil), f.Emails...), f.Unlogged...) {
		for _, c := range e.Contacts {
			if _, ok := contacts[c]; !ok {
				contacts[c] = discreet.Contact{Email: c, Owner: e.Owner, Team: e.Team, CreatedAt: e.LoggedAt}
			}
		}
	}
	for c, o := range f.Owners {
		ct := contacts[c]
		ct.Owner, ct.Team = o[0], o[1]
		contacts[c] = ct
	}
	for c, want := range contacts {
		got, err := s.Contact(ctx, c)
		must(t, err)
		same(t, "Contact "+c, want, got)
	}
	all, err := s.SearchContacts(ctx, "", 100)
	must(t, err)
	wantAll := slices.SortedFunc(maps.Values(contacts), func(a, b discreet.Contact) int { return cmp.Compare(a.Email, b.Email) })
	same(t, "SearchContacts", wantAll, all)

	// Timelines, as each viewer's keys see them.
	viewers := [][]string{
		{"x:all"},
		{"u:anna@acme.example", "x:public"},
		{"u:beat@acme-ch.example", "t:ch", "x:shared"},
		{"u:nobody@acme.example"},
	}
	for c := range contacts {
		var on []discreet.Email
		for _, e := range ordered {
			if slices.Contains(e.Contacts, c) {
				on = append(on, e)
			}
		}
		slices.SortFunc(on, func(a, b discreet.Email) int {
			return -cmp.Compare(store.SortKey(a.Date, a.ID), store.SortKey(b.Date, b.ID))
		})
		for _, keys := range viewers {
			var wantAll, wantVisible []store.TimelineEntry
			hidden := 0
			for _, e := range on {
				entry := store.TimelineEntry{EmailID: e.ID, Date: e.Date, Owner: e.Owner}
				audience, ok := f.Audience[e.ID]
				if !ok {
					audience = policy.EmailAudience(e)
				}
				// Since 0013 a viewer holding the key every email carries
				// reads every entry: e-audience was written with keys that
				// lack it, which CheckAudience now refuses.
				if policy.SharesKey(audience, keys) || policy.SeesEveryEmail(keys) {
					sum := e
					sum.Body, sum.Participants, sum.Lenient = "", nil, nil
					entry.Visible, entry.Email = true, &sum
					wantVisible = append(wantVisible, entry)
				} else {
					hidden++
				}
				wantAll = append(wantAll, entry)
			}
			what := "Timeline " + c + " for " + strings.Join(keys, ",")
			page, err := s.Timeline(ctx, store.TimelineQuery{Contact: c, Keys: keys, All: true, Limit: 100, CountHidden: true})
			must(t, err)
			same(t, what+" (all)", store.TimelinePage{Entries: wantAll, Hidden: hidden}, page)
			page, err = s.Timeline(ctx, store.TimelineQuery{Contact: c, Keys: keys, Limit: 100, CountHidden: true})
			must(t, err)
			same(t, what, store.TimelinePage{Entries: wantVisible, Hidden: hidden}, page)
		}
	}

	for _, m := range []struct {
		match store.Match
		want  int
	}{
		{store.Match{Address: "kunde@zurich-bank.example"}, 4},
		{store.Match{Domain: "berlin-tools.example"}, 2},
		{store.Match{Domain: "sub.berlin-tools.example"}, 1},
		{store.Match{Address: "beat@acme-ch.example"}, 2},
		{store.Match{Address: "gone@elsewhere.example"}, 0},
	} {
		n, err := s.CountMatching(ctx, m.match)
		must(t, err)
		if n != m.want {
			t.Errorf("CountMatching %+v = %d, want %d", m.match, n, m.want)
		}
	}

	intents := map[string]discreet.Intent{}
	for _, in := range f.Intents {
		intents[in.ID] = in
	}
	got, err := s.ConsumeIntent(ctx, "anna@acme.example", intents["in-open"].Recipients, "Offer \"Q2\"", fixtureNow)
	must(t, err)
	same(t, "open intent", intents["in-open"], got)
	_, err = s.ConsumeIntent(ctx, "anna@acme.example", intents["in-consumed"].Recipients, "Consumed", fixtureNow)
	wantNotFound(t, err, "consumed intent")
	_, err = s.ConsumeIntent(ctx, "beat@acme-ch.example", intents["in-expired"].Recipients, "", fixtureNow)
	wantNotFound(t, err, "expired intent")
	got, err = s.ConsumeIntent(ctx, "beat@acme-ch.example", intents["in-expired"].Recipients, "", fixtureAt(82))
	must(t, err)
	same(t, "intent before it expired", intents["in-expired"], got)

	audit := slices.Clone(f.Audit)
	slices.SortFunc(audit, func(a, b discreet.AuditRecord) int {
		return -cmp.Compare(store.SortKey(a.At, a.ID), store.SortKey(b.At, b.ID))
	})
	records, next, err := s.Audit(ctx, store.AuditQuery{Limit: 1000})
	must(t, err)
	same(t, "Audit", audit, records)
	if next != "" {
		t.Errorf("Audit next %q, want none", next)
	}
	records, _, err = s.Audit(ctx, store.AuditQuery{EmailOwner: "anna@acme.example", Limit: 1000})
	must(t, err)
	var annas []discreet.AuditRecord
	for _, r := range audit {
		if r.EmailOwner == "anna@acme.example" {
			annas = append(annas, r)
		}
	}
	same(t, "Audit of anna's emails", annas, records)

	for _, fw := range fixtureWatches {
		want := store.Watch{User: fw.User, HistoryID: fw.HistoryID, Expiration: fw.Expiration, RenewedAt: fixtureNow}
		if fw.HistoryID != 0 {
			want.HistoryAt = fixtureNow
		}
		if fw.Advance != 0 {
			want.HistoryID, want.HistoryAt = fw.Advance, fixtureNow.Add(time.Hour)
		}
		got, err := s.WatchState(ctx, fw.User)
		must(t, err)
		same(t, "WatchState "+fw.User, want, got)
	}
	for m, want := range map[string]store.Claim{fixtureClaimHeld: store.ClaimHeld, fixtureClaimDone: store.ClaimDone} {
		claim, err := s.ClaimMessage(ctx, fixtureClaimUser, m, fixtureNow.Add(30*time.Minute), time.Hour)
		must(t, err)
		if claim != want {
			t.Errorf("ClaimMessage %s = %v, want %v", m, claim, want)
		}
	}
}

// checkWritesAfter: the upgraded database takes new records beside the
// old ones.
func checkWritesAfter(t *testing.T, s *Store) {
	ctx := t.Context()
	e := discreet.Email{
		ID: "e-after", MessageID: "after@acme.example", Subject: "After the upgrade", From: "anna@acme.example",
		To: []string{"kunde@zurich-bank.example"}, Date: fixtureAt(100), Direction: discreet.Outbound,
		Owner: "anna@acme.example", Team: "de", Visibility: discreet.VisibilityPrivate,
		Contacts: []string{"kunde@zurich-bank.example"}, Internal: []string{"anna@acme.example"},
		Participants: []string{"anna@acme.example", "kunde@zurich-bank.example"},
		Source:       discreet.SourceButton, LoggedAt: fixtureAt(101),
	}
	if _, created, err := s.LogEmail(ctx, store.EmailWrite{Email: e, Audience: policy.EmailAudience(e)}); err != nil || !created {
		t.Fatalf("LogEmail after the upgrade: created %v, %v", created, err)
	}
	page, err := s.Timeline(ctx, store.TimelineQuery{Contact: "kunde@zurich-bank.example", Keys: []string{"u:anna@acme.example"}, Limit: 1, CountHidden: true})
	must(t, err)
	if len(page.Entries) != 1 || page.Entries[0].EmailID != "e-after" || page.Hidden != 2 {
		t.Errorf("Timeline after the upgrade: %+v, want e-after first and 2 hidden", page)
	}
	n, err := s.CountMatching(ctx, store.Match{Address: "kunde@zurich-bank.example"})
	must(t, err)
	if n != 5 {
		t.Errorf("CountMatching after the upgrade = %d, want 5", n)
	}
	rep, err := s.PurgeMatching(ctx, store.Match{Domain: "berlin-tools.example"}, 1)
	must(t, err)
	if rep.Deleted != 2 {
		t.Errorf("PurgeMatching after the upgrade deleted %d, want 2", rep.Deleted)
	}
	if err := s.PutUser(ctx, discreet.User{Email: "anna@acme.example", Name: "Anna S.", Role: discreet.RoleManager, Teams: []string{"de"}}); err != nil {
		t.Fatal(err)
	}
	if u, err := s.User(ctx, "anna@acme.example"); err != nil || u.Role != discreet.RoleManager || u.Name != "Anna S." {
		t.Errorf("User after PutUser = %+v, %v", u, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if discreet.ErrorCode(err) != discreet.ENotFound {
		t.Errorf("%s: %v, want not_found", what, err)
	}
}
