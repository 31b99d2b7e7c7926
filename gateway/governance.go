package gateway

import (
	"net/http"
	"strconv"

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
	dryRun := false
	if s := c.QueryParam("dryRun"); s != "" {
		if dryRun, err = strconv.ParseBool(s); err != nil {
			return discreet.FieldError("dryRun", "must be true or false")
		}
	}
	res, err := g.svc.PurgeRule(c.Request().Context(), actor(c), id, dryRun)
	if err != nil {
		return err
	}
	if res.Job != nil {
		return accepted(c, res)
	}
	return ok(c, res)
}
