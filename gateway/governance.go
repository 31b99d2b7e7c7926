package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// Legal holds and sensitivity rules (admin): decode, one service call,
// encode.

func (g *gateway) legalHolds(c echo.Context) error {
	hs, err := g.svc.LegalHolds(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return ok(c, map[string]any{"holds": hs})
}

func (g *gateway) createLegalHold(c echo.Context) error {
	var req service.HoldRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	h, err := g.svc.CreateLegalHold(c.Request().Context(), actor(c), req)
	if err != nil {
		return err
	}
	return created(c, h)
}

func (g *gateway) liftLegalHold(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	if _, err := g.svc.LiftLegalHold(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (g *gateway) rules(c echo.Context) error {
	rs, err := g.svc.Rules(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return ok(c, map[string]any{"rules": rs})
}

func (g *gateway) addRule(c echo.Context) error {
	var req service.RuleRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := g.svc.AddRule(c.Request().Context(), actor(c), req)
	if err != nil {
		return err
	}
	return created(c, r)
}

func (g *gateway) removeRule(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	if err := g.svc.RemoveRule(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (g *gateway) purgeRule(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	dryRun, err := dryRunParam(c)
	if err != nil {
		return err
	}
	res, err := g.svc.PurgeRule(c.Request().Context(), actor(c), id, dryRun)
	if err != nil {
		return err
	}
	return startedOrOK(c, res.Job != nil, res)
}

// exportSubject is GET /v1/subjects/{address}:export: the service checks
// and audits the export before anything is written; the archive is then
// streamed to the response as the store is read. A failure midway leaves
// a truncated archive (no directory), which no zip reader accepts, and is
// logged by the error handler.
func (g *gateway) exportSubject(c echo.Context) error {
	addr, err := param(c, "address")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	x, err := g.svc.ExportSubject(ctx, actor(c), addr)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/zip")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+x.Filename+`"`)
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	return x.Stream(ctx, c.Response())
}

// previewRetention is POST /v1/retention:preview: the effect of a
// retention setting (the body) before it is saved.
func (g *gateway) previewRetention(c echo.Context) error {
	var r discreet.Retention
	if err := g.decodeJSON(c, &r); err != nil {
		return err
	}
	p, err := g.svc.PreviewRetention(c.Request().Context(), actor(c), r)
	if err != nil {
		return err
	}
	return ok(c, p)
}

// expiring is GET /v1/retention:expiring: what of the caller's own emails
// retention deletes within 30 days.
func (g *gateway) expiring(c echo.Context) error {
	x, err := g.svc.ExpiringSoon(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return ok(c, x)
}
