package storetest

import (
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// RunLegacyIDs checks store.LegacyIDs: an email written with a keyed id
// never makes a store say it may hold legacy ids; one written without
// (a legacy id, as a test or an older release writes it) always does,
// before the write is acknowledged.
func RunLegacyIDs(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("KeyedWritesKeepTheAnswer", func(t *testing.T) { testKeyedWritesKeepTheAnswer(t, open(t)) })
	t.Run("UnkeyedWriteMayHoldLegacy", func(t *testing.T) { testUnkeyedWriteMayHoldLegacy(t, open(t)) })
}

func mayHoldLegacy(t *testing.T, s store.Store, what string) bool {
	t.Helper()
	may, err := s.MayHoldLegacyIDs(t.Context())
	must(t, err, "MayHoldLegacyIDs "+what)
	return may
}

func keyedEmail(t *testing.T, s store.Store, msgID string) store.EmailWrite {
	t.Helper()
	key, err := s.EmailIDKey(t.Context())
	must(t, err, "EmailIDKey")
	e := email(msgID, "anna@acme.com", "de", discreet.VisibilityTeam, at(0), []string{"kunde@zurich-bank.example"})
	e.ID = policy.EmailID(key, policy.IdentityKey(e.MessageID, "", policy.Content{Subject: e.Subject}.Fingerprint()))
	w := written(e)
	w.KeyedID = true
	return w
}

func testKeyedWritesKeepTheAnswer(t *testing.T, s store.Store) {
	before := mayHoldLegacy(t, s, "before")
	for _, id := range []string{"keyed-1", "keyed-2"} {
		w := keyedEmail(t, s, id)
		if _, created, err := s.LogEmail(t.Context(), w); err != nil || !created {
			t.Fatalf("LogEmail %s: created %v, %v", id, created, err)
		}
		if got := mayHoldLegacy(t, s, "after a keyed write"); got != before {
			t.Fatalf("MayHoldLegacyIDs went from %v to %v on a write with a keyed id", before, got)
		}
	}
}

func testUnkeyedWriteMayHoldLegacy(t *testing.T, s store.Store) {
	w := keyedEmail(t, s, "keyed-first")
	if _, _, err := s.LogEmail(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	old := email("legacy", "beat@acme.com", "ch", discreet.VisibilityPrivate, at(1), []string{"kunde@zurich-bank.example"})
	logEmail(t, s, old) // its id is policy.LegacyEmailID, KeyedID unset
	if !mayHoldLegacy(t, s, "after a legacy write") {
		t.Fatal("MayHoldLegacyIDs = false once an email was written under a legacy id")
	}
	// Writing it again creates nothing and changes nothing.
	if _, created, err := s.LogEmail(t.Context(), written(old)); err != nil || created {
		t.Fatalf("LogEmail again: created %v, %v", created, err)
	}
	if !mayHoldLegacy(t, s, "after a repeated write") {
		t.Fatal("MayHoldLegacyIDs = false after the legacy email was written again")
	}
}
