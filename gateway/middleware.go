package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/internal/logging"
	"github.com/discreet-crm/discreet/service"
)

// HeaderRequestID carries the request id in and out.
const HeaderRequestID = "X-Request-Id"

// requestLog gives each request an id (the caller's X-Request-Id when it is
// sane, else a new UUID) and the Cloud trace, puts both in the context for
// every log line, and logs one line when the request is done. It never logs
// bodies, query strings or headers: they carry tokens and customer data.
func (g *gateway) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		r := c.Request()
		id := r.Header.Get(HeaderRequestID)
		if !saneRequestID(id) {
			id = uuid.NewString()
		}
		ctx := logging.WithRequestID(r.Context(), id)
		// Every request gets a deadline: a route of the table sets its own
		// (Route.Deadline), anything else gets the default here.
		if !g.ownDeadline[r.Method+" "+c.Path()] {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, g.timeout)
			defer cancel()
		}
		if trace, span := logging.ParseCloudTrace(r.Header.Get("X-Cloud-Trace-Context"), g.project); trace != "" {
			ctx = logging.WithTrace(ctx, trace, span)
		}
		c.SetRequest(r.WithContext(ctx))
		c.Response().Header().Set(HeaderRequestID, id)

		err := next(c)
		if err != nil {
			// Write the problem now, so the line below logs its status.
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		// The route, not the path: paths name customers' addresses, which
		// have no place in the logs.
		route := c.Path()
		if route == "" {
			route = "(none)"
		}
		g.log.LogAttrs(ctx, level, "request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Duration("latency", time.Since(start)),
		)
		return nil
	}
}

// withDeadline bounds the request, so an outage of the store or Gmail
// answers 503 instead of holding the caller until it gives up.
func withDeadline(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			c.SetRequest(r.WithContext(ctx))
			return next(c)
		}
	}
}

// bodyLimitKey holds the route's body limit in the echo.Context.
const bodyLimitKey = "discreet.maxBody"

// bodyLimit caps the request body at n bytes: readBody answers 413 naming
// n, and a handler that reads the body itself (another package's route)
// gets an *http.MaxBytesError past it.
func bodyLimit(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(bodyLimitKey, n)
			r := c.Request()
			if r.Body != nil {
				r.Body = http.MaxBytesReader(c.Response(), r.Body, n)
			}
			return next(c)
		}
	}
}

// saneRequestID accepts ids a caller may pass on: short, printable, no
// spaces, so they cannot forge log lines.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// recover turns a panic into a 500 whose cause only the log sees.
func (g *gateway) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				g.log.ErrorContext(c.Request().Context(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				err = discreet.Errorf(discreet.EInternal, "internal error")
			}
		}()
		return next(c)
	}
}

type actorKey struct{}

// authenticate signs the caller in: a Google ID token in Authorization, or
// in development X-Dev-User. The user it yields is the actor of every
// service call; anyone else gets 401.
func (g *gateway) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ctx := r.Context()
		var who service.Identity
		if h := r.Header.Get(echo.HeaderAuthorization); h != "" {
			scheme, token, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				return discreet.Errorf(discreet.EUnauthenticated, "use Authorization: Bearer <Google ID token>")
			}
			if g.verifier == nil || len(g.audiences) == 0 {
				return discreet.Errorf(discreet.EUnauthenticated, "ID-token sign-in is not configured")
			}
			id, err := g.verifier.Verify(ctx, token, g.audiences...)
			if err != nil {
				return err
			}
			who = service.Identity{Email: id.Email, HostedDomain: id.HostedDomain}
		} else if dev := r.Header.Get("X-Dev-User"); dev != "" && g.devAuth {
			who = service.DevIdentity(dev)
		} else {
			return discreet.Errorf(discreet.EUnauthenticated, "sign in with Authorization: Bearer <Google ID token>")
		}
		u, err := g.svc.SignInIdentity(ctx, who)
		if err != nil {
			return err
		}
		c.SetRequest(r.WithContext(context.WithValue(ctx, actorKey{}, u)))
		return next(c)
	}
}

// actor is the signed-in caller; the zero user (whom the service refuses)
// on a route without authentication.
func actor(c echo.Context) discreet.User {
	u, _ := c.Request().Context().Value(actorKey{}).(discreet.User)
	return u
}
