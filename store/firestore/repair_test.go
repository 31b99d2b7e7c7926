package firestore_test

import (
	"context"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store/firestore"
)

// A log that finds its contact deleted after it read it (a purge dropped
// it, empty) puts the contact back while its email exists, and never once
// the email is gone: no stub of a purged address comes back.
func TestLogRestoresAContactAPurgeDropped(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	const contact = "kunde@kunde.example"
	e := discreet.Email{ID: "repair-1", MessageID: "<repair-1@acme.com>", Subject: "Angebot", From: "anna@acme.com",
		To: []string{contact}, Date: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Owner: "anna@acme.com", Team: "de",
		Visibility: discreet.VisibilityTeam, Contacts: []string{contact}, Source: discreet.SourceButton}
	if _, created, err := s.LogEmail(ctx, written(e)); err != nil || !created {
		t.Fatalf("LogEmail: %v, %v", created, err)
	}
	contactDoc := s.Client().Collection("contacts").Doc(contact)
	// The contact vanished under the email (the race's outcome); the log's
	// retry puts it back, owned as the email says.
	if _, err := contactDoc.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, created, err := s.LogEmail(ctx, written(e)); err != nil || created {
		t.Fatalf("LogEmail again: %v, %v", created, err)
	}
	c, err := s.Contact(ctx, contact)
	if err != nil || c.Owner != e.Owner || c.Team != e.Team {
		t.Fatalf("contact after the retry: %+v, %v", c, err)
	}
	// Purged: email and contact gone. Nothing brings the contact back.
	if err := s.DeleteEmail(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := contactDoc.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if err := firestore.EnsureContacts(s, e); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Contact(ctx, contact); discreet.ErrorCode(err) != discreet.ENotFound {
		t.Fatalf("contact of a purged email came back: %v", err)
	}
}
