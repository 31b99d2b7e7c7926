package main

import (
	"context"
	"fmt"
	"log/slog"

	"cloud.google.com/go/pubsub/v2"

	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/worker"
)

// jobDriver is the configured job driver: worker.Embedded, or
// worker.PubSub with its client. The service hands it its jobs, and it
// runs them with the service: made before the service, given it after.
type jobDriver struct {
	embedded  *worker.Embedded
	pubsub    *worker.PubSub
	client    *pubsub.Client
	publisher *pubsub.Publisher
}

func newJobDriver(ctx context.Context, cfg config, verifier auth.Verifier, logger *slog.Logger) (*jobDriver, error) {
	if !cfg.Jobs.PubSub() {
		if cfg.OnAppEngine {
			logger.Warn("long work runs on goroutines, which App Engine standard throttles between requests: purges and imports may stall; set DISCREET_JOBS=pubsub")
		}
		lease := cfg.Jobs.Lease
		if lease <= 0 {
			lease = service.DefaultJobLease
		}
		return &jobDriver{embedded: worker.NewEmbedded(worker.EmbeddedConfig{
			Logger: logger,
			// Twice per lease, so a job whose process died is taken over
			// soon after its lease ends.
			SweepEvery: lease / 2,
			Verifier:   verifier, Audiences: cfg.Auth.Audiences, TrustCronHeader: cfg.OnAppEngine,
		})}, nil
	}
	client, err := pubsub.NewClient(ctx, cfg.Jobs.Project())
	if err != nil {
		return nil, fmt.Errorf("DISCREET_JOBS_TOPIC: cannot reach Pub/Sub: %w", err)
	}
	d := &jobDriver{client: client, publisher: client.Publisher(cfg.Jobs.Topic)}
	d.pubsub, err = worker.NewPubSub(worker.PubSubConfig{
		Publisher: d.publisher, Verifier: verifier,
		PushAudience: cfg.Jobs.PushAudience, PushServiceAccount: cfg.Jobs.PushSA,
		Audiences: cfg.Auth.Audiences, TrustCronHeader: cfg.OnAppEngine, Logger: logger,
	})
	if err != nil {
		d.stop()
		return nil, err
	}
	logger.Info("jobs run through Pub/Sub", "topic", cfg.Jobs.Topic, "pushServiceAccount", cfg.Jobs.PushSA)
	return d, nil
}

// queue is what the service hands its jobs to.
func (d *jobDriver) queue() service.JobQueue {
	if d.embedded != nil {
		return d.embedded
	}
	return d.pubsub
}

// routes are the driver's routes for the gateway's table: the sweep, and
// with Pub/Sub the push endpoint.
func (d *jobDriver) routes() []gateway.Route {
	if d.embedded != nil {
		return d.embedded.Routes()
	}
	return d.pubsub.Routes()
}

// start gives the driver the service; the embedded driver starts its
// workers, which run until ctx ends or stop.
func (d *jobDriver) start(ctx context.Context, svc *service.Service) {
	if d.embedded != nil {
		d.embedded.Start(ctx, svc)
		return
	}
	d.pubsub.Bind(svc)
}

// stop waits for the embedded workers' slices to end, or flushes what is
// being published.
func (d *jobDriver) stop() {
	if d.embedded != nil {
		d.embedded.Stop()
	}
	if d.publisher != nil {
		d.publisher.Stop()
	}
	if d.client != nil {
		_ = d.client.Close()
	}
}
