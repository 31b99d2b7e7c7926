package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/worker"
)

// jobDriver is the configured job driver (worker.Embedded or
// worker.PubSub) at the points main needs it. The service is made with
// the driver's queue, and the PubSub driver with the ID-token verifier
// made after the service, so the queue forwards once the driver exists.
type jobDriver struct {
	env      worker.Env
	log      *slog.Logger
	svc      *service.Service
	embedded *worker.Embedded
	client   *pubsub.Client
	pubsub   *worker.PubSub
}

func newJobDriver(ctx context.Context, env worker.Env, logger *slog.Logger) (*jobDriver, error) {
	d := &jobDriver{env: env, log: logger}
	if env.Driver != "pubsub" {
		// Twice per lease, so a job whose process died is taken over soon
		// after its lease ends.
		lease := env.Lease
		if lease <= 0 {
			lease = service.DefaultJobLease
		}
		d.embedded = worker.NewEmbedded(worker.EmbeddedConfig{Logger: logger, SweepEvery: lease / 2})
		return d, nil
	}
	client, err := pubsub.NewClient(ctx, worker.ProjectOf(env.Topic))
	if err != nil {
		return nil, fmt.Errorf("DISCREET_JOBS_TOPIC: cannot reach Pub/Sub: %w", err)
	}
	d.client = client
	return d, nil
}

// queue is what the service hands its jobs to.
func (d *jobDriver) queue() service.JobQueue {
	if d.embedded != nil {
		return d.embedded
	}
	return d
}

// Enqueue forwards to the PubSub driver; a job enqueued before it exists
// waits for the sweep.
func (d *jobDriver) Enqueue(ctx context.Context, id string, at time.Time) error {
	if d.pubsub == nil {
		return fmt.Errorf("the job queue is not ready yet")
	}
	return d.pubsub.Enqueue(ctx, id, at)
}

func (d *jobDriver) bind(svc *service.Service) { d.svc = svc }

// routes returns what the driver serves: the push endpoint (pubsub) and
// the sweep (both).
func (d *jobDriver) routes(verifier auth.Verifier, audiences []string, trustCron bool) (func(*echo.Echo), error) {
	if d.embedded != nil {
		return func(e *echo.Echo) { d.embedded.RegisterSweep(e, verifier, audiences, trustCron) }, nil
	}
	ps, err := worker.NewPubSub(worker.PubSubConfig{
		Publisher: d.client.Publisher(d.env.Topic), Verifier: verifier,
		PushAudience: d.env.PushAudience, PushServiceAccount: d.env.PushServiceAccount,
		Audiences: audiences, TrustCronHeader: trustCron, Logger: d.log,
	})
	if err != nil {
		return nil, err
	}
	ps.Bind(d.svc)
	d.pubsub = ps
	d.log.Info("jobs run through Pub/Sub", "topic", d.env.Topic)
	return ps.Register, nil
}

func (d *jobDriver) start(ctx context.Context) {
	if d.embedded != nil {
		d.embedded.Start(ctx, d.svc)
	}
}

func (d *jobDriver) stop() {
	if d.embedded != nil {
		d.embedded.Stop()
	}
	if d.client != nil {
		_ = d.client.Close()
	}
}
