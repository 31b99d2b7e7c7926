package worker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
)

// Routes the PubSub driver serves.
const (
	// RouteRun is the push endpoint of the jobs subscription.
	RouteRun = "/v1/jobs:run"
	// RouteSweep is called by App Engine cron (every minute) or an admin.
	RouteSweep = "/v1/jobs:sweep"
)

// maxPushBytes caps a push body; ours are tiny.
const maxPushBytes = 64 << 10

// PubSubConfig configures PubSub.
type PubSubConfig struct {
	// Publisher publishes to the jobs topic, whose push subscription
	// delivers to RouteRun.
	Publisher *pubsub.Publisher
	// Verifier checks the OIDC token Pub/Sub attaches to each push: issued
	// for PushAudience to PushServiceAccount. It also checks admins'
	// tokens on RouteSweep (Audiences: the REST API's).
	Verifier           auth.Verifier
	PushAudience       string
	PushServiceAccount string
	Audiences          []string
	// TrustCronHeader accepts "X-Appengine-Cron: true" on RouteSweep; only
	// App Engine strips it from outside requests.
	TrustCronHeader bool
	Logger          *slog.Logger
}

func (c PubSubConfig) sweep() sweepAuth {
	return sweepAuth{verifier: c.Verifier, audiences: c.Audiences, trustCron: c.TrustCronHeader}
}

// PubSub drives jobs through a Pub/Sub topic; see the package comment.
type PubSub struct {
	cfg PubSubConfig
	svc atomic.Pointer[service.Service] // set by Bind
	log *slog.Logger
}

// NewPubSub returns the driver; pass it as service.Config.Jobs, then call
// Bind with the service and serve its Routes.
func NewPubSub(cfg PubSubConfig) (*PubSub, error) {
	switch {
	case cfg.Publisher == nil:
		return nil, errors.New("worker: PubSubConfig.Publisher is required")
	case cfg.Verifier == nil || cfg.PushAudience == "" || cfg.PushServiceAccount == "":
		return nil, errors.New("worker: the push subscription's identity (Verifier, PushAudience, PushServiceAccount) is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.PushServiceAccount = strings.ToLower(strings.TrimSpace(cfg.PushServiceAccount))
	return &PubSub{cfg: cfg, log: cfg.Logger}, nil
}

// Bind gives the driver the service whose jobs it runs.
func (p *PubSub) Bind(svc *service.Service) { p.svc.Store(svc) }

// runMessage is what one Pub/Sub message asks.
type runMessage struct {
	Job string `json:"job"`
}

// Enqueue publishes "run job id" now. A later time is left to the sweep:
// Pub/Sub cannot delay a message, and cron looks every minute.
func (p *PubSub) Enqueue(ctx context.Context, id string, at time.Time) error {
	if time.Until(at) > time.Second {
		return nil
	}
	data, _ := json.Marshal(runMessage{Job: id}) // a string always marshals
	if _, err := p.cfg.Publisher.Publish(ctx, &pubsub.Message{Data: data}).Get(ctx); err != nil {
		return discreet.Wrap(err, discreet.EUnavailable, "cannot publish the job")
	}
	return nil
}

// Routes are POST RouteRun (the push endpoint) and RouteSweep, for
// gateway.Config.Routes: the gateway documents them, gives them their
// deadline and turns their errors into problem+json. They authenticate
// their callers themselves (Pub/Sub's token, cron, an admin's ID token).
func (p *PubSub) Routes() []gateway.Route {
	run := gateway.Route{Method: http.MethodPost, Path: RouteRun, Handler: p.handleRun, Public: true, Deadline: gateway.LongRequestTimeout}
	return append(append([]gateway.Route{run}, sweepRoutes(p.cfg.sweep(), p.svc.Load)...), retentionRoutes(p.cfg.sweep(), p.svc.Load)...)
}

// handleRun runs one slice of the job a push names: 204 when the slice is
// done (and the job re-published while work is left), 503 to have Pub/Sub
// redeliver when the slice or the re-publishing failed.
func (p *PubSub) handleRun(ec echo.Context) error {
	r := ec.Request()
	ctx := r.Context()
	if err := p.verifyPush(ctx, r); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(ec.Response(), r.Body, maxPushBytes))
	if err != nil {
		p.log.ErrorContext(ctx, "dropping a job push whose body cannot be read", "err", err)
		return ec.NoContent(http.StatusNoContent)
	}
	id, err := decodeRunPush(body)
	if err != nil {
		// Redelivering cannot fix it: acknowledge and say so.
		p.log.ErrorContext(ctx, "dropping an undecodable job push", "err", err)
		return ec.NoContent(http.StatusNoContent)
	}
	svc := p.svc.Load()
	if svc == nil {
		return discreet.Errorf(discreet.EUnavailable, "the job driver has no service yet; Pub/Sub will deliver it again")
	}
	run, err := svc.RunJob(ctx, id)
	if err != nil {
		return discreet.Wrap(err, discreet.EUnavailable, "the job slice failed; Pub/Sub will deliver it again")
	}
	if run.More {
		if err := p.Enqueue(context.WithoutCancel(ctx), id, time.Now()); err != nil {
			return err // redelivered: the next slice runs then
		}
	}
	return ec.NoContent(http.StatusNoContent)
}

func decodeRunPush(body []byte) (string, error) {
	var env struct {
		Message *struct {
			Data string `json:"data"`
		} `json:"message"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Message == nil {
		return "", fmt.Errorf("the body is not a Pub/Sub push envelope")
	}
	data, err := base64.StdEncoding.DecodeString(env.Message.Data)
	if err != nil {
		return "", fmt.Errorf("message.data is not base64")
	}
	var m runMessage
	if err := json.Unmarshal(data, &m); err != nil || m.Job == "" {
		return "", fmt.Errorf("message.data names no job")
	}
	return m.Job, nil
}

func (p *PubSub) verifyPush(ctx context.Context, r *http.Request) error {
	token, ok := auth.Bearer(r)
	if !ok {
		return discreet.Errorf(discreet.EUnauthenticated, "missing bearer token")
	}
	id, err := p.cfg.Verifier.Verify(ctx, token, p.cfg.PushAudience)
	if err != nil {
		return err
	}
	if id.Email != p.cfg.PushServiceAccount {
		return discreet.Errorf(discreet.EUnauthenticated, "the token is not the jobs push subscription's service account")
	}
	return nil
}
