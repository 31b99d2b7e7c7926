package storetest

import (
	"slices"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// RunProtection checks store.Protection: protected entries with their
// version, the listings a narrowing and a transfer page through, and
// SetEmailOwner with its audience keys.
func RunProtection(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("ProtectedEntries", func(t *testing.T) { testProtectedEntries(t, open(t)) })
	t.Run("MatchingAndOwnedListings", func(t *testing.T) { testOwnedListings(t, open(t)) })
	t.Run("SetEmailOwner", func(t *testing.T) { testSetEmailOwner(t, open(t)) })
}

func testProtectedEntries(t *testing.T, s store.Store) {
	ctx := t.Context()
	v0, err := s.ProtectedVersion(ctx)
	must(t, err, "ProtectedVersion")
	added, err := s.PutProtected(ctx, discreet.ProtectedEntry{Pattern: "@secret.example", Note: "board", AddedBy: "admin@corp.example", AddedAt: at(1)})
	must(t, err, "PutProtected")
	if !added {
		t.Fatal("PutProtected of a new pattern: added = false")
	}
	v1, _ := s.ProtectedVersion(ctx)
	if v1 <= v0 {
		t.Fatalf("version %d after adding, %d before: it must move", v1, v0)
	}
	added, err = s.PutProtected(ctx, discreet.ProtectedEntry{Pattern: "@secret.example", Note: "board and HR", AddedAt: at(2)})
	must(t, err, "PutProtected again")
	if added {
		t.Fatal("PutProtected of a known pattern: added = true")
	}
	must2(t, s, "ceo@bank.example")
	list, v, err := s.Protected(ctx)
	must(t, err, "Protected")
	if len(list) != 2 || list[0].Pattern != "@secret.example" || list[1].Pattern != "ceo@bank.example" {
		t.Fatalf("Protected = %+v, want two entries by pattern", list)
	}
	if list[0].Note != "board and HR" || !list[0].AddedAt.Equal(at(2)) {
		t.Fatalf("the replaced entry: %+v", list[0])
	}
	if cur, _ := s.ProtectedVersion(ctx); v != cur || v <= v1 {
		t.Fatalf("Protected's version %d, ProtectedVersion %d, after %d", v, cur, v1)
	}
	old, err := s.DeleteProtected(ctx, "ceo@bank.example")
	must(t, err, "DeleteProtected")
	if old.Pattern != "ceo@bank.example" {
		t.Fatalf("DeleteProtected returned %+v", old)
	}
	if v2, _ := s.ProtectedVersion(ctx); v2 <= v {
		t.Fatalf("version %d after removing, %d before", v2, v)
	}
	// The Never Log version document carries it, and a Never Log edit,
	// which rewrites that document, keeps it: a decision reads one
	// document for every list.
	must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{{ID: "protection-nl-1", Pattern: "@protection.example", AddedAt: at(4)}}), "AddNeverLog")
	pv, _ := s.ProtectedVersion(ctx)
	if ch, err := s.NeverLogVersion(ctx); err != nil || ch.Protected != pv {
		t.Fatalf("NeverLogVersion carries protection version %d (%v), ProtectedVersion says %d", ch.Protected, err, pv)
	}
	_, err = s.DeleteProtected(ctx, "ceo@bank.example")
	wantCode(t, err, discreet.ENotFound, "DeleteProtected of an absent entry")
	if list, _, _ := s.Protected(ctx); len(list) != 1 {
		t.Fatalf("after removing: %+v", list)
	}
}

func must2(t *testing.T, s store.Store, pattern string) {
	t.Helper()
	if _, err := s.PutProtected(t.Context(), discreet.ProtectedEntry{Pattern: pattern, AddedAt: at(3)}); err != nil {
		t.Fatal(err)
	}
}

// page walks a listing to its end, limit at a time.
func page(t *testing.T, list func(after string, limit int) ([]string, error), limit int) []string {
	t.Helper()
	var all []string
	after := ""
	for range 100 {
		got, err := list(after, limit)
		must(t, err, "listing")
		all = append(all, got...)
		if len(got) < limit {
			return all
		}
		after = got[len(got)-1]
	}
	t.Fatal("the listing does not end")
	return nil
}

func testOwnedListings(t *testing.T, s store.Store) {
	ctx := t.Context()
	var annas, secrets []string
	for i := range 7 {
		owner := "anna@corp.example"
		contact := []string{"c" + string(rune('a'+i)) + "@client.example"}
		if i%2 == 1 {
			owner = "beat@corp.example"
		}
		if i%3 == 0 {
			contact = append(contact, "x@eu.secret.example")
		}
		e := logEmail(t, s, email("own-"+string(rune('a'+i)), owner, "de", discreet.VisibilityPublic, at(i), contact))
		if owner == "anna@corp.example" {
			annas = append(annas, e.ID)
		}
		if i%3 == 0 {
			secrets = append(secrets, e.ID)
		}
	}
	slices.Sort(annas)
	slices.Sort(secrets)
	got := page(t, func(after string, limit int) ([]string, error) {
		return s.OwnedEmails(ctx, "anna@corp.example", after, limit)
	}, 2)
	slices.Sort(got)
	if !slices.Equal(got, annas) {
		t.Fatalf("OwnedEmails = %v, want %v", got, annas)
	}
	got = page(t, func(after string, limit int) ([]string, error) {
		return s.MatchingEmailIDs(ctx, store.Match{Domain: "secret.example"}, after, limit)
	}, 2)
	slices.Sort(got)
	if !slices.Equal(got, secrets) {
		t.Fatalf("MatchingEmailIDs = %v, want %v", got, secrets)
	}
	cs := page(t, func(after string, limit int) ([]string, error) {
		return s.OwnedContacts(ctx, "beat@corp.example", after, limit)
	}, 2)
	slices.Sort(cs)
	if want := []string{"cb@client.example", "cd@client.example", "cf@client.example"}; !slices.Equal(cs, want) {
		t.Fatalf("OwnedContacts(beat) = %v, want %v", cs, want)
	}
	if _, err := s.OwnedEmails(ctx, "anna@corp.example", "", 0); err == nil {
		t.Fatal("limit 0 accepted")
	}
}

func testSetEmailOwner(t *testing.T, s store.Store) {
	ctx := t.Context()
	const contact = "kunde@bank.example"
	// Beat's private email with Carla on it as a colleague.
	e := logEmail(t, s, email("transfer-1", "beat@corp.example", "ch", discreet.VisibilityPrivate, at(1), []string{contact}, "carla@corp.example"))
	sees := func(who string) bool {
		t.Helper()
		v := discreet.User{Email: who, Role: discreet.RoleRep}
		p, err := s.Timeline(ctx, store.TimelineQuery{Contact: contact, Keys: policy.ViewerAudience(v, discreet.DefaultOrgSettings(), discreet.AccessStub), Limit: 10})
		must(t, err, "Timeline")
		return len(p.Entries) == 1 && p.Entries[0].Visible
	}
	if !sees("beat@corp.example") || sees("dora@corp.example") || !sees("carla@corp.example") {
		t.Fatal("before: the owner and the colleague on it see it, nobody else")
	}
	got, err := s.SetEmailOwner(ctx, e.ID, "dora@corp.example", policy.EmailAudience)
	must(t, err, "SetEmailOwner")
	if got.Owner != "dora@corp.example" || got.Visibility != discreet.VisibilityPrivate || got.Team != "ch" {
		t.Fatalf("SetEmailOwner returned %+v: owner moves, visibility and team stay", got)
	}
	stored, err := s.Email(ctx, e.ID)
	must(t, err, "Email")
	if stored.Owner != "dora@corp.example" || stored.Visibility != discreet.VisibilityPrivate {
		t.Fatalf("stored: %+v", stored)
	}
	if sees("beat@corp.example") || !sees("dora@corp.example") || !sees("carla@corp.example") {
		t.Fatal("after: the custodian and the colleague see it, the former owner (not on it) does not")
	}
	p, err := s.Timeline(ctx, store.TimelineQuery{Contact: contact, All: true, Limit: 10})
	must(t, err, "Timeline all")
	if len(p.Entries) != 1 || p.Entries[0].Owner != "dora@corp.example" {
		t.Fatalf("the timeline entry's owner: %+v", p.Entries)
	}
	// Again: nothing changes.
	if again, err := s.SetEmailOwner(ctx, e.ID, "dora@corp.example", policy.EmailAudience); err != nil || again.Owner != "dora@corp.example" {
		t.Fatalf("SetEmailOwner again = %+v, %v", again, err)
	}
	if ids, _ := s.OwnedEmails(ctx, "beat@corp.example", "", 10); len(ids) != 0 {
		t.Fatalf("the former owner still owns %v", ids)
	}
	_, err = s.SetEmailOwner(ctx, "no-such-email", "dora@corp.example", policy.EmailAudience)
	wantCode(t, err, discreet.ENotFound, "SetEmailOwner of an absent email")
	_, err = s.SetEmailOwner(ctx, e.ID, "erin@corp.example", nil)
	wantCode(t, err, discreet.EInvalid, "SetEmailOwner without audience")
}
