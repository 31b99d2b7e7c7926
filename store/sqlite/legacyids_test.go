package sqlite

import (
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

func mayHoldLegacy(t *testing.T, s *Store) bool {
	t.Helper()
	may, err := s.MayHoldLegacyIDs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return may
}

// TestLegacyIDsDurable: a new database holds no legacy ids; the mark an
// email written without a keyed id leaves is there after reopening.
func TestLegacyIDsDurable(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if mayHoldLegacy(t, s) {
		t.Fatal("a new database may hold legacy ids")
	}
	l := fixtureLogged()[0]
	if _, _, err := s.LogEmail(t.Context(), store.EmailWrite{Email: l.Email, Audience: policy.EmailAudience(l.Email)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openDir(t, dir)
	if !mayHoldLegacy(t, s) {
		t.Fatal("after reopening, the database forgot an email written without a keyed id")
	}
}

// TestLegacyIDsAfterUpgrade: a database that held emails before 0012 may
// hold legacy ids, whatever their ids (the fixtures, written by older
// code, and a database at 0011); one at 0011 without emails does not.
func TestLegacyIDsAfterUpgrade(t *testing.T) {
	for _, ff := range fixtureFiles {
		t.Run(ff.name, func(t *testing.T) {
			dir := fixtureDir(t, ff.name)
			if !mayHoldLegacy(t, openDir(t, dir)) {
				t.Fatal("an upgraded database holding emails says it holds no legacy ids")
			}
		})
	}
	t.Run("empty at 0011", func(t *testing.T) {
		dir := t.TempDir()
		createAt(t, dir, 11)
		if mayHoldLegacy(t, openDir(t, dir)) {
			t.Fatal("an upgraded database without emails may hold legacy ids")
		}
	})
}

// TestLegacyEmailFoundAfterUpgrade: an email stored under its legacy id by
// older code, in a database upgraded to 0012, is what logging the same
// message again answers (already_logged), not a second record: the
// service keeps its legacy-id read on such a database.
func TestLegacyEmailFoundAfterUpgrade(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	newSvc := func(s *Store) (*service.Service, discreet.User) {
		svc := service.New(service.Config{Store: s, BootstrapAdmins: []string{"anna@acme.example"}, Logger: slog.New(slog.DiscardHandler)})
		anna, err := svc.SignIn(ctx, "anna@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		return svc, anna
	}
	svc, anna := newSvc(s)
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.example"}
	if _, err := svc.PutOrgSettings(ctx, anna, org); err != nil {
		t.Fatal(err)
	}
	const msgID = "<offer-1@acme.example>"
	raw := []byte("From: Anna Schmidt <anna@acme.example>\r\nTo: kunde@zurich-bank.example\r\nSubject: Offer\r\n" +
		"Message-ID: " + msgID + "\r\nDate: Mon, 02 Nov 2026 09:00:00 +0000\r\n\r\nDear customer, the offer.\r\n")
	first, err := svc.LogEmail(ctx, anna, service.LogRequest{Raw: raw})
	if err != nil || !first.Created {
		t.Fatalf("first log: %+v, %v", first, err)
	}
	if mayHoldLegacy(t, s) {
		t.Fatal("the service's log marked the database as holding legacy ids")
	}
	s.Close()

	// The database as 0011's code would have left it had it logged the
	// message under its legacy id (the tables 0012 leaves alone are the
	// same at both versions).
	legacyID := policy.LegacyEmailID(msgID, "")
	db, err := sql.Open("sqlite", filepath.Join(dir, "discreet.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE emails SET id = ?2 WHERE id = ?1",
		"UPDATE timeline SET email_id = ?2 WHERE email_id = ?1",
		"UPDATE audience SET email_id = ?2 WHERE email_id = ?1",
		"UPDATE email_match SET email_id = ?2 WHERE email_id = ?1",
		"UPDATE audit SET email_id = ?2 WHERE email_id = ?1",
		"DROP TABLE legacy_ids",
		"DELETE FROM schema_version WHERE version >= 12",
	} {
		if _, err := db.Exec(q, first.Email.ID, legacyID); err != nil {
			db.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s = openDir(t, dir)
	if !mayHoldLegacy(t, s) {
		t.Fatal("the upgraded database holding an email says it holds no legacy ids")
	}
	svc, anna = newSvc(s)
	again, err := svc.LogEmail(ctx, anna, service.LogRequest{Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || again.Decision.Reason != discreet.ReasonAlreadyLogged || again.Email == nil || again.Email.ID != legacyID {
		t.Fatalf("logging the message again: created %v, reason %q, email %+v; want already_logged with the legacy record %s",
			again.Created, again.Decision.Reason, again.Email, legacyID)
	}
	var n int
	if err := rawDB(t, s).QueryRow("SELECT count(*) FROM emails").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d emails stored (%v), want the legacy one alone", n, err)
	}
}
