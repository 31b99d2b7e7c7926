package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// FuzzImportNeverLog imports arbitrary text as a Never Log file: a file
// with any bad line changes nothing, and a good one round-trips through
// the export (export → remove all → import the export → same list).
//
//	go test -run='^$' -fuzz=FuzzImportNeverLog -fuzztime=60s ./service
func FuzzImportNeverLog(f *testing.F) {
	for _, s := range []string{
		"anna@example.com\n@example.org\n", "# comment\n\n*@sub.example.net,HR provider\n",
		"pattern,note,addedBy,addedAt\n@hr-partner.example,\"HR, payroll\",a@b.example,2026-01-01T00:00:00Z\n",
		"good@example.com\nbad@@example.com\n", "*foo@example.com", "\ufeffexample.com\r\n",
		"\"Keller, Beat\" <beat@example.ch>", "a@b\n", "x@xn--bcher-kva.example\n", "Bücher.example\n",
		// Patterns and notes a spreadsheet would run, and patterns that
		// really start with ' or those characters.
		"=a@x.example,=HYPERLINK(\"http://evil.example\")\n-b@x.example,+41 44\n'=c@x.example\n''@x.example\n'o'brien@x.example,@home\n",
		"'@x.example\n@y.example,-\n",
	} {
		f.Add(s)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	svc := service.New(service.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	admin := discreet.User{Email: "admin@acme.example", Role: discreet.RoleAdmin}
	if _, err := svc.AddNeverLog(ctx, admin, service.AddNeverLogRequest{Pattern: "@kept.example", Note: "there before"}); err != nil {
		f.Fatal(err)
	}
	list := func(t *testing.T) []string {
		t.Helper()
		es, err := svc.ExportNeverLog(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.Pattern + "\x00" + e.Note
		}
		slices.Sort(out)
		return out
	}
	// reset removes every entry but the first one.
	reset := func(t *testing.T, keepKept bool) {
		t.Helper()
		es, err := svc.ExportNeverLog(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if keepKept && e.Pattern == "@kept.example" {
				continue
			}
			if err := svc.RemoveNeverLog(ctx, admin, e.ID); err != nil {
				t.Fatal(err)
			}
		}
	}

	f.Fuzz(func(t *testing.T, text string) {
		before := list(t)
		_, err := svc.ImportNeverLog(ctx, admin, text)
		after := list(t)
		if err != nil {
			if !slices.Equal(before, after) {
				t.Fatalf("a refused import (%v) changed the list:\nbefore %q\nafter  %q", err, before, after)
			}
			return
		}
		exported := mustExport(t, svc, admin)
		export := service.ExportNeverLogCSV(exported)
		noFormulas(t, export)
		reset(t, false)
		if _, err := svc.ImportNeverLog(ctx, admin, string(export)); err != nil {
			t.Fatalf("the export of an accepted import is refused: %v\n%s", err, export)
		}
		if again := list(t); !slices.Equal(after, again) {
			t.Fatalf("the list changed in a round trip through the export:\nimported %q\nre-read  %q", after, again)
		}
		reset(t, true)
	})
}

// noFormulas fails when a cell of an export would run as a spreadsheet
// formula.
func noFormulas(t *testing.T, export []byte) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(export))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, export)
	}
	for _, rec := range recs {
		for _, cell := range rec {
			if cell != "" && strings.IndexByte("=+-@\t\r", cell[0]) >= 0 {
				t.Fatalf("the export has a formula cell %q:\n%s", cell, export)
			}
		}
	}
}

func mustExport(t *testing.T, svc *service.Service, admin discreet.User) []discreet.NeverLogEntry {
	t.Helper()
	es, err := svc.ExportNeverLog(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	return es
}
