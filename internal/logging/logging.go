// Package logging writes slog records as the JSON lines Cloud Logging reads
// from stdout/stderr on App Engine and Cloud Run: "severity" instead of
// "level", "message" instead of "msg", and the request's trace under
// "logging.googleapis.com/trace" so a request's lines group together.
package logging

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// Keys Cloud Logging gives meaning to.
const (
	SeverityKey = "severity"
	MessageKey  = "message"
	TraceKey    = "logging.googleapis.com/trace"
	SpanKey     = "logging.googleapis.com/spanId"
	RequestKey  = "requestId"
)

// NewHandler returns a JSON handler writing records at level or above to w
// in Cloud Logging's structured format, adding the trace and request id
// found in the record's context.
func NewHandler(w io.Writer, level slog.Leveler) slog.Handler {
	base := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: replace})
	return &handler{base: base, inner: base}
}

// Severity is Cloud Logging's name for level.
func Severity(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARNING"
	}
	return "ERROR"
}

func replace(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		if l, ok := a.Value.Any().(slog.Level); ok {
			return slog.String(SeverityKey, Severity(l))
		}
	case slog.MessageKey:
		return slog.Attr{Key: MessageKey, Value: a.Value}
	}
	return a
}

// handler keeps the derivations (WithAttrs, WithGroup) made on it so that
// the context's trace lands at the top level even inside a group.
type handler struct {
	base  slog.Handler // no attrs, no groups
	inner slog.Handler // base with ops applied
	ops   []func(slog.Handler) slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	attrs := contextAttrs(ctx)
	if len(attrs) == 0 {
		return h.inner.Handle(ctx, r)
	}
	if len(h.ops) == 0 {
		r.AddAttrs(attrs...)
		return h.inner.Handle(ctx, r)
	}
	inner := h.base.WithAttrs(attrs)
	for _, op := range h.ops {
		inner = op(inner)
	}
	return inner.Handle(ctx, r)
}

func (h *handler) derive(op func(slog.Handler) slog.Handler) *handler {
	ops := append(h.ops[:len(h.ops):len(h.ops)], op)
	return &handler{base: h.base, inner: op(h.inner), ops: ops}
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	return h.derive(func(x slog.Handler) slog.Handler { return x.WithAttrs(as) })
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.derive(func(x slog.Handler) slog.Handler { return x.WithGroup(name) })
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	traceKey
	spanKey
)

// WithRequestID returns ctx carrying the request id logged with every line.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID is the request id in ctx, "" if none.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// WithTrace returns ctx carrying trace ("projects/P/traces/T") and, when
// known, the span id.
func WithTrace(ctx context.Context, trace, span string) context.Context {
	ctx = context.WithValue(ctx, traceKey, trace)
	if span != "" {
		ctx = context.WithValue(ctx, spanKey, span)
	}
	return ctx
}

// Trace is the trace in ctx, "" if none.
func Trace(ctx context.Context) string {
	s, _ := ctx.Value(traceKey).(string)
	return s
}

func contextAttrs(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	var as []slog.Attr
	if t := Trace(ctx); t != "" {
		as = append(as, slog.String(TraceKey, t))
		if s, _ := ctx.Value(spanKey).(string); s != "" {
			as = append(as, slog.String(SpanKey, s))
		}
	}
	if id := RequestID(ctx); id != "" {
		as = append(as, slog.String(RequestKey, id))
	}
	return as
}

var traceID = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// ParseCloudTrace reads an X-Cloud-Trace-Context header
// ("TRACE_ID/SPAN_ID;o=OPTIONS") into the trace name Cloud Logging wants,
// "projects/PROJECT/traces/TRACE_ID", and the span id. Without a project or
// a well-formed trace id it returns "", "".
func ParseCloudTrace(header, project string) (trace, span string) {
	if header == "" || project == "" {
		return "", ""
	}
	id, rest, _ := strings.Cut(header, "/")
	if !traceID.MatchString(id) {
		return "", ""
	}
	span, _, _ = strings.Cut(rest, ";")
	for _, c := range span {
		if c < '0' || c > '9' {
			span = ""
			break
		}
	}
	return "projects/" + project + "/traces/" + id, span
}
