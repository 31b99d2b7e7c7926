package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/service"
)

// Protected contacts and domains, and custodian transfer (admin).

type protectBody struct {
	Note string `json:"note"`
}

// protect is PUT /v1/protected/{pattern}: ?dryRun=true answers 200 with
// the count and changes nothing; otherwise 202 with the entry and the
// narrowing job. The body ({"note"}) may be left out.
func (g *gateway) protect(c echo.Context) error {
	pattern, err := param(c, "pattern")
	if err != nil {
		return err
	}
	req := service.ProtectRequest{}
	if req.DryRun, err = dryRunParam(c); err != nil {
		return err
	}
	if c.Request().ContentLength != 0 {
		var b protectBody
		if err := g.decodeJSON(c, &b); err != nil {
			return err
		}
		req.Note = b.Note
	}
	res, err := g.svc.Protect(c.Request().Context(), actor(c), pattern, req)
	if err != nil {
		return err
	}
	return startedOrOK(c, res.Job != nil, res)
}

func (g *gateway) unprotect(c echo.Context) error {
	pattern, err := param(c, "pattern")
	if err != nil {
		return err
	}
	if err := g.svc.Unprotect(c.Request().Context(), actor(c), pattern); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (g *gateway) protectedEntries(c echo.Context) error {
	res, err := g.svc.ProtectedEntries(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return ok(c, list(res))
}

// transferUser is POST /v1/users/{email}:transfer: 202 with the job.
func (g *gateway) transferUser(c echo.Context) error {
	email, err := param(c, "email")
	if err != nil {
		return err
	}
	var req service.TransferRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	j, err := g.svc.TransferUser(c.Request().Context(), actor(c), email, req)
	if err != nil {
		return err
	}
	return accepted(c, j)
}
