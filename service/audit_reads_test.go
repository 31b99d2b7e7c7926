package service_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// Two instances on one store write one read audit per viewer, email, day
// and way of reading, however often and wherever the viewer reads; the
// next day's read is recorded again. (The in-process memory of each
// instance only spares the store a refused create.)
func TestReadAuditOncePerDayAcrossInstances(t *testing.T) {
	ctx := context.Background()
	s := newScenario(t)
	other := service.New(service.Config{Store: s.store, Now: s.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	instances := []*service.Service{s.svc, other}
	records := func() map[string]int {
		p, _, err := s.store.Audit(ctx, store.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, r := range p {
			if r.Action == discreet.AuditRead && r.Actor == s.carla.Email && r.EmailID == s.team {
				n[r.Detail["via"]]++
			}
		}
		return n
	}
	read := func() {
		var wg sync.WaitGroup
		for range 5 {
			for _, svc := range instances {
				wg.Go(func() {
					if _, err := svc.Email(ctx, s.carla, s.team); err != nil {
						t.Error(err)
					}
					if _, err := svc.Timeline(ctx, s.carla, kunde, 0, ""); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
	}
	read()
	if got := records(); got["email"] != 1 || got["timeline"] != 1 {
		t.Fatalf("after 10 reads on two instances: %v, want one email and one timeline record", got)
	}
	s.clock.Add(24 * time.Hour)
	read()
	if got := records(); got["email"] != 2 || got["timeline"] != 2 {
		t.Fatalf("after the next day's reads: %v, want two of each", got)
	}
	// The owner's reads are never audited.
	if _, err := other.Email(ctx, s.beat, s.team); err != nil {
		t.Fatal(err)
	}
	p, _, err := s.store.Audit(ctx, store.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p {
		if r.Action == discreet.AuditRead && r.Actor == s.beat.Email {
			t.Fatalf("the owner's read was audited: %+v", r)
		}
	}
}
