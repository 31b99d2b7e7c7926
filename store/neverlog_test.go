package store_test

import (
	"fmt"
	"testing"

	"github.com/discreet-crm/discreet/store"
)

func TestNeverLogChangesCovers(t *testing.T) {
	var c store.NeverLogChanges
	for i := range 5 { // versions 1..5, one change each
		c = store.AppendNeverLogChanges(c, []store.NeverLogChange{{ID: fmt.Sprint(i), Pattern: fmt.Sprintf("@%d.example", i)}})
	}
	for v, want := range map[int64]bool{0: true, 3: true, 5: true, 6: false, -1: false} {
		if got := c.Covers(v); got != want {
			t.Errorf("Covers(%d) = %v, want %v", v, got, want)
		}
	}
	// A version bumped without recording its changes (an older release)
	// breaks the record from there on.
	c.Version++
	if c.Covers(4) || c.Covers(5) {
		t.Error("Covers across a version without recorded changes")
	}
	if !c.Covers(6) {
		t.Error("Covers(the current version) = false")
	}
	c = store.AppendNeverLogChanges(c, []store.NeverLogChange{{ID: "x", Pattern: "@x.example"}})
	if c.Covers(5) || !c.Covers(6) {
		t.Errorf("after one more version: Covers(5) = %v, Covers(6) = %v", c.Covers(5), c.Covers(6))
	}

	// Trimming drops whole versions, oldest first.
	big := make([]store.NeverLogChange, store.NeverLogRecent-1)
	c = store.AppendNeverLogChanges(c, big)
	if len(c.Changes) > store.NeverLogRecent || c.Since != 5 || c.Covers(4) || c.Covers(5) || !c.Covers(6) {
		t.Errorf("after a large version: since %d, %d changes, Covers(4, 5, 6) %v %v %v", c.Since, len(c.Changes), c.Covers(4), c.Covers(5), c.Covers(6))
	}
	c = store.AppendNeverLogChanges(c, make([]store.NeverLogChange, store.NeverLogRecent+1))
	if c.Since != c.Version || len(c.Changes) != 0 || !c.Covers(c.Version) || c.Covers(c.Version-1) {
		t.Errorf("after a version too large to record: %+v", c)
	}
}
