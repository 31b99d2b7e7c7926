package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
)

// maxJSONDepth bounds nesting: no request of this API nests deeper than a
// few levels, and deep nesting only costs the server.
const maxJSONDepth = 16

// decodeJSON reads the request body into v, the one way every JSON request
// is read: application/json only (415), at most the configured size (413),
// no unknown fields, one value, bounded nesting (400 naming the field or
// the byte offset).
func (g *gateway) decodeJSON(c echo.Context, v any) error {
	if err := requireType(c, "application/json"); err != nil {
		return err
	}
	body, err := g.readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return discreet.Errorf(discreet.EInvalid, "the request body is empty; send a JSON object")
	}
	if off, ok := tooDeep(body, maxJSONDepth); ok {
		return discreet.Errorf(discreet.EInvalid, "JSON nested deeper than %d levels at byte offset %d", maxJSONDepth, off)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return discreet.Errorf(discreet.EInvalid, "unexpected data after the JSON object at byte offset %d", dec.InputOffset())
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return discreet.Errorf(discreet.EInvalid, "malformed JSON at byte offset %d: %s", syn.Offset, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return discreet.Errorf(discreet.EInvalid, "malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return discreet.Errorf(discreet.EInvalid, "the request body must be a JSON object")
		}
		return discreet.FieldError(typ.Field, "must be %s, not %s", jsonType(typ.Type.Kind().String()), typ.Value)
	}
	// encoding/json reports unknown fields only as text.
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f, _ = strconv.Unquote(f)
		return discreet.FieldError(f, "unknown field")
	}
	// Values a field's own UnmarshalJSON refuses.
	return discreet.Wrap(err, discreet.EInvalid, "invalid JSON value")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	}
	return "a " + kind
}

// tooDeep reports the offset at which body nests deeper than max.
func tooDeep(body []byte, max int) (int, bool) {
	depth, inString, escaped := 0, false, false
	for i, b := range body {
		switch {
		case escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case b == '"':
			inString = !inString
		case inString:
		case b == '{' || b == '[':
			if depth++; depth > max {
				return i, true
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return 0, false
}

// readBody reads the whole body, at most the route's limit (bodyLimit).
func (g *gateway) readBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	limit := g.maxBody
	if n, ok := c.Get(bodyLimitKey).(int64); ok {
		limit = n
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge(limit)
	}
	if err != nil {
		return nil, discreet.Wrap(err, discreet.EInvalid, "could not read the request body")
	}
	return b, nil
}

func tooLarge(max int64) error {
	return discreet.Errorf(discreet.ETooLarge, "the request body is larger than %d bytes", max)
}

// requireType checks the request's media type against the allowed ones.
func requireType(c echo.Context, allowed ...string) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return discreet.Errorf(discreet.EUnsupported, "send Content-Type: %s", strings.Join(allowed, " or "))
	}
	for _, a := range allowed {
		if mt == a {
			if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
				return discreet.Errorf(discreet.EUnsupported, "only the utf-8 charset is accepted")
			}
			return nil
		}
	}
	return discreet.Errorf(discreet.EUnsupported, "Content-Type %s is not accepted here; send %s", mt, strings.Join(allowed, " or "))
}

// readText reads a text/plain or text/csv body as UTF-8.
func (g *gateway) readText(c echo.Context) (string, error) {
	if err := requireType(c, "text/plain", "text/csv"); err != nil {
		return "", err
	}
	b, err := g.readBody(c)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", discreet.Errorf(discreet.EInvalid, "the body is not valid UTF-8")
	}
	return string(b), nil
}

// writeJSON encodes v with the given content type.
func writeJSON(c echo.Context, status int, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the response: %w", err)
	}
	return c.Blob(status, contentType, append(b, '\n'))
}
