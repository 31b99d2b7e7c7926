package storetest

import (
	"slices"
	"sync"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// RunGovernance checks store.Governance: what erasure of a person needs.
func RunGovernance(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("TombstoneOnce", func(t *testing.T) { testTombstoneOnce(t, open(t)) })
	t.Run("TombstoneConcurrent", func(t *testing.T) { testTombstoneConcurrent(t, open(t)) })
	t.Run("EraseContactIntentsAudit", func(t *testing.T) { testEraseContactIntentsAudit(t, open(t)) })
}

// testTombstoneOnce: putting a tombstone twice leaves one and moves the
// version once; the version never goes back.
func testTombstoneOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	v0, err := s.TombstoneVersion(ctx)
	must(t, err, "TombstoneVersion")
	ts := discreet.Tombstone{Hash: "ab12", Kind: discreet.TombstoneAddress, ErasedBy: "admin@corp.example", ErasedAt: at(1)}
	added, err := s.PutTombstone(ctx, ts)
	must(t, err, "PutTombstone")
	if !added {
		t.Fatal("PutTombstone of a new hash: added = false")
	}
	v1, err := s.TombstoneVersion(ctx)
	must(t, err, "TombstoneVersion")
	if v1 <= v0 {
		t.Fatalf("version %d after adding, %d before: it must move", v1, v0)
	}
	again := ts
	again.ErasedAt = at(2)
	if added, err := s.PutTombstone(ctx, again); err != nil || added {
		t.Fatalf("PutTombstone again = %v, %v: want false, nil", added, err)
	}
	if v, _ := s.TombstoneVersion(ctx); v != v1 {
		t.Fatalf("version %d after putting a known hash, want %d", v, v1)
	}
	if _, err := s.PutTombstone(ctx, discreet.Tombstone{Hash: "cd34", Kind: discreet.TombstoneDomain, ErasedAt: at(3)}); err != nil {
		t.Fatal(err)
	}
	// The Never Log version carries the tombstone version, and a Never Log
	// edit (which rewrites its document) keeps it.
	wantInNeverLog := func(when string) {
		t.Helper()
		tv, err := s.TombstoneVersion(ctx)
		must(t, err, "TombstoneVersion")
		ch, err := s.NeverLogVersion(ctx)
		must(t, err, "NeverLogVersion")
		if ch.Tombstones != tv {
			t.Fatalf("%s: NeverLogVersion carries tombstone version %d, TombstoneVersion says %d", when, ch.Tombstones, tv)
		}
	}
	wantInNeverLog("after two tombstones")
	must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{{ID: "tomb-nl-1", Pattern: "@tomb.example", AddedAt: at(4)}}), "AddNeverLog")
	wantInNeverLog("after a Never Log add")
	_, err = s.DeleteNeverLog(ctx, "", "tomb-nl-1")
	must(t, err, "DeleteNeverLog")
	wantInNeverLog("after a Never Log removal")

	list, v, err := s.Tombstones(ctx)
	must(t, err, "Tombstones")
	if v < v1+1 {
		t.Fatalf("Tombstones version %d, want at least %d", v, v1+1)
	}
	if len(list) != 2 || list[0].Hash != "ab12" || list[1].Hash != "cd34" {
		t.Fatalf("Tombstones = %+v, want ab12 then cd34", list)
	}
	if list[0].Kind != discreet.TombstoneAddress || list[0].ErasedBy != "admin@corp.example" || !list[0].ErasedAt.Equal(at(1)) {
		t.Fatalf("first tombstone = %+v: the first put is kept", list[0])
	}
	if list[1].Kind != discreet.TombstoneDomain {
		t.Fatalf("second tombstone kind %q, want domain", list[1].Kind)
	}
	wantCode(t, func() error { _, err := s.PutTombstone(ctx, discreet.Tombstone{}); return err }(), discreet.EInvalid, "PutTombstone without a hash")
}

// testTombstoneConcurrent: instances erasing one subject at once store one
// tombstone, and exactly one of them added it.
func testTombstoneConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 8
	added := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			added[i], errs[i] = s.PutTombstone(ctx, discreet.Tombstone{Hash: "ef56", Kind: discreet.TombstoneAddress, ErasedAt: at(1)})
		})
	}
	wg.Wait()
	count := 0
	for i := range n {
		must(t, errs[i], "PutTombstone")
		if added[i] {
			count++
		}
	}
	list, _, err := s.Tombstones(ctx)
	must(t, err, "Tombstones")
	if count != 1 || len(list) != 1 {
		t.Fatalf("%d calls added, %d tombstones: want 1 and 1", count, len(list))
	}
}

// testEraseContactIntentsAudit: the scans see every contact and intent,
// paged, and the deletions leave nothing of what they name.
func testEraseContactIntentsAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	e := email("erase1", "rep@corp.example", "t1", discreet.VisibilityPublic, at(10), []string{"lisa@acme.example", "bob@other.example"})
	logEmail(t, s, e)
	// Unlogging leaves the contacts behind with no email: exactly what an
	// erasure must still find.
	must(t, s.DeleteEmail(ctx, e.ID), "DeleteEmail")
	var all []string
	after := ""
	for {
		page, err := s.ContactAddresses(ctx, after, 1)
		must(t, err, "ContactAddresses")
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1]
	}
	if !slices.Equal(all, []string{"bob@other.example", "lisa@acme.example"}) {
		t.Fatalf("ContactAddresses paged = %v", all)
	}
	must(t, s.EraseContact(ctx, "lisa@acme.example"), "EraseContact")
	must(t, s.EraseContact(ctx, "lisa@acme.example"), "EraseContact again")
	wantCode(t, func() error { _, err := s.Contact(ctx, "lisa@acme.example"); return err }(), discreet.ENotFound, "Contact after EraseContact")
	if _, err := s.Contact(ctx, "bob@other.example"); err != nil {
		t.Fatalf("the other contact: %v", err)
	}

	for i, id := range []string{"i1", "i2", "i3"} {
		must(t, s.PutIntent(ctx, discreet.Intent{ID: id, User: "rep@corp.example", Recipients: []string{"lisa@acme.example"},
			Log: true, Visibility: discreet.VisibilityPublic, CreatedAt: at(i), ExpiresAt: at(60)}), "PutIntent")
	}
	if _, err := s.ConsumeIntent(ctx, "rep@corp.example", []string{"lisa@acme.example"}, "", at(5)); err != nil {
		t.Fatal(err)
	}
	var got []string
	after = ""
	for {
		page, err := s.Intents(ctx, after, 2)
		must(t, err, "Intents")
		if len(page) == 0 {
			break
		}
		for _, in := range page {
			got = append(got, in.ID)
			if !slices.Equal(in.Recipients, []string{"lisa@acme.example"}) {
				t.Fatalf("intent %s recipients %v", in.ID, in.Recipients)
			}
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, []string{"i1", "i2", "i3"}) {
		t.Fatalf("Intents paged = %v, want consumed ones too", got)
	}
	must(t, s.DeleteIntents(ctx, []string{"i1", "i3", "absent"}), "DeleteIntents")
	left, err := s.Intents(ctx, "", 10)
	must(t, err, "Intents")
	if len(left) != 1 || left[0].ID != "i2" {
		t.Fatalf("after DeleteIntents: %+v, want i2 only", left)
	}

	for i, id := range []string{"a1", "a2"} {
		must(t, s.AppendAudit(ctx, discreet.AuditRecord{ID: id, At: at(i), Actor: "admin@corp.example", Action: discreet.AuditOwner, Target: "lisa@acme.example"}), "AppendAudit")
	}
	must(t, s.DeleteAudit(ctx, []string{"a1", "absent"}), "DeleteAudit")
	recs, _, err := s.Audit(ctx, store.AuditQuery{Limit: 10})
	must(t, err, "Audit")
	var rids []string
	for _, r := range recs {
		rids = append(rids, r.ID)
	}
	if slices.Contains(rids, "a1") || !slices.Contains(rids, "a2") {
		t.Fatalf("audit after DeleteAudit(a1) = %v", rids)
	}
}
