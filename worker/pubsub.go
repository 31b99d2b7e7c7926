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
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
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

// PubSub drives jobs through a Pub/Sub topic; see the package comment.
type PubSub struct {
	cfg PubSubConfig
	svc *service.Service
	log *slog.Logger
}

// NewPubSub returns the driver; pass it as service.Config.Jobs, then call
// Bind with the service and Register on the server.
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
func (p *PubSub) Bind(svc *service.Service) { p.svc = svc }

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

// Register adds RouteRun and RouteSweep to e; pass it in
// gateway.Config.Mount, whose error handler turns errors into problem+json.
func (p *PubSub) Register(e *echo.Echo) {
	e.POST(`/v1/jobs\:run`, p.handleRun)
	registerSweep(e, p.cfg.Verifier, p.cfg.Audiences, p.cfg.TrustCronHeader, func() *service.Service { return p.svc })
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
	run, err := p.svc.RunJob(ctx, id)
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
	token, ok := bearer(r)
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

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

// RegisterSweep adds RouteSweep for the embedded driver: an admin (or
// cron) may ask for due jobs to be looked for at once.
func (e *Embedded) RegisterSweep(ec *echo.Echo, verifier auth.Verifier, audiences []string, trustCron bool) {
	registerSweep(ec, verifier, audiences, trustCron, func() *service.Service { return e.svc })
}

// registerSweep serves POST (and, for App Engine cron, GET) RouteSweep:
// 200 {"enqueued": n}.
func registerSweep(e *echo.Echo, verifier auth.Verifier, audiences []string, trustCron bool, svc func() *service.Service) {
	cron := func(r *http.Request) bool { return trustCron && r.Header.Get("X-Appengine-Cron") == "true" }
	h := func(ec echo.Context) error {
		r := ec.Request()
		ctx := r.Context()
		if !cron(r) {
			if err := authorizeAdmin(ctx, r, verifier, audiences, svc()); err != nil {
				return err
			}
		}
		n, err := svc().SweepJobs(ctx)
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, map[string]int{"enqueued": n})
	}
	e.POST(`/v1/jobs\:sweep`, h)
	e.GET(`/v1/jobs\:sweep`, func(ec echo.Context) error {
		if !cron(ec.Request()) {
			return echo.ErrMethodNotAllowed
		}
		return h(ec)
	})
}

// authorizeAdmin admits an admin with a verified ID token.
func authorizeAdmin(ctx context.Context, r *http.Request, verifier auth.Verifier, audiences []string, svc *service.Service) error {
	token, ok := bearer(r)
	if !ok {
		return discreet.Errorf(discreet.EUnauthenticated, "sign in first")
	}
	if verifier == nil || len(audiences) == 0 {
		return discreet.Errorf(discreet.EUnauthenticated, "ID-token sign-in is not configured (DISCREET_AUDIENCE)")
	}
	id, err := verifier.Verify(ctx, token, audiences...)
	if err != nil {
		return err
	}
	u, err := svc.SignIn(ctx, id.Email)
	if err != nil {
		return err
	}
	if u.Role != discreet.RoleAdmin {
		return discreet.Errorf(discreet.EPermission, "only admins may sweep jobs")
	}
	return nil
}
