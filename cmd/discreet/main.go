// Command discreet runs the Discreet gateway: the REST API and the Gmail
// add-on endpoints, on the embedded SQLite store (default, with a demo org)
// or on Firestore.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/addon"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/capture"
	"github.com/discreet-crm/discreet/demo"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/gmail"
	"github.com/discreet-crm/discreet/internal/logging"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/firestore"
	"github.com/discreet-crm/discreet/store/sqlite"
	"github.com/discreet-crm/discreet/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "discreet:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. ready, when not nil, receives the listening
// address once the server accepts connections.
func run(ctx context.Context, getenv func(string) string, logw io.Writer, ready chan<- string) error {
	started := time.Now()
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(logging.NewHandler(logw, slog.LevelInfo))

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	var gmailSource service.MessageSource = gmail.New(cfg.GmailEndpoint, &http.Client{Timeout: 30 * time.Second})
	if cfg.DevAuth && cfg.GmailEndpoint == "" {
		// Locally there is no Gmail: the preview's example messages stand in,
		// for the add-on's message card and the service's Log button alike.
		gmailSource = addon.FixtureSource(addon.DevMail())
	}
	jobsEnv, err := worker.EnvConfig(getenv)
	if err != nil {
		return err
	}
	jobs, err := newJobDriver(ctx, jobsEnv, logger)
	if err != nil {
		return err
	}
	if getenv("GAE_ENV") == "standard" && jobsEnv.Driver == "embedded" {
		logger.Warn("long work runs on goroutines, which App Engine standard throttles between requests: purges and imports may stall; set DISCREET_JOBS=pubsub")
	}
	svc := service.New(service.Config{Store: st, Gmail: gmailSource, BootstrapAdmins: cfg.BootstrapAdmins, Logger: logger,
		Jobs: jobs.queue(), Instance: getenv("GAE_INSTANCE"), JobLease: jobsEnv.Lease,
		// A decision made on the old Never Log List commits within the
		// longest request deadline; a purge's second pass waits that long.
		DecisionWindow: gateway.LongRequestTimeout + 10*time.Second})
	jobs.bind(svc)
	if cfg.Store == "sqlite" && cfg.Demo {
		loaded, err := demo.LoadIfEmpty(ctx, svc, st, time.Now())
		if err != nil {
			return err
		}
		if loaded {
			logger.Info("loaded the demo org into the empty embedded store", "dir", cfg.DataDir)
		}
	}

	capCfg, err := capture.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	var verifier auth.Verifier
	if len(cfg.Audiences) > 0 || cfg.AddonClientID != "" || capCfg.PushAudience != "" || jobsEnv.PushAudience != "" {
		g, err := auth.NewGoogle(ctx, nil)
		if err != nil {
			return fmt.Errorf("ID-token verifier: %w", err)
		}
		verifier = g
	}
	addonCfg := addon.Config{
		Service: svc, Verifier: verifier, ServiceAccount: cfg.AddonSA, ClientID: cfg.AddonClientID,
		Audiences: cfg.Audiences, BaseURL: cfg.BaseURL, DevAuth: cfg.DevAuth, Logger: logger,
		Gmail: gmailSource,
	}
	capCfg.Service, capCfg.Store, capCfg.Logger = svc, st, logger
	capCfg.Verifier, capCfg.Audiences = verifier, cfg.Audiences
	capCfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	sent, err := capture.New(capCfg) // logs whether sent-mail capture is on, and why not
	if err != nil {
		return err
	}
	mountJobs, err := jobs.routes(verifier, cfg.Audiences, capCfg.TrustCronHeader)
	if err != nil {
		return err
	}
	e := gateway.New(gateway.Config{
		Service: svc, Verifier: verifier, Audiences: cfg.Audiences, DevAuth: cfg.DevAuth,
		MaxBodyBytes: cfg.MaxBody, Logger: logger, Project: cfg.Project, Ready: st.Ping,
		ReadyDetails: func() map[string]any { return map[string]any{"capture": sent.Status()} },
		Mount: []func(*echo.Echo){
			func(e *echo.Echo) { addon.Register(e, addonCfg) },
			sent.Register,
			mountJobs,
		},
	})

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Addr, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second, // slowloris
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "store", cfg.Store, "devAuth", cfg.DevAuth,
		"startup", time.Since(started).String())
	if cfg.DevAuth {
		logger.Warn("dev sign-in is on: any X-Dev-User header is trusted (loopback only); set DISCREET_AUDIENCE for production")
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	jobs.start(ctx)
	defer jobs.stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	logger.Info("shutting down")
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
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
