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
	cron := func(r *http.Request) bool { return a.trustCron && r.Header.Get("X-Appengine-Cron") == "true" }
	sweep := func(ec echo.Context) error {
		r := ec.Request()
		ctx := r.Context()
		s := svc()
		if s == nil {
			return discreet.Errorf(discreet.EUnavailable, "the job driver has not started")
		}
		actor := discreet.User{Email: service.SystemActor}
		if !cron(r) {
			var err error
			if actor, err = signedIn(ctx, r, a, s); err != nil {
				return err
			}
		}
		n, err := s.SweepJobs(ctx, actor)
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, map[string]int{"enqueued": n})
	}
	return []gateway.Route{
		{Method: http.MethodPost, Path: RouteSweep, Handler: sweep, Public: true, Deadline: gateway.LongRequestTimeout},
		// App Engine cron only sends GET; nobody else may sweep with GET.
		{Method: http.MethodGet, Path: RouteSweep, Public: true, Deadline: gateway.LongRequestTimeout,
			Handler: func(ec echo.Context) error {
				if !cron(ec.Request()) {
					return echo.ErrMethodNotAllowed
				}
				return sweep(ec)
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
