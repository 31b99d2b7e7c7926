package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/internal/logging"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// server is one HTTP server on a loopback port, stopped by Close.
type server struct {
	URL string
	srv *http.Server
}

// serve serves h on 127.0.0.1 with the timeouts cmd/discreet sets.
func serve(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go func() { _ = srv.Serve(ln) }()
	return &server{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

func (s *server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// discreetHandler is the gateway as cmd/discreet wires it (dev sign-in on
// loopback, the store's Ping behind /readyz, Cloud Logging JSON at Info),
// minus the add-on routes, which the load does not touch. Log lines are
// formatted as in production and then dropped, so a terminal does not
// slow the run.
func discreetHandler(st store.Store) (http.Handler, *service.Service) {
	logger := slog.New(logging.NewHandler(io.Discard, slog.LevelInfo))
	svc := service.New(service.Config{Store: st, Logger: logger})
	e := gateway.New(gateway.Config{
		Service: svc, DevAuth: true, Logger: logger, Ready: st.Ping,
	})
	return e, svc
}

// bareLogRequest has the fields of the gateway's POST /v1/emails body.
type bareLogRequest struct {
	Raw            string `json:"raw"`
	GmailMessageID string `json:"gmailMessageId"`
	Log            *bool  `json:"log"`
	Visibility     string `json:"visibility"`
}

// bareHandler is the ceiling: Echo doing the same JSON decode (strict, one
// value, base64url of the message) and a JSON answer, with no service or
// store behind it. The timeline route answers a canned page of the same
// shape and size as the real one.
func bareHandler(timelinePage []byte) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/v1/emails", func(c echo.Context) error {
		body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, 1<<20))
		if err != nil {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		var req bareLogRequest
		if err := dec.Decode(&req); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
		raw, err := base64.RawURLEncoding.DecodeString(req.Raw)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "raw")
		}
		out, _ := json.Marshal(map[string]any{"decision": map[string]any{"logged": true, "reason": "logged"}, "bytes": len(raw)})
		return c.Blob(http.StatusCreated, echo.MIMEApplicationJSON, out)
	})
	e.GET("/v1/contacts/:email/timeline", func(c echo.Context) error {
		if c.Request().Header.Get("X-Dev-User") == "" {
			return echo.NewHTTPError(http.StatusUnauthorized)
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, timelinePage)
	})
	return e
}

// requireLoopback refuses any target that is not this machine: the load
// tool sends thousands of requests and must never aim them elsewhere.
func requireLoopback(rawURL string) error {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	host := req.URL.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing target %q: the load tool only drives servers on loopback (127.0.0.1, ::1, localhost)", rawURL)
	}
	return nil
}
