package gateway

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// Handlers: decode, one service call, encode.

func ok(c echo.Context, v any) error { return writeJSON(c, http.StatusOK, echo.MIMEApplicationJSON, v) }
func created(c echo.Context, v any) error {
	return writeJSON(c, http.StatusCreated, echo.MIMEApplicationJSON, v)
}

// accepted answers work handed to a job; the body names the job.
func accepted(c echo.Context, v any) error {
	return writeJSON(c, http.StatusAccepted, echo.MIMEApplicationJSON, v)
}

// items wraps a list that has no further pages.
type items[T any] struct {
	Items []T `json:"items"`
}

func list[T any](v []T) items[T] {
	if v == nil {
		v = []T{}
	}
	return items[T]{Items: v}
}

func page[T any](p service.Page[T]) service.Page[T] {
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}

// param is a path parameter, percent-decoded (Echo hands over the raw
// segment when the path was escaped, e.g. %40 for @).
func param(c echo.Context, name string) (string, error) {
	v, err := url.PathUnescape(c.Param(name))
	if err != nil || v == "" {
		return "", discreet.FieldError(name, "is not a valid path segment")
	}
	return v, nil
}

// paging reads limit and cursor; limit 0 lets the service choose.
func paging(c echo.Context) (int, string, error) {
	limit := 0
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			return 0, "", discreet.FieldError("limit", "must be a number from 1 to %d", MaxPageSize)
		}
		limit = n
	}
	return limit, c.QueryParam("cursor"), nil
}

func (g *gateway) healthz(c echo.Context) error { return ok(c, map[string]string{"status": "ok"}) }

func (g *gateway) readyz(c echo.Context) error {
	if g.ready != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
		defer cancel()
		if err := g.ready(ctx); err != nil {
			e := discreet.Wrap(err, discreet.EUnavailable, "the store is not reachable")
			e.RetryAfter = defaultRetryAfter
			return e
		}
	}
	body := map[string]any{"status": "ready"}
	if g.details != nil {
		for k, v := range g.details() {
			body[k] = v
		}
	}
	return ok(c, body)
}

// warm answers App Engine's warmup request once what the first requests
// need is open; a failure is a 503, and App Engine then starts the
// instance on a user's request instead.
func (g *gateway) warm(c echo.Context) error {
	if g.warmup != nil {
		if err := g.warmup(c.Request().Context()); err != nil {
			e := discreet.Wrap(err, discreet.EUnavailable, "warming up failed")
			e.RetryAfter = defaultRetryAfter
			return e
		}
	}
	return ok(c, map[string]string{"status": "warm"})
}

func (g *gateway) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openAPI)
}

func (g *gateway) me(c echo.Context) error {
	m, err := g.svc.Me(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return ok(c, m)
}

func (g *gateway) teams(c echo.Context) error {
	ts, err := g.svc.Teams(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return ok(c, list(ts))
}

type teamRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (g *gateway) putTeam(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	var req teamRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.ID != "" && req.ID != id {
		return discreet.FieldError("id", "differs from the id in the path")
	}
	t, err := g.svc.PutTeam(c.Request().Context(), actor(c), discreet.Team{ID: id, Name: req.Name})
	if err != nil {
		return err
	}
	return ok(c, t)
}

func (g *gateway) users(c echo.Context) error {
	limit, cursor, err := paging(c)
	if err != nil {
		return err
	}
	p, err := g.svc.Users(c.Request().Context(), actor(c), limit, cursor)
	if err != nil {
		return err
	}
	return ok(c, page(p))
}

func (g *gateway) user(c echo.Context) error {
	email, err := param(c, "email")
	if err != nil {
		return err
	}
	u, err := g.svc.User(c.Request().Context(), actor(c), email)
	if err != nil {
		return err
	}
	return ok(c, u)
}

type userRequest struct {
	Email string        `json:"email"`
	Name  string        `json:"name"`
	Role  discreet.Role `json:"role"`
	Teams []string      `json:"teams"`
}

func (g *gateway) putUser(c echo.Context) error {
	email, err := param(c, "email")
	if err != nil {
		return err
	}
	var req userRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Email != "" && !strings.EqualFold(req.Email, email) {
		return discreet.FieldError("email", "differs from the email in the path")
	}
	u, err := g.svc.PutUser(c.Request().Context(), actor(c), discreet.User{Email: email, Name: req.Name, Role: req.Role, Teams: req.Teams})
	if err != nil {
		return err
	}
	return ok(c, u)
}

func (g *gateway) neverLog(c echo.Context) error {
	limit, cursor, err := paging(c)
	if err != nil {
		return err
	}
	p, err := g.svc.NeverLog(c.Request().Context(), actor(c), limit, cursor)
	if err != nil {
		return err
	}
	return ok(c, page(p))
}

func (g *gateway) addNeverLog(c echo.Context) error {
	var req service.AddNeverLogRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	res, err := g.svc.AddNeverLog(c.Request().Context(), actor(c), req)
	if err != nil {
		return err
	}
	return created(c, res)
}

func (g *gateway) removeNeverLog(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	if err := g.svc.RemoveNeverLog(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (g *gateway) importNeverLog(c echo.Context) error {
	text, err := g.readText(c)
	if err != nil {
		return err
	}
	res, err := g.svc.ImportNeverLog(c.Request().Context(), actor(c), text)
	if err != nil {
		return err
	}
	return startedOrOK(c, res.Job != nil, res)
}

func (g *gateway) exportNeverLog(c echo.Context) error {
	entries, err := g.svc.ExportNeverLog(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="never-log.csv"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", service.ExportNeverLogCSV(entries))
}

type checkRequest struct {
	Addresses []string `json:"addresses"`
}

func (g *gateway) checkNeverLog(c echo.Context) error {
	var req checkRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	res, err := g.svc.CheckNeverLog(c.Request().Context(), actor(c), req.Addresses)
	if err != nil {
		return err
	}
	return ok(c, list(res))
}

func (g *gateway) purgeNeverLog(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	dryRun, err := dryRunParam(c)
	if err != nil {
		return err
	}
	res, err := g.svc.PurgeNeverLog(c.Request().Context(), actor(c), id, dryRun)
	if err != nil {
		return err
	}
	return startedOrOK(c, res.Job != nil, res)
}

// dryRunParam is the ?dryRun= flag of a purge or a protection; absent is
// false.
func dryRunParam(c echo.Context) (bool, error) {
	s := c.QueryParam("dryRun")
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, discreet.FieldError("dryRun", "must be true or false")
	}
	return v, nil
}

// startedOrOK answers 202 with res when it started a job, else 200.
func startedOrOK(c echo.Context, started bool, res any) error {
	if started {
		return accepted(c, res)
	}
	return ok(c, res)
}

func (g *gateway) jobs(c echo.Context) error {
	limit, cursor, err := paging(c)
	if err != nil {
		return err
	}
	p, err := g.svc.Jobs(c.Request().Context(), actor(c), limit, cursor)
	if err != nil {
		return err
	}
	return ok(c, page(p))
}

func (g *gateway) job(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	j, err := g.svc.Job(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return ok(c, j)
}

type logRequest struct {
	Raw            string              `json:"raw"`
	GmailMessageID string              `json:"gmailMessageId"`
	Log            *bool               `json:"log"`
	Visibility     discreet.Visibility `json:"visibility"`
}

// Gmail credentials of the caller, for logging by Gmail message id.
const (
	HeaderGmailAuthorization = "X-Gmail-Authorization"
	HeaderGmailAccessToken   = "X-Goog-Gmail-Access-Token"
)

func (g *gateway) logEmail(c echo.Context) error {
	var req logRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	lr := service.LogRequest{GmailMessageID: req.GmailMessageID, Log: req.Log, Visibility: req.Visibility}
	switch {
	case req.Raw != "" && req.GmailMessageID != "":
		return discreet.FieldError("raw", "give raw or gmailMessageId, not both")
	case req.Raw != "":
		raw, err := decodeRaw(req.Raw)
		if err != nil {
			return err
		}
		lr.Raw = raw
	case req.GmailMessageID != "":
		h := c.Request().Header
		if s := h.Get(HeaderGmailAuthorization); s != "" {
			scheme, token, found := strings.Cut(s, " ")
			if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
				return discreet.FieldError(HeaderGmailAuthorization, "must be Bearer <OAuth token>")
			}
			lr.Gmail.OAuthToken = token
		}
		lr.Gmail.AccessToken = h.Get(HeaderGmailAccessToken)
		if lr.Gmail.OAuthToken == "" {
			return discreet.FieldError(HeaderGmailAuthorization, "is needed to read the message from Gmail")
		}
	}
	res, err := g.svc.LogEmail(c.Request().Context(), actor(c), lr)
	if err != nil {
		return err
	}
	if res.Created {
		return created(c, res)
	}
	return ok(c, res)
}

// decodeRaw reads base64url as the contract says, and standard base64 as
// clients often send, padded or not, line-wrapped or not.
func decodeRaw(s string) ([]byte, error) {
	// Gmail's own form first: it is what nearly every client sends, and
	// then the clean-up below would change nothing (the decoder skips line
	// breaks; '=', '+' and '/' fail it).
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	enc := base64.RawURLEncoding
	if strings.ContainsAny(s, "+/") {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, discreet.FieldError("raw", "must be the message in base64url")
	}
	return b, nil
}

func (g *gateway) email(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	v, err := g.svc.Email(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return ok(c, v)
}

type visibilityRequest struct {
	Visibility discreet.Visibility `json:"visibility"`
}

func (g *gateway) setVisibility(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	var req visibilityRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	v, err := g.svc.SetVisibility(c.Request().Context(), actor(c), id, req.Visibility)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (g *gateway) unlog(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	if err := g.svc.Unlog(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (g *gateway) searchContacts(c echo.Context) error {
	limit, _, err := paging(c)
	if err != nil {
		return err
	}
	res, err := g.svc.SearchContacts(c.Request().Context(), actor(c), c.QueryParam("q"), limit)
	if err != nil {
		return err
	}
	return ok(c, list(res))
}

func (g *gateway) contact(c echo.Context) error {
	email, err := param(c, "email")
	if err != nil {
		return err
	}
	v, err := g.svc.Contact(c.Request().Context(), actor(c), email)
	if err != nil {
		return err
	}
	return ok(c, v)
}

type ownerRequest struct {
	Owner string `json:"owner"`
}

func (g *gateway) setContactOwner(c echo.Context) error {
	email, err := param(c, "email")
	if err != nil {
		return err
	}
	var req ownerRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	v, err := g.svc.SetContactOwner(c.Request().Context(), actor(c), email, req.Owner)
	if err != nil {
		return err
	}
	return ok(c, v)
}

func (g *gateway) timeline(c echo.Context) error {
	email, err := param(c, "email")
	if err != nil {
		return err
	}
	limit, cursor, err := paging(c)
	if err != nil {
		return err
	}
	v, err := g.svc.Timeline(c.Request().Context(), actor(c), email, limit, cursor)
	if err != nil {
		return err
	}
	if v.Items == nil {
		v.Items = []service.TimelineItem{}
	}
	return ok(c, v)
}

func (g *gateway) putIntent(c echo.Context) error {
	var req service.IntentRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	in, err := g.svc.PutIntent(c.Request().Context(), actor(c), req)
	if err != nil {
		return err
	}
	return ok(c, in)
}

func (g *gateway) orgSettings(c echo.Context) error {
	s, err := g.svc.OrgSettings(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return ok(c, s)
}

func (g *gateway) putOrgSettings(c echo.Context) error {
	var req discreet.OrgSettings
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	s, err := g.svc.PutOrgSettings(c.Request().Context(), actor(c), req)
	if err != nil {
		return err
	}
	return ok(c, s)
}

func (g *gateway) mySettings(c echo.Context) error {
	s, err := g.svc.MySettings(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return ok(c, s)
}

func (g *gateway) putMySettings(c echo.Context) error {
	var req service.MySettings
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	s, err := g.svc.PutMySettings(c.Request().Context(), actor(c), req)
	if err != nil {
		return err
	}
	return ok(c, s)
}

func (g *gateway) audit(c echo.Context) error {
	limit, cursor, err := paging(c)
	if err != nil {
		return err
	}
	p, err := g.svc.Audit(c.Request().Context(), actor(c), limit, cursor)
	if err != nil {
		return err
	}
	return ok(c, page(p))
}
