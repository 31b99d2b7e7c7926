package addon

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed preview.html
var previewHTML []byte

// registerPreview serves the browser preview of the side panel and the
// list of example messages it offers (dev mode only).
func registerPreview(e *echo.Echo, messages fixtureSource) {
	e.GET(PathPreview, func(c echo.Context) error {
		c.Response().Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:")
		return c.Blob(http.StatusOK, "text/html; charset=utf-8", previewHTML)
	})
	e.GET(PathPreview+"/messages", func(c echo.Context) error {
		return c.JSON(http.StatusOK, messages.list())
	})
}
