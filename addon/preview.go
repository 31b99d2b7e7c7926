package addon

import "github.com/labstack/echo/v4"

func registerPreview(e *echo.Echo) {}
