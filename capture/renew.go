package capture

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/gateway"
)

// renewWorkers bounds the users.watch calls in flight.
const renewWorkers = 8

// RenewReport says what a renewal did.
type RenewReport struct {
	Renewed int `json:"renewed"`
	// Skipped are users whose mailbox refuses the server (no Gmail, no
	// delegation); renewing again will not help.
	Skipped []string `json:"skipped,omitempty"`
	// Failed are users Gmail or the store could not serve now.
	Failed []string `json:"failed,omitempty"`
}

// RoutePush and RouteRenew are the paths Routes serves.
const (
	RoutePush  = "/v1/gmail/push"
	RouteRenew = "/v1/gmail/watch:renew"
)

// Routes are POST /v1/gmail/push and POST (GET for App Engine cron)
// /v1/gmail/watch:renew, for gateway.Config.Routes: the gateway documents
// them, gives them their deadline, and turns the returned errors into
// problem+json (503 with Retry-After when work is left). They authenticate
// their callers themselves (Pub/Sub's token, cron, an admin's ID token).
func (c *Capture) Routes() []gateway.Route {
	return []gateway.Route{
		{Method: http.MethodPost, Path: RoutePush, Handler: c.handlePush, Public: true, Deadline: gateway.LongRequestTimeout},
		{Method: http.MethodPost, Path: RouteRenew, Handler: c.handleRenew, Public: true, Deadline: gateway.LongRequestTimeout},
		// App Engine cron only sends GET; nobody else may renew with GET.
		{Method: http.MethodGet, Path: RouteRenew, Public: true, Deadline: gateway.LongRequestTimeout,
			Handler: func(ec echo.Context) error {
				if !c.cronRequest(ec.Request()) {
					return echo.ErrMethodNotAllowed
				}
				return c.handleRenew(ec)
			}},
	}
}

// cronRequest reports a request App Engine cron made; App Engine strips
// the header from requests that come from outside.
func (c *Capture) cronRequest(r *http.Request) bool {
	return c.cfg.TrustCronHeader && r.Header.Get("X-Appengine-Cron") == "true"
}

// handleRenew is POST (or, for App Engine cron, GET) /v1/gmail/watch:renew, for cron (daily)
// or an admin: 200 with the report, 503 when some watches failed for now
// (cron retries per cron.yaml).
func (c *Capture) handleRenew(ec echo.Context) error {
	ctx := ec.Request().Context()
	if err := c.authorizeRenew(ctx, ec.Request()); err != nil {
		return err
	}
	rep, err := c.RenewAll(ctx)
	if err != nil {
		return err
	}
	if len(rep.Failed) > 0 {
		return &discreet.Error{Code: discreet.EUnavailable, RetryAfter: time.Minute, Details: rep,
			Message: "some Gmail watches could not be renewed; try again"}
	}
	return ec.JSON(http.StatusOK, rep)
}

// authorizeRenew admits App Engine cron (where the platform vouches for
// the header) and admins with a verified ID token.
func (c *Capture) authorizeRenew(ctx context.Context, r *http.Request) error {
	if c.cronRequest(r) {
		return nil
	}
	token, ok := bearer(r)
	if !ok {
		return discreet.Errorf(discreet.EUnauthenticated, "sign in first")
	}
	if c.cfg.Verifier == nil || len(c.cfg.Audiences) == 0 {
		return discreet.Errorf(discreet.EUnauthenticated, "ID-token sign-in is not configured (DISCREET_AUDIENCE)")
	}
	id, err := c.cfg.Verifier.Verify(ctx, token, c.cfg.Audiences...)
	if err != nil {
		return err
	}
	u, err := c.cfg.Service.SignIn(ctx, id.Email)
	if err != nil {
		return err
	}
	if u.Role != discreet.RoleAdmin {
		return discreet.Errorf(discreet.EPermission, "only admins may renew Gmail watches")
	}
	return nil
}

// RenewAll starts or renews the Gmail watch of every provisioned user and
// forgets message claims too old to be replayed.
func (c *Capture) RenewAll(ctx context.Context) (RenewReport, error) {
	var rep RenewReport
	if c.gmail == nil {
		return rep, discreet.Errorf(discreet.EUnavailable, "%s", c.Status().Detail)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, renewWorkers)
	after := ""
	for {
		users, err := c.cfg.Store.Users(ctx, after, 100)
		if err != nil {
			wg.Wait()
			return rep, unavailable(err, time.Minute, "cannot list users")
		}
		for _, u := range users {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				err := c.renew(ctx, u.Email)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					rep.Renewed++
				case permanent(err):
					c.log.WarnContext(ctx, "cannot watch this mailbox; skipped", "user", u.Email, "err", err)
					rep.Skipped = append(rep.Skipped, u.Email)
				default:
					c.log.WarnContext(ctx, "Gmail watch not renewed", "user", u.Email, "err", err)
					rep.Failed = append(rep.Failed, u.Email)
				}
			})
		}
		if len(users) < 100 {
			break
		}
		after = users[len(users)-1].Email
	}
	wg.Wait()
	c.log.InfoContext(ctx, "Gmail watches renewed", "renewed", rep.Renewed, "skipped", len(rep.Skipped), "failed", len(rep.Failed))
	return rep, nil
}

func (c *Capture) renew(ctx context.Context, user string) error {
	historyID, expiration, err := c.gmail.watch(ctx, user, c.cfg.Topic)
	if err != nil {
		return err
	}
	now := c.now()
	if _, err := c.cfg.Store.RenewWatch(ctx, user, historyID, expiration, now); err != nil {
		return err
	}
	if _, err := c.cfg.Store.PruneMessages(ctx, user, now.Add(-claimsKept)); err != nil {
		c.log.WarnContext(ctx, "cannot prune captured message claims", "user", user, "err", err)
	}
	return nil
}
