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

	"github.com/discreet-crm/discreet/internal/logging"
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
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Addr, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.Info("listening", "addr", ln.Addr().String(), "store", cfg.Store, "devAuth", cfg.Auth.DevAuth,
		"startup", time.Since(started).String())
	if cfg.Auth.DevAuth {
		logger.Warn("dev sign-in is on: any X-Dev-User header is trusted (loopback only); set DISCREET_AUDIENCE for production")
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	return serve(ctx, ln, a.handler, logger)
}

// serve answers on ln until ctx ends, then drains for up to 10 s.
func serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second, // slowloris
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // above every route's deadline (gateway.LongRequestTimeout)
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
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
