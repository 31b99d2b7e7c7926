// Package servicetest holds what tests of the service and of the stores
// under it share: a clock that moves only when told, and a driver that runs
// a job to its end as the job runner would.
package servicetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// Clock is a test clock that only moves when told; its Now is the
// service's (service.Config.Now).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// RunJob runs job id to its end as a driver would, moving clock over the
// waits the job asks for (a purge's second pass), and returns it as
// starter sees it.
func RunJob(t *testing.T, ctx context.Context, svc *service.Service, starter discreet.User, clock *Clock, id string) service.JobView {
	t.Helper()
	for range 1000 {
		run, err := svc.RunJob(ctx, id)
		if err != nil {
			t.Fatalf("RunJob: %v", err)
		}
		switch {
		case run.State != store.JobRunning:
			j, err := svc.Job(ctx, starter, id)
			if err != nil {
				t.Fatal(err)
			}
			return j
		case !run.Wait.IsZero():
			if d := run.Wait.Sub(clock.Now()); d > 0 {
				clock.Add(d)
			}
		case !run.More:
			t.Fatalf("RunJob: %+v: neither finished, nor waiting, nor more", run)
		}
	}
	t.Fatal("the job never finished")
	return service.JobView{}
}
