package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

func changesOf(c store.NeverLogChanges) []string {
	var out []string
	for _, ch := range c.Changes {
		op := "+"
		if ch.Removed {
			op = "-"
		}
		out = append(out, fmt.Sprintf("%d%s%s %s", ch.Version, op, ch.ID, ch.Pattern))
	}
	return out
}

// The org version document records recent changes, bounded, whole
// versions at a time, so an instance slightly behind catches up from it.
func testNeverLogChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	c, err := s.NeverLogVersion(ctx)
	must(t, err, "NeverLogVersion")
	if c.Version != 0 || c.Since != 0 || len(c.Changes) != 0 {
		t.Fatalf("a new store's changes: %+v", c)
	}
	must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("a1", "", "@a.example"), nl("a2", "", "b@b.example")}), "AddNeverLog")
	_, err = s.DeleteNeverLog(ctx, "", "a1")
	must(t, err, "DeleteNeverLog")
	c, err = s.NeverLogVersion(ctx)
	must(t, err, "NeverLogVersion")
	want := []string{"1+a1 @a.example", "1+a2 b@b.example", "2-a1 @a.example"}
	if c.Version != 2 || c.Since != 0 || !reflect.DeepEqual(changesOf(c), want) {
		t.Fatalf("changes = %d since %d %v, want 2 since 0 %v", c.Version, c.Since, changesOf(c), want)
	}

	// Failed writes record nothing; neither do personal ones.
	wantCode(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("a3", "", "c@c.example"), nl("a4", "", "b@b.example")}), discreet.EConflict, "AddNeverLog conflict")
	must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("p1", "anna@acme.com", "@p.example")}), "AddNeverLog personal")
	_, err = s.DeleteNeverLog(ctx, "anna@acme.com", "p1")
	must(t, err, "DeleteNeverLog personal")
	if again, _ := s.NeverLogVersion(ctx); !reflect.DeepEqual(again, c) {
		t.Fatalf("a failed or personal write changed the org changes: %+v → %+v", c, again)
	}
	wantCode(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("m1", "", "@m.example"), nl("m2", "anna@acme.com", "@m.example")}), discreet.EInvalid, "AddNeverLog to two lists at once")

	// Filling past the bound drops the oldest versions whole.
	for i := range store.NeverLogRecent / 2 {
		must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{
			nl(fmt.Sprintf("f%03da", i), "", fmt.Sprintf("@fa%03d.example", i)),
			nl(fmt.Sprintf("f%03db", i), "", fmt.Sprintf("@fb%03d.example", i)),
		}), "AddNeverLog pair")
	}
	c, err = s.NeverLogVersion(ctx)
	must(t, err, "NeverLogVersion")
	last := int64(2 + store.NeverLogRecent/2)
	if c.Version != last || len(c.Changes) > store.NeverLogRecent || c.Since < 2 {
		t.Fatalf("after %d more versions: version %d since %d, %d changes", store.NeverLogRecent/2, c.Version, c.Since, len(c.Changes))
	}
	for v := c.Since + 1; v <= c.Version; v++ {
		n := 0
		for _, ch := range c.Changes {
			if ch.Version == v {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("version %d has %d recorded changes, want its 2 (since %d)", v, n, c.Since)
		}
	}
	for _, ch := range c.Changes {
		if ch.Version <= c.Since {
			t.Fatalf("a change of version %d is kept although since is %d", ch.Version, c.Since)
		}
	}

	// A change too large to record leaves an instance at the version before
	// nothing to catch up from (an adapter may split it into versions).
	before := c.Version
	big := make([]discreet.NeverLogEntry, store.NeverLogRecent+1)
	for i := range big {
		big[i] = nl(fmt.Sprintf("big%04d", i), "", fmt.Sprintf("@big%04d.example", i))
	}
	must(t, s.AddNeverLog(ctx, big), "AddNeverLog large")
	c, err = s.NeverLogVersion(ctx)
	must(t, err, "NeverLogVersion")
	if c.Since <= before || c.Version <= before || len(c.Changes) > store.NeverLogRecent {
		t.Fatalf("after a change of %d entries at version %d: version %d since %d with %d changes, want since past %d", len(big), before, c.Version, c.Since, len(c.Changes), before)
	}
	list, v, err := s.NeverLog(ctx, "")
	must(t, err, "NeverLog")
	if v != c.Version || len(list) != 1+store.NeverLogRecent+len(big) {
		t.Fatalf("NeverLog: %d entries at version %d, want %d at %d", len(list), v, 1+store.NeverLogRecent+len(big), c.Version)
	}
}

// A personal list's version lives with the user's settings: it moves with
// the list and survives PutUserSettings.
func testNeverLogPersonalVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	const anna = "anna@acme.com"
	us, err := s.UserSettings(ctx, anna)
	must(t, err, "UserSettings")
	if us.NeverLogVersion != 0 {
		t.Fatalf("version %d before any list", us.NeverLogVersion)
	}
	must(t, s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl("p1", anna, "@p.example")}), "AddNeverLog")
	us, _ = s.UserSettings(ctx, anna)
	v1 := us.NeverLogVersion
	if v1 == 0 {
		t.Fatal("the personal version did not move on add")
	}
	if us.DefaultLog != nil || us.DefaultVisibility != "" {
		t.Fatalf("a list change invented settings: %+v", us)
	}
	off := false
	must(t, s.PutUserSettings(ctx, anna, discreet.UserSettings{DefaultLog: &off, DefaultVisibility: discreet.VisibilityTeam}), "PutUserSettings")
	us, _ = s.UserSettings(ctx, anna)
	if us.NeverLogVersion != v1 || us.DefaultLog == nil || *us.DefaultLog || us.DefaultVisibility != discreet.VisibilityTeam {
		t.Fatalf("after PutUserSettings: %+v, want the settings and version %d", us, v1)
	}
	_, err = s.DeleteNeverLog(ctx, anna, "p1")
	must(t, err, "DeleteNeverLog")
	us, _ = s.UserSettings(ctx, anna)
	if us.NeverLogVersion <= v1 || us.DefaultVisibility != discreet.VisibilityTeam {
		t.Fatalf("after a personal delete: %+v, want the version past %d and the settings kept", us, v1)
	}
	_, pv, err := s.NeverLog(ctx, anna)
	must(t, err, "NeverLog")
	if pv != us.NeverLogVersion {
		t.Fatalf("NeverLog says version %d, the settings %d", pv, us.NeverLogVersion)
	}
	if other, _ := s.UserSettings(ctx, "beat@acme.com"); other.NeverLogVersion != 0 {
		t.Fatalf("another user's version moved: %d", other.NeverLogVersion)
	}
}

// NeverLog reads entries and version at one moment: while adds commit
// (one entry and one version each), every read sees as many entries as its
// version says.
func testNeverLogConsistentRead(t *testing.T, s store.Store) {
	ctx := t.Context()
	const adds = 30
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range adds {
			if err := s.AddNeverLog(ctx, []discreet.NeverLogEntry{nl(fmt.Sprintf("c%02d", i), "", fmt.Sprintf("@c%02d.example", i))}); err != nil {
				t.Errorf("AddNeverLog %d: %v", i, err)
				return
			}
		}
	})
	for range adds {
		list, v, err := s.NeverLog(ctx, "")
		if err != nil {
			t.Errorf("NeverLog: %v", err)
			break
		}
		if int64(len(list)) != v {
			t.Errorf("NeverLog read %d entries at version %d", len(list), v)
		}
	}
	wg.Wait()
}
