package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// Personal Never Log edits are one entry each: concurrent adds all land,
// saving the defaults leaves the list alone, a bad pattern or a duplicate
// is refused with a message, and every edit is audited.
func TestPersonalNeverLogEdits(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := s.svc.AddPersonalNeverLog(ctx, s.anna, fmt.Sprintf("p%d@private.example", i), "mine"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.svc.PutMyDefaults(ctx, s.anna, ptr(false), discreet.VisibilityPrivate); err != nil {
		t.Fatal(err)
	}
	mine, err := s.svc.MySettings(ctx, s.anna)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.NeverLog) != 20 || mine.DefaultLog == nil || *mine.DefaultLog || mine.DefaultVisibility != discreet.VisibilityPrivate {
		t.Fatalf("after 20 concurrent adds and a defaults save: %d entries, %+v", len(mine.NeverLog), mine)
	}
	wantCode(t, func() error { _, err := s.svc.AddPersonalNeverLog(ctx, s.anna, "P3@Private.example", ""); return err }(), discreet.EConflict, "")
	wantCode(t, func() error { _, err := s.svc.AddPersonalNeverLog(ctx, s.anna, "two@@x.example", ""); return err }(), discreet.EInvalid, "pattern")
	wantCode(t, s.svc.PutMyDefaults(ctx, s.anna, nil, "everyone"), discreet.EInvalid, "defaultVisibility")

	e, err := s.svc.RemovePersonalNeverLog(ctx, s.anna, mine.NeverLog[0].ID)
	if err != nil || e.Pattern != mine.NeverLog[0].Pattern {
		t.Fatalf("remove: %+v, %v", e, err)
	}
	wantCode(t, func() error { _, err := s.svc.RemovePersonalNeverLog(ctx, s.anna, e.ID); return err }(), discreet.ENotFound, "")
	// Beat cannot remove Anna's entry: it is not on his list.
	wantCode(t, func() error { _, err := s.svc.RemovePersonalNeverLog(ctx, s.beat, mine.NeverLog[1].ID); return err }(), discreet.ENotFound, "")

	recs, _, err := s.store.Audit(ctx, store.AuditQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	adds, removes := 0, 0
	for _, r := range recs {
		if r.Actor == s.anna.Email && r.Detail["list"] == "personal" {
			switch r.Action {
			case discreet.AuditNeverLogAdd:
				adds++
			case discreet.AuditNeverLogRemove:
				removes++
			}
		}
	}
	if adds != 20 || removes != 1 {
		t.Errorf("audit: %d adds, %d removals; want 20 and 1", adds, removes)
	}
}
