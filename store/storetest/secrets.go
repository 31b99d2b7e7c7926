package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// RunSecrets checks store.Secrets, and that emails stored under the legacy
// identity stay readable next to the new one.
func RunSecrets(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("EmailIDKeyOnce", func(t *testing.T) { testEmailIDKeyOnce(t, open(t)) })
	t.Run("EmailIDKeyConcurrent", func(t *testing.T) { testEmailIDKeyConcurrent(t, open(t)) })
	t.Run("LegacyAndNewIDs", func(t *testing.T) { testLegacyAndNewIDs(t, open(t)) })
}

func testEmailIDKeyOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	k1, err := s.EmailIDKey(ctx)
	must(t, err, "EmailIDKey")
	if len(k1) != store.EmailIDKeySize || bytes.Equal(k1, make([]byte, store.EmailIDKeySize)) {
		t.Fatalf("EmailIDKey = %x: want %d random bytes", k1, store.EmailIDKeySize)
	}
	k2, err := s.EmailIDKey(ctx)
	must(t, err, "EmailIDKey again")
	if !bytes.Equal(k1, k2) {
		t.Fatalf("EmailIDKey changed between calls: %x, then %x", k1, k2)
	}
}

// testEmailIDKeyConcurrent: first calls racing (as many instances starting
// at once do) all get the one key that was stored.
func testEmailIDKeyConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 20
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = s.EmailIDKey(ctx) })
	}
	wg.Wait()
	for i := range n {
		must(t, errs[i], fmt.Sprintf("EmailIDKey #%d", i))
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("concurrent first calls got different keys: #0 %x, #%d %x", keys[0], i, keys[i])
		}
	}
	again, err := s.EmailIDKey(ctx)
	must(t, err, "EmailIDKey after the race")
	if !bytes.Equal(again, keys[0]) {
		t.Fatalf("the stored key %x is not the one the racers got (%x)", again, keys[0])
	}
}

// testLegacyAndNewIDs: one Message-ID stored the old way (its hash alone)
// and, with other content, the new way (keyed hash of Message-ID and
// fingerprint): two emails, each found under its own id, on the timeline.
func testLegacyAndNewIDs(t *testing.T, s store.Store) {
	ctx := t.Context()
	key, err := s.EmailIDKey(ctx)
	must(t, err, "EmailIDKey")
	contacts := []string{"kunde@zurich-bank.example"}
	old := email("reused", "beat@acme.com", "ch", discreet.VisibilityPrivate, at(0), contacts)
	old.ID = policy.LegacyEmailID(old.MessageID, "")
	logEmail(t, s, old)

	forged := email("reused", "eve@acme.com", "de", discreet.VisibilityPublic, at(5), contacts)
	forged.Subject, forged.Body = "Wire the money", "to this account"
	content := policy.Content{From: []string{forged.From}, To: forged.To, Date: forged.Date, Subject: forged.Subject, BodyHash: "forged"}
	forged.ID = policy.EmailID(key, policy.IdentityKey(forged.MessageID, "", content.Fingerprint()))
	if forged.ID == old.ID {
		t.Fatal("the new id of a message equals the legacy id")
	}
	logEmail(t, s, forged)

	for _, want := range []discreet.Email{old, forged} {
		got, err := s.Email(ctx, want.ID)
		must(t, err, "Email "+want.ID)
		sameEmail(t, got, want, "email under its own id")
	}
	entries := readAll(t, s, store.TimelineQuery{Contact: contacts[0], Keys: allKeys, Limit: 10})
	sameIDs(t, ids(entries), []string{forged.ID, old.ID}, "timeline with a legacy and a new email of one Message-ID")
}
