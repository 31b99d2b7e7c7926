// Package addon is the Gmail add-on's HTTP runtime: the endpoints Google
// Workspace calls with its event JSON, and the cards (Card v1 JSON) they
// answer with. Every decision is the service's; this package authenticates
// the event, asks the service, and renders what it returns.
package addon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/service"
)

// The add-on's endpoints, as deployment.json names them.
const (
	PathHomepage = "/addon/homepage"
	PathMessage  = "/addon/message"
	PathCompose  = "/addon/compose"
	PathAction   = "/addon/action"
	PathPreview  = "/dev/addon"
)

// MaxBody caps an event body; real events are a few KiB.
const MaxBody = 1 << 20

// Config wires the add-on endpoints.
type Config struct {
	Service *service.Service
	// Verifier checks Google ID tokens (the system token in Authorization
	// and the user's userIdToken).
	Verifier auth.Verifier
	// ServiceAccount is the add-on's service account (DISCREET_ADDON_SA):
	// the only caller accepted.
	ServiceAccount string
	// ClientID is the deployment's OAuth client ID
	// (DISCREET_ADDON_CLIENT_ID), the audience of userIdToken.
	ClientID string
	// Audiences are accepted for the system token besides the URL called.
	Audiences []string
	// BaseURL is the public origin (https://HOST) that deployment.json
	// names; button actions call BaseURL + "/addon/action".
	BaseURL string
	// UserTokenAuth accepts the user's own ID token (audience ClientID or
	// one of Audiences) in Authorization instead of the system ID token:
	// the Apps Script forwarder (ScriptApp.getIdentityToken) sends that.
	// Off by default; the HTTP deployment uses SYSTEM_ID_TOKEN.
	UserTokenAuth bool
	// DevAuth accepts X-Dev-User in place of both tokens and serves the
	// browser preview at /dev/addon.
	DevAuth bool
	// Gmail reads the open message with the event's tokens; in
	// development cmd wires FixtureSource(DevMail()) here.
	Gmail service.MessageSource
	// DevMail are the example messages the preview offers (default
	// DevMail()).
	DevMail []fs.FS
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

type handler struct {
	cfg Config
	log *slog.Logger
}

// Register mounts the add-on endpoints (and, with DevAuth, the preview) on e.
func Register(e *echo.Echo, cfg Config) {
	h := &handler{cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	e.POST(PathHomepage, h.endpoint(false, h.homepage))
	e.POST(PathMessage, h.endpoint(false, h.message))
	e.POST(PathCompose, h.endpoint(false, h.compose))
	e.POST(PathAction, h.endpoint(true, h.action))
	if cfg.DevAuth {
		mail := cfg.DevMail
		if len(mail) == 0 {
			mail = []fs.FS{DevMail()}
		}
		registerPreview(e, fixtureSource(mail))
	}
}

// request is one authenticated event.
type request struct {
	ev   *Event
	user discreet.User
	v    *view
}

type endpointFunc func(ctx context.Context, r *request) (Response, error)

// errShown marks an error whose message was written for the user.
type errShown struct{ msg string }

func (e errShown) Error() string { return e.msg }

// endpoint authenticates the caller, decodes the event, signs the user in,
// runs fn, and turns every failure after the first step into an error
// card: Gmail shows a card or a generic failure, and a card that says what
// went wrong is the better of the two. A request that Google did not sign
// (no valid system ID token) gets no card: only Google calls these
// endpoints, so it is answered 401 problem+json by the host's error
// handler, before its body is read.
func (h *handler) endpoint(callback bool, fn endpointFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		ctx := req.Context()
		caller, err := h.authenticateCaller(c)
		if err != nil {
			h.log.WarnContext(ctx, "addon: request not from Google", "path", req.URL.Path, "err", err)
			return err
		}

		v := newView(nil, h.actionURL(c))
		fail := func(msg string) error {
			card := v.errorCard(msg)
			if callback {
				return c.JSON(http.StatusOK, render("", Navigation{PushCard: card}))
			}
			return c.JSON(http.StatusOK, pushCard(card))
		}

		body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, MaxBody))
		if err != nil {
			h.log.WarnContext(ctx, "addon: unreadable event", "path", req.URL.Path, "err", err)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return fail(v.t("This request is not a Gmail add-on event we understand: %s", "it is larger than 1 MiB"))
			}
			return fail(v.t("This request is not a Gmail add-on event we understand: %s", "the body could not be read"))
		}
		ev := &Event{}
		if err := decodeEvent(body, ev); err != nil {
			h.log.WarnContext(ctx, "addon: malformed event", "path", req.URL.Path, "err", err)
			return fail(v.t("This request is not a Gmail add-on event we understand: %s", err.Error()))
		}
		v = newView(ev, h.actionURL(c))

		user, err := h.signInUser(ctx, caller, ev)
		if err != nil {
			h.log.WarnContext(ctx, "addon: user not signed in", "path", req.URL.Path, "err", err)
			var shown errShown
			if errors.As(err, &shown) {
				return fail(shown.msg)
			}
			if discreet.ErrorCode(err) == discreet.EUnavailable {
				return fail(userMessage(v, err))
			}
			return fail(v.t("We could not verify this request. Reload Gmail and try again."))
		}

		resp, err := fn(ctx, &request{ev: ev, user: user, v: v})
		if err != nil {
			level := slog.LevelInfo
			if code := discreet.ErrorCode(err); code == discreet.EInternal || code == discreet.EUnavailable {
				level = slog.LevelError
			}
			h.log.Log(ctx, level, "addon: request failed", "path", req.URL.Path, "action", ev.param("action"), "user", user.Email, "err", err)
			return fail(userMessage(v, err))
		}
		return c.JSON(http.StatusOK, resp)
	}
}

// decodeEvent reads the event and checks the little every event has.
func decodeEvent(body []byte, ev *Event) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return errors.New("the body is empty")
	}
	if err := json.Unmarshal(body, ev); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ):
			return errors.New("the field " + typ.Field + " has the wrong type")
		case errors.As(err, &syn):
			return errors.New("the body is not JSON")
		}
		return errors.New("the body is not a JSON object")
	}
	if ev.Common.HostApp != "" && ev.Common.HostApp != "GMAIL" {
		return errors.New("the add-on only runs in Gmail, not " + ev.Common.HostApp)
	}
	return nil
}

// userMessage is what the error card says about err.
func userMessage(v *view, err error) string {
	var shown errShown
	if errors.As(err, &shown) {
		return shown.msg
	}
	switch discreet.ErrorCode(err) {
	case discreet.EInternal, discreet.EUnavailable:
		return v.t("Discreet is not available right now. Try again in a moment.")
	}
	return discreet.ErrorMessage(err)
}

// actionURL is the URL buttons call: the configured origin, else the one
// this request came in on.
func (h *handler) actionURL(c echo.Context) string { return h.origin(c) + PathAction }

func (h *handler) origin(c echo.Context) string {
	if h.cfg.BaseURL != "" {
		return strings.TrimRight(h.cfg.BaseURL, "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

// caller is who authenticateCaller found: Google (the add-on's system ID
// token, the user still to be read from the event), a user already (the
// Apps Script forwarder's user ID token), or the dev user.
type caller struct {
	user *service.Identity
}

// authenticateCaller checks that Google sent the request: the add-on's
// system ID token in Authorization (or, with UserTokenAuth, the user's own
// ID token; in dev mode X-Dev-User). Any failure is the caller's answer:
// unauthenticated (401), or unavailable (503) when Google's keys cannot
// be fetched to tell.
func (h *handler) authenticateCaller(c echo.Context) (caller, error) {
	ctx := c.Request().Context()
	if h.cfg.DevAuth {
		if dev := strings.TrimSpace(c.Request().Header.Get("X-Dev-User")); dev != "" {
			// Dev mode is loopback only; its users are treated as Workspace
			// accounts of their own domain, so the hosted-domain rule of
			// sign-in still applies (service.DevIdentity).
			id := service.DevIdentity(dev)
			return caller{user: &id}, nil
		}
	}
	if h.cfg.Verifier == nil {
		return caller{}, discreet.Errorf(discreet.EUnauthenticated, "no ID-token verifier configured")
	}
	if h.cfg.ClientID == "" || h.cfg.ServiceAccount == "" && !h.cfg.UserTokenAuth {
		return caller{}, discreet.Errorf(discreet.EUnauthenticated, "DISCREET_ADDON_SA and DISCREET_ADDON_CLIENT_ID must be configured")
	}
	token, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return caller{}, discreet.Errorf(discreet.EUnauthenticated, "no ID token in Authorization")
	}
	token = strings.TrimSpace(token)
	if h.cfg.UserTokenAuth {
		who, err := h.cfg.Verifier.Verify(ctx, token, append([]string{h.cfg.ClientID}, h.cfg.Audiences...)...)
		if err != nil {
			return caller{}, err
		}
		return caller{user: &service.Identity{Email: who.Email, HostedDomain: who.HostedDomain}}, nil
	}
	audiences := append([]string{h.origin(c) + c.Request().URL.Path}, h.cfg.Audiences...)
	sys, err := h.cfg.Verifier.Verify(ctx, token, audiences...)
	if err != nil {
		return caller{}, err
	}
	if !strings.EqualFold(sys.Email, strings.TrimSpace(h.cfg.ServiceAccount)) {
		return caller{}, discreet.Errorf(discreet.EUnauthenticated, "the system ID token is from %s, not the add-on", sys.Email)
	}
	return caller{}, nil
}

// signInUser signs in the user of a request Google sent: the one the
// caller's token named, else whoever the event's userIdToken says, never
// an address from anywhere else in the body.
func (h *handler) signInUser(ctx context.Context, c caller, ev *Event) (discreet.User, error) {
	if c.user != nil {
		return h.signIn(ctx, *c.user)
	}
	who, err := h.cfg.Verifier.Verify(ctx, ev.Authorization.UserIDToken, h.cfg.ClientID)
	if err != nil {
		return discreet.User{}, err
	}
	return h.signIn(ctx, service.Identity{Email: who.Email, HostedDomain: who.HostedDomain})
}

// signIn asks the service who the verified address is; a refusal is shown
// as the service words it (e.g. not a member of the org).
func (h *handler) signIn(ctx context.Context, id service.Identity) (discreet.User, error) {
	u, err := h.cfg.Service.SignInIdentity(ctx, id)
	if err != nil {
		if discreet.ErrorCode(err) == discreet.EUnauthenticated || discreet.ErrorCode(err) == discreet.EPermission {
			return discreet.User{}, errShown{discreet.ErrorMessage(err)}
		}
		return discreet.User{}, err
	}
	return u, nil
}
