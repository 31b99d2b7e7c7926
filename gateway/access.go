package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/service"
)

// requestAccess is POST /v1/access-requests: 201 with a new request, 200
// with the caller's identical pending one.
func (g *gateway) requestAccess(c echo.Context) error {
	var in service.AccessRequestInput
	if err := g.decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := g.svc.RequestAccess(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	if r.Created {
		return created(c, r)
	}
	return ok(c, r)
}

// accessRequests is GET /v1/access-requests?role=requester|approver.
func (g *gateway) accessRequests(c echo.Context) error {
	rs, err := g.svc.AccessRequests(c.Request().Context(), actor(c), c.QueryParam("role"))
	if err != nil {
		return err
	}
	return ok(c, list(rs))
}

func (g *gateway) accessRequest(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	r, err := g.svc.AccessRequest(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return ok(c, r)
}

func (g *gateway) grantAccess(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	var in service.GrantInput
	if err := g.decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := g.svc.GrantAccess(c.Request().Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	return ok(c, r)
}

func (g *gateway) denyAccess(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	var in service.DenyInput
	if err := g.decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := g.svc.DenyAccess(c.Request().Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	return ok(c, r)
}

func (g *gateway) shares(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	l, err := g.svc.Shares(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return ok(c, list(l))
}

func (g *gateway) shareEmail(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	var in service.ShareInput
	if err := g.decodeJSON(c, &in); err != nil {
		return err
	}
	sh, err := g.svc.ShareEmail(c.Request().Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	return created(c, sh)
}

func (g *gateway) revokeShare(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	shareID, err := param(c, "shareId")
	if err != nil {
		return err
	}
	if err := g.svc.RevokeShare(c.Request().Context(), actor(c), id, shareID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
