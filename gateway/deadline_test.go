package gateway_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/gateway"
)

// Each route runs with the deadline it declares; routes outside the table
// (mounted ones, unknown paths) with Config.RequestTimeout.
func TestRouteDeadlines(t *testing.T) {
	e := newEnv(t, envOptions{})
	left := func(c echo.Context) error {
		d, ok := c.Request().Context().Deadline()
		if !ok {
			return c.JSON(http.StatusOK, -1)
		}
		return c.JSON(http.StatusOK, time.Until(d).Seconds())
	}
	h := gateway.New(gateway.Config{
		Service: e.svc, RequestTimeout: 3 * time.Second,
		Routes: []gateway.Route{
			{Method: http.MethodGet, Path: "/v1/probe/default", Handler: left, Public: true},
			{Method: http.MethodGet, Path: "/v1/probe/long", Handler: left, Public: true, Deadline: gateway.LongRequestTimeout},
			{Method: http.MethodPost, Path: "/v1/probe/{id}:long", Handler: left, Public: true, Deadline: 40 * time.Second},
			{Method: http.MethodPost, Path: "/v1/probe/{id}:short", Handler: left, Public: true},
		},
		Mount: []func(*echo.Echo){func(e *echo.Echo) { e.GET("/mounted", left) }},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		method, path string
		min, max     float64
	}{
		{"GET", "/v1/probe/default", 2, 3},
		{"GET", "/v1/probe/long", 45, 50},
		{"POST", "/v1/probe/x:long", 35, 40},
		{"POST", "/v1/probe/x:short", 2, 3},
		{"GET", "/mounted", 2, 3},
	} {
		r, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		var secs float64
		err = json.NewDecoder(resp.Body).Decode(&secs)
		resp.Body.Close()
		if err != nil || secs < tc.min || secs > tc.max {
			t.Errorf("%s %s: %v s left (%v), want between %v and %v", tc.method, tc.path, secs, err, tc.min, tc.max)
		}
	}
}

// Each route takes bodies up to the larger of its MaxBody and
// Config.MaxBodyBytes, also when its handler reads the body itself (routes
// of other packages, through Config.Routes); verbs after a parameter too.
func TestRouteBodyLimits(t *testing.T) {
	e := newEnv(t, envOptions{})
	read := func(c echo.Context) error {
		n, err := io.Copy(io.Discard, c.Request().Body)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return c.JSON(http.StatusRequestEntityTooLarge, tooBig.Limit)
		}
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, n)
	}
	h := gateway.New(gateway.Config{
		Service: e.svc, MaxBodyBytes: 2000,
		Routes: []gateway.Route{
			{Method: http.MethodPost, Path: "/v1/probe/default", Handler: read, Public: true},
			{Method: http.MethodPost, Path: "/v1/probe/large", Handler: read, Public: true, MaxBody: 5000},
			{Method: http.MethodPost, Path: "/v1/probe/small", Handler: read, Public: true, MaxBody: 1000},
			{Method: http.MethodPost, Path: "/v1/probe/{id}:large", Handler: read, Public: true, MaxBody: 5000},
		},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		path   string
		size   int
		status int
	}{
		{"/v1/probe/default", 2000, http.StatusOK},
		{"/v1/probe/default", 2001, http.StatusRequestEntityTooLarge},
		{"/v1/probe/large", 5000, http.StatusOK},
		{"/v1/probe/large", 5001, http.StatusRequestEntityTooLarge},
		{"/v1/probe/small", 2000, http.StatusOK}, // the configured limit is larger
		{"/v1/probe/x:large", 5000, http.StatusOK},
		{"/v1/probe/x:large", 5001, http.StatusRequestEntityTooLarge},
	} {
		resp, err := srv.Client().Post(srv.URL+tc.path, "application/octet-stream", strings.NewReader(strings.Repeat("x", tc.size)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("POST %s with %d bytes: %d %s, want %d", tc.path, tc.size, resp.StatusCode, b, tc.status)
		}
	}
}
