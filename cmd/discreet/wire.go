package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/addon"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/capture"
	"github.com/discreet-crm/discreet/demo"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/gmail"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/firestore"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// app is the service wired from its configuration: the only place that
// knows every package.
type app struct {
	handler http.Handler
	store   store.Store
	service *service.Service
	capture *capture.Capture
	jobs    *jobDriver
}

// Close stops the jobs (their slices end first) and closes the store.
func (a *app) Close() error {
	if a.jobs != nil {
		a.jobs.stop()
	}
	return a.store.Close()
}

// seedTimeout bounds the start-up writes; a store that does not answer in
// that time stops the start, and the platform starts the instance again.
const seedTimeout = 30 * time.Second

// newApp opens the store, prepares the org (the demo, the seeded internal
// domains) and builds the HTTP handler.
func newApp(ctx context.Context, cfg config, logger *slog.Logger) (*app, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{store: st}
	if err := a.wire(ctx, cfg, logger); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) wire(ctx context.Context, cfg config, logger *slog.Logger) error {
	var messages service.MessageSource = gmail.New(cfg.Gmail.Endpoint, &http.Client{Timeout: 30 * time.Second})
	if cfg.Auth.DevAuth && cfg.Gmail.Endpoint == "" {
		// Locally there is no Gmail: the preview's example messages stand in,
		// for the add-on's message card and the service's Log button alike.
		messages = addon.FixtureSource(addon.DevMail())
	}
	var verifier auth.Verifier
	if len(cfg.Auth.Audiences) > 0 || cfg.Addon.ClientID != "" || cfg.Capture.On() || cfg.Jobs.PubSub() {
		g, err := auth.NewGoogle(ctx, nil)
		if err != nil {
			return fmt.Errorf("ID-token verifier: %w", err)
		}
		verifier = g
	}
	jobs, err := newJobDriver(ctx, cfg, verifier, logger)
	if err != nil {
		return err
	}
	a.jobs = jobs
	a.service = service.New(service.Config{Store: a.store, Gmail: messages, BootstrapAdmins: cfg.Auth.BootstrapAdmins, Logger: logger,
		Jobs: jobs.queue(), Instance: cfg.Instance, JobLease: cfg.Jobs.Lease,
		// A decision made on the old Never Log List commits within the
		// longest route deadline; a purge's second pass waits that long.
		DecisionWindow: gateway.LongRequestTimeout + 10*time.Second})
	jobs.start(ctx, a.service)
	if err := a.prepareOrg(ctx, cfg, logger); err != nil {
		return err
	}
	capCfg := capture.Config{
		Service: a.service, Store: a.store, Logger: logger,
		GmailEndpoint: cfg.Gmail.Endpoint, HTTPClient: &http.Client{Timeout: 30 * time.Second},
		Topic: cfg.Capture.Topic, Verifier: verifier, Audiences: cfg.Auth.Audiences,
		PushAudience: cfg.Capture.PushAudience, PushServiceAccount: cfg.Capture.PushSA,
		TrustCronHeader: cfg.OnAppEngine,
		Disabled:        "DISCREET_GMAIL_DELEGATION_SA is not set (no domain-wide delegation to read mailboxes)",
	}
	if cfg.Capture.On() {
		tokens, err := capture.DelegatedTokens(ctx, capture.Delegation{ServiceAccount: cfg.Capture.DelegationSA})
		if err != nil {
			return fmt.Errorf("DISCREET_GMAIL_DELEGATION_SA: %w", err)
		}
		capCfg.Tokens, capCfg.Disabled = tokens, ""
	}
	sent, err := capture.New(capCfg) // logs whether sent-mail capture is on, and why not
	if err != nil {
		return err
	}
	a.capture = sent

	addonCfg := addon.Config{
		Service: a.service, Verifier: verifier, Gmail: messages, Logger: logger,
		ServiceAccount: cfg.Addon.ServiceAccount, ClientID: cfg.Addon.ClientID, UserTokenAuth: cfg.Addon.UserTokenAuth,
		Audiences: cfg.Auth.Audiences, BaseURL: cfg.BaseURL, DevAuth: cfg.Auth.DevAuth,
	}
	a.handler = gateway.New(gateway.Config{
		Service: a.service, Verifier: verifier, Audiences: cfg.Auth.Audiences, DevAuth: cfg.Auth.DevAuth,
		MaxBodyBytes: cfg.MaxBody, Logger: logger, Project: cfg.Project,
		Ready:        a.store.Ping,
		ReadyDetails: func() map[string]any { return map[string]any{"capture": sent.Status()} },
		Warmup:       a.warm,
		Routes:       append(sent.Routes(), jobs.routes()...),
		Mount:        []func(*echo.Echo){func(e *echo.Echo) { addon.Register(e, addonCfg) }},
	})
	return nil
}

// prepareOrg loads the demo into an empty embedded store and seeds the
// org's internal domains on a first deploy.
func (a *app) prepareOrg(ctx context.Context, cfg config, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, seedTimeout)
	defer cancel()
	if cfg.Store == "sqlite" && cfg.Demo {
		loaded, err := demo.LoadIfEmpty(ctx, a.service, a.store, time.Now())
		if err != nil {
			return err
		}
		if loaded {
			logger.Info("loaded the demo org into the empty embedded store", "dir", cfg.DataDir)
		}
	}
	if len(cfg.Auth.InternalDomains) > 0 {
		if _, err := a.service.SeedInternalDomains(ctx, cfg.Auth.InternalDomains); err != nil {
			return fmt.Errorf("seeding DISCREET_INTERNAL_DOMAINS: %w", err)
		}
	}
	return nil
}

// warm answers App Engine's warmup request: the store answers and the
// service's caches are filled before the first user's request.
func (a *app) warm(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return err
	}
	return a.service.Warm(ctx)
}

// openStore opens the configured store.
func openStore(ctx context.Context, cfg config) (store.Store, error) {
	switch cfg.Store {
	case "firestore":
		st, err := firestore.New(ctx, cfg.Project)
		if err != nil {
			return nil, fmt.Errorf("firestore: %w", err)
		}
		return st, nil
	default:
		st, err := sqlite.Open(ctx, cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("sqlite store in %s: %w", cfg.DataDir, err)
		}
		return st, nil
	}
}
