package gateway

import (
	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/service"
)

// erase is POST /v1/erasures: a dry run answers 200 with the counts, an
// erasure 202 with its job (GET /v1/jobs/{id} follows it).
func (g *gateway) erase(c echo.Context) error {
	var req service.ErasureRequest
	if err := g.decodeJSON(c, &req); err != nil {
		return err
	}
	res, err := g.svc.Erase(c.Request().Context(), actor(c), req)
	if err != nil {
		return err
	}
	return startedOrOK(c, res.Job != nil, res)
}
