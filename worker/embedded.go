// Package worker drives Discreet's long work (service jobs: purges, large
// imports) on one of two drivers, both calling service.RunJob for bounded
// slices and service.SweepJobs to find jobs nobody runs:
//
//   - Embedded runs jobs in this process, on goroutines: the embedded
//     SQLite store and `go run ./cmd/discreet`, or any server that keeps
//     its CPU between requests.
//   - PubSub is request-driven, for App Engine standard (which throttles
//     goroutines between requests): "run job X" is published to a Pub/Sub
//     topic whose push subscription delivers it to POST /v1/jobs:run; the
//     handler runs one slice and publishes again while work is left. App
//     Engine cron calls /v1/jobs:sweep every minute, which publishes the
//     jobs whose wait is over or whose instance died (lease ran out).
//
// A job is stored with its checkpoint and lease (store.Job), so either
// driver may lose or repeat a delivery: a lost one is found by the next
// sweep, a repeated one finds the job held or finished.
package worker

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
)

// Embedded runs jobs on goroutines of this process. Enqueue before Start
// is kept and run once started.
type Embedded struct {
	workers    int
	sweepEvery time.Duration
	log        *slog.Logger
	sweepAuth  sweepAuth

	mu      sync.Mutex
	pending map[string]time.Time // job → when to run it
	running map[string]bool
	wake    chan struct{}

	svc    atomic.Pointer[service.Service] // set by Start
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// EmbeddedConfig configures Embedded; zero values mean the defaults.
type EmbeddedConfig struct {
	// Workers is how many jobs run at once (default 2).
	Workers int
	// SweepEvery is how often due jobs are looked for in the store: jobs
	// another instance left (its lease ran out), and jobs of this one
	// lost in a restart. Default 15 s.
	SweepEvery time.Duration
	Logger     *slog.Logger

	// Verifier and Audiences (the REST API's) admit admins to RouteSweep,
	// and TrustCronHeader App Engine cron ("X-Appengine-Cron: true"; only
	// App Engine strips it from outside requests).
	Verifier        auth.Verifier
	Audiences       []string
	TrustCronHeader bool
}

// NewEmbedded returns an embedded driver; pass it as service.Config.Jobs,
// then Start it with the service.
func NewEmbedded(cfg EmbeddedConfig) *Embedded {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Embedded{workers: cfg.Workers, sweepEvery: cfg.SweepEvery, log: cfg.Logger,
		sweepAuth: sweepAuth{verifier: cfg.Verifier, audiences: cfg.Audiences, trustCron: cfg.TrustCronHeader},
		pending:   map[string]time.Time{}, running: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// Enqueue schedules job id to run at or after at.
func (e *Embedded) Enqueue(_ context.Context, id string, at time.Time) error {
	e.mu.Lock()
	if cur, ok := e.pending[id]; !ok || at.Before(cur) {
		e.pending[id] = at
	}
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
	return nil
}

// Start runs the workers and the sweep until ctx ends or Stop is called.
// It sweeps at once, so jobs a previous process left are resumed (after
// their lease).
func (e *Embedded) Start(ctx context.Context, svc *service.Service) {
	ctx, e.cancel = context.WithCancel(ctx)
	e.svc.Store(svc)
	for range e.workers {
		e.wg.Go(func() { e.work(ctx) })
	}
	e.wg.Go(func() {
		t := time.NewTicker(e.sweepEvery)
		defer t.Stop()
		var retention retentionDaily
		for {
			if _, err := svc.SweepJobs(ctx, discreet.User{Email: service.SystemActor}); err != nil && ctx.Err() == nil {
				e.log.WarnContext(ctx, "cannot look for due jobs", "err", err)
			}
			retention.tick(ctx, svc, time.Now(), e) // retention.go
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// Routes are POST RouteSweep (an admin asks for due jobs to be looked for
// at once) and GET RouteSweep for App Engine cron, for
// gateway.Config.Routes; before Start they answer 503.
func (e *Embedded) Routes() []gateway.Route {
	return append(sweepRoutes(e.sweepAuth, e.svc.Load), retentionRoutes(e.sweepAuth, e.svc.Load)...)
}

// Stop ends the workers once their slices are done (a slice is bounded)
// and waits for them.
func (e *Embedded) Stop() {
	if e.cancel != nil {
		e.cancel()
	}
	e.wg.Wait()
}

// next takes the job due first, or says how long to sleep.
func (e *Embedded) next(now time.Time) (string, time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	best, sleep := "", e.sweepEvery
	var bestAt time.Time
	for id, at := range e.pending {
		if e.running[id] {
			continue
		}
		if !at.After(now) && (best == "" || at.Before(bestAt)) {
			best, bestAt = id, at
		}
		if d := at.Sub(now); d > 0 && d < sleep {
			sleep = d
		}
	}
	if best != "" {
		delete(e.pending, best)
		e.running[best] = true
	}
	return best, sleep
}

func (e *Embedded) work(ctx context.Context) {
	for ctx.Err() == nil {
		id, sleep := e.next(time.Now())
		if id == "" {
			t := time.NewTimer(sleep)
			select {
			case <-ctx.Done():
			case <-e.wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		e.run(ctx, id)
		e.mu.Lock()
		delete(e.running, id)
		e.mu.Unlock()
		select { // pending work of this job may wait on it
		case e.wake <- struct{}{}:
		default:
		}
	}
}

// run runs slices of one job until it is finished, waits, or is held.
func (e *Embedded) run(ctx context.Context, id string) {
	for ctx.Err() == nil {
		r, err := e.svc.Load().RunJob(ctx, id)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				e.log.WarnContext(ctx, "a job slice failed; trying again later", "job", id, "err", err)
				_ = e.Enqueue(ctx, id, time.Now().Add(5*time.Second))
			}
			return
		case r.More:
			continue
		case !r.Wait.IsZero():
			_ = e.Enqueue(ctx, id, r.Wait)
		}
		return
	}
}
