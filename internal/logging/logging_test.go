package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet/internal/logging"
)

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestSeverityAndMessage(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logging.NewHandler(&buf, slog.LevelDebug))
	log.Debug("d")
	log.Info("i", "k", 1)
	log.Warn("w")
	log.Error("e")
	log.Log(context.Background(), slog.LevelError+4, "e+4")
	want := []string{"DEBUG", "INFO", "WARNING", "ERROR", "ERROR"}
	got := lines(t, &buf)
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d: %s", len(got), len(want), buf.String())
	}
	for i, m := range got {
		if m["severity"] != want[i] {
			t.Errorf("line %d severity = %v, want %s", i, m["severity"], want[i])
		}
		if _, ok := m["level"]; ok {
			t.Errorf("line %d has level", i)
		}
		if _, ok := m["msg"]; ok {
			t.Errorf("line %d has msg", i)
		}
		if m["message"] == nil || m["time"] == nil {
			t.Errorf("line %d = %v", i, m)
		}
	}
}

func TestLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logging.NewHandler(&buf, slog.LevelWarn))
	log.Info("quiet")
	log.Warn("loud")
	if got := lines(t, &buf); len(got) != 1 || got[0]["message"] != "loud" {
		t.Fatalf("got %v", got)
	}
}

func TestTraceAndRequestIDFromContext(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logging.NewHandler(&buf, slog.LevelInfo))
	ctx := logging.WithRequestID(context.Background(), "req-1")
	trace, span := logging.ParseCloudTrace("105445aa7843bc8bf206b12000100000/1;o=1", "my-proj")
	ctx = logging.WithTrace(ctx, trace, span)
	log.InfoContext(ctx, "plain")
	log.With("a", 1).WithGroup("g").InfoContext(ctx, "grouped", "b", 2)
	log.Info("no context")
	got := lines(t, &buf)
	for _, m := range got[:2] {
		if m[logging.TraceKey] != "projects/my-proj/traces/105445aa7843bc8bf206b12000100000" ||
			m[logging.SpanKey] != "1" || m["requestId"] != "req-1" {
			t.Errorf("line = %v", m)
		}
	}
	if g, _ := got[1]["g"].(map[string]any); g["b"] != 2.0 || got[1]["a"] != 1.0 {
		t.Errorf("grouped line = %v", got[1])
	}
	if _, ok := got[2][logging.TraceKey]; ok {
		t.Errorf("trace without context: %v", got[2])
	}
}

func TestParseCloudTrace(t *testing.T) {
	for _, tc := range []struct{ header, project, trace, span string }{
		{"105445aa7843bc8bf206b12000100000/1;o=1", "p", "projects/p/traces/105445aa7843bc8bf206b12000100000", "1"},
		{"105445aa7843bc8bf206b12000100000", "p", "projects/p/traces/105445aa7843bc8bf206b12000100000", ""},
		{"105445aa7843bc8bf206b12000100000/1;o=1", "", "", ""},
		{"not-a-trace/1", "p", "", ""},
		{"", "p", "", ""},
		{"105445aa7843bc8bf206b12000100000/x\"y", "p", "projects/p/traces/105445aa7843bc8bf206b12000100000", ""},
	} {
		trace, span := logging.ParseCloudTrace(tc.header, tc.project)
		if trace != tc.trace || span != tc.span {
			t.Errorf("ParseCloudTrace(%q, %q) = %q, %q; want %q, %q", tc.header, tc.project, trace, span, tc.trace, tc.span)
		}
	}
}
