package capture

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
)

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

// handleRenew is POST (or, for App Engine cron, GET) /v1/gmail/watch:renew,
// for cron (daily) or an admin: it starts the day's renewal job
// (service.StartWatchRenewal, which decides who may) and answers 202 with
// it at once; the job renews every watch in batches through the job
// queue, and its progress is at GET /v1/jobs/{id}. 503 while capture is off.
func (c *Capture) handleRenew(ec echo.Context) error {
	ctx := ec.Request().Context()
	actor, err := c.renewer(ctx, ec.Request())
	if err != nil {
		return err
	}
	job, err := c.cfg.Service.StartWatchRenewal(ctx, actor)
	if c.gmail == nil && discreet.ErrorCode(err) == discreet.EUnavailable {
		return discreet.Errorf(discreet.EUnavailable, "%s", c.Status().Detail) // say why capture is off
	}
	if err != nil {
		return err
	}
	return ec.JSON(http.StatusAccepted, job)
}

// renewer authenticates who asks for a renewal: App Engine cron (where
// the platform vouches for the header; service.SystemActor), or a user
// with a verified ID token. Whether they may renew is the service's call.
func (c *Capture) renewer(ctx context.Context, r *http.Request) (discreet.User, error) {
	if c.cronRequest(r) {
		return discreet.User{Email: service.SystemActor}, nil
	}
	token, ok := auth.Bearer(r)
	if !ok {
		return discreet.User{}, discreet.Errorf(discreet.EUnauthenticated, "sign in first")
	}
	if c.cfg.Verifier == nil || len(c.cfg.Audiences) == 0 {
		return discreet.User{}, discreet.Errorf(discreet.EUnauthenticated, "ID-token sign-in is not configured (DISCREET_AUDIENCE)")
	}
	id, err := c.cfg.Verifier.Verify(ctx, token, c.cfg.Audiences...)
	if err != nil {
		return discreet.User{}, err
	}
	return c.cfg.Service.SignIn(ctx, id.Email)
}

// WatchMailbox starts or renews user's Gmail watch and forgets message
// claims too old to be replayed: service.MailboxWatcher, run by the
// service's watch jobs. A mailbox that refuses the server is a permanent
// error (permission_denied, not_found, invalid).
func (c *Capture) WatchMailbox(ctx context.Context, user string) error {
	if c.gmail == nil {
		return discreet.Errorf(discreet.EUnavailable, "%s", c.Status().Detail)
	}
	return c.renew(ctx, user)
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
