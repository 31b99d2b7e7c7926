package gateway

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
)

// Problem is an RFC 9457 problem document, the body of every error.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	// Field names the request field at fault, when there is one.
	Field string `json:"field,omitempty"`
	// Errors carries structured details, e.g. an import's bad lines.
	Errors any `json:"errors,omitempty"`
}

// Codes the gateway adds for HTTP-level failures the domain never makes.
const codeMethodNotAllowed discreet.Code = "method_not_allowed"

var statusOf = map[discreet.Code]int{
	discreet.EInvalid:         http.StatusBadRequest,
	discreet.EUnauthenticated: http.StatusUnauthorized,
	discreet.EPermission:      http.StatusForbidden,
	discreet.ENotFound:        http.StatusNotFound,
	discreet.EConflict:        http.StatusConflict,
	discreet.ETooLarge:        http.StatusRequestEntityTooLarge,
	discreet.EUnsupported:     http.StatusUnsupportedMediaType,
	discreet.ERateLimited:     http.StatusTooManyRequests,
	discreet.EUnavailable:     http.StatusServiceUnavailable,
	discreet.EInternal:        http.StatusInternalServerError,
	codeMethodNotAllowed:      http.StatusMethodNotAllowed,
}

var titleOf = map[discreet.Code]string{
	discreet.EInvalid:         "Invalid argument",
	discreet.EUnauthenticated: "Sign-in required",
	discreet.EPermission:      "Permission denied",
	discreet.ENotFound:        "Not found",
	discreet.EConflict:        "Conflict",
	discreet.ETooLarge:        "Request too large",
	discreet.EUnsupported:     "Unsupported media type",
	discreet.ERateLimited:     "Too many requests",
	discreet.EUnavailable:     "Temporarily unavailable",
	discreet.EInternal:        "Internal error",
	codeMethodNotAllowed:      "Method not allowed",
}

// defaultRetryAfter is the hint when an unavailable or rate_limited error
// carries none.
const defaultRetryAfter = 5 * time.Second

// ProblemType is the type URI of problems with code.
func ProblemType(code discreet.Code) string { return "urn:discreet:problem:" + string(code) }

// asDomainError turns any error into a *discreet.Error: Echo's own (unknown
// route, method not allowed) by status, anything unknown as internal.
func asDomainError(err error) *discreet.Error {
	var de *discreet.Error
	if errors.As(err, &de) {
		return de
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return discreet.Errorf(discreet.ENotFound, "no such route")
		case http.StatusMethodNotAllowed:
			return discreet.Errorf(codeMethodNotAllowed, "this route does not allow the method")
		case http.StatusRequestEntityTooLarge:
			return discreet.Errorf(discreet.ETooLarge, "the request body is too large")
		case http.StatusUnsupportedMediaType:
			return discreet.Errorf(discreet.EUnsupported, "unsupported content type")
		case http.StatusUnauthorized:
			return discreet.Errorf(discreet.EUnauthenticated, "sign in first")
		case http.StatusForbidden:
			return discreet.Errorf(discreet.EPermission, "permission denied")
		case http.StatusTooManyRequests:
			return discreet.Errorf(discreet.ERateLimited, "too many requests")
		case http.StatusServiceUnavailable:
			return discreet.Errorf(discreet.EUnavailable, "temporarily unavailable")
		}
		if he.Code >= 400 && he.Code < 500 {
			return discreet.Wrap(err, discreet.EInvalid, "bad request")
		}
	}
	return discreet.Wrap(err, discreet.EInternal, "internal error")
}

// handleError is the one place errors become responses.
func (g *gateway) handleError(err error, c echo.Context) {
	de := asDomainError(err)
	code := de.Code
	status, ok := statusOf[code]
	if !ok {
		code, status = discreet.EInternal, http.StatusInternalServerError
	}
	p := Problem{
		Type:   ProblemType(code),
		Title:  titleOf[code],
		Status: status,
		Detail: de.Message,
		Code:   string(code),
		Field:  de.Field,
		Errors: de.Details,
	}
	ctx := c.Request().Context()
	switch {
	case status >= 500:
		level := slog.LevelError
		if code == discreet.EUnavailable {
			level = slog.LevelWarn
		}
		g.log.Log(ctx, level, "request failed", "code", code, "err", err.Error())
	}
	if code == discreet.EInternal {
		// The cause is in the log line above; the caller learns nothing of it.
		p.Detail, p.Field, p.Errors = "internal error", "", nil
	}
	if p.Detail == "" {
		p.Detail = p.Title
	}
	if c.Response().Committed {
		return
	}
	h := c.Response().Header()
	if code == discreet.EUnavailable || code == discreet.ERateLimited {
		ra := de.RetryAfter
		if ra <= 0 {
			ra = defaultRetryAfter
		}
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
	}
	if code == discreet.EUnauthenticated {
		h.Set("WWW-Authenticate", `Bearer realm="discreet"`)
	}
	h.Set("Cache-Control", "no-store")
	if err := writeJSON(c, status, "application/problem+json", p); err != nil {
		g.log.WarnContext(ctx, "writing a problem failed", "err", err)
	}
}
