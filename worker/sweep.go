package worker

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
)

// sweepAuth says who may call RouteSweep: App Engine cron (when the
// platform vouches for its header) and admins with a verified ID token.
type sweepAuth struct {
	verifier  auth.Verifier
	audiences []string
	trustCron bool
}

// sweepRoutes are POST (and, for App Engine cron, GET) RouteSweep: 200
// {"enqueued": n}. svc is the service the driver was given.
func sweepRoutes(a sweepAuth, svc func() *service.Service) []gateway.Route {
	return cronRoutes(RouteSweep, a, svc, func(ec echo.Context, s *service.Service, actor discreet.User) error {
		n, err := s.SweepJobs(ec.Request().Context(), actor)
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, map[string]int{"enqueued": n})
	})
}

// cronRoutes are POST path, for a user signed in with an ID token, and GET
// path, for App Engine cron only (it sends nothing else); run gets the
// actor, service.SystemActor for cron, and the service decides whether
// they may.
func cronRoutes(path string, a sweepAuth, svc func() *service.Service, run func(ec echo.Context, s *service.Service, actor discreet.User) error) []gateway.Route {
	cron := func(r *http.Request) bool { return a.trustCron && r.Header.Get("X-Appengine-Cron") == "true" }
	handle := func(ec echo.Context) error {
		r := ec.Request()
		s := svc()
		if s == nil {
			return discreet.Errorf(discreet.EUnavailable, "the job driver has not started")
		}
		actor := discreet.User{Email: service.SystemActor}
		if !cron(r) {
			var err error
			if actor, err = signedIn(r.Context(), r, a, s); err != nil {
				return err
			}
		}
		return run(ec, s, actor)
	}
	return []gateway.Route{
		{Method: http.MethodPost, Path: path, Handler: handle, Public: true, Deadline: gateway.LongRequestTimeout},
		{Method: http.MethodGet, Path: path, Public: true, Deadline: gateway.LongRequestTimeout,
			Handler: func(ec echo.Context) error {
				if !cron(ec.Request()) {
					return echo.ErrMethodNotAllowed
				}
				return handle(ec)
			}},
	}
}

// signedIn is the user a verified ID token names; SweepJobs decides
// whether they may sweep.
func signedIn(ctx context.Context, r *http.Request, a sweepAuth, svc *service.Service) (discreet.User, error) {
	token, ok := auth.Bearer(r)
	if !ok {
		return discreet.User{}, discreet.Errorf(discreet.EUnauthenticated, "sign in first")
	}
	if a.verifier == nil || len(a.audiences) == 0 {
		return discreet.User{}, discreet.Errorf(discreet.EUnauthenticated, "ID-token sign-in is not configured (DISCREET_AUDIENCE)")
	}
	id, err := a.verifier.Verify(ctx, token, a.audiences...)
	if err != nil {
		return discreet.User{}, err
	}
	return svc.SignIn(ctx, id.Email)
}
