package service_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// TestImportLineLimit: MaxImportLines lines are accepted whether or not
// the file ends with a line end (as every editor writes it); one more is
// refused.
func TestImportLineLimit(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	file := func(lines int) string {
		var b strings.Builder
		for i := range lines {
			if i < 3 {
				fmt.Fprintf(&b, "@limit-%d.example\n", i)
			} else {
				b.WriteString("# comment\n")
			}
		}
		return b.String()
	}
	full := file(service.MaxImportLines)
	for name, text := range map[string]string{
		"with a final line end":    full,
		"without a final line end": strings.TrimSuffix(full, "\n"),
		"with CRLF line ends":      strings.ReplaceAll(full, "\n", "\r\n"),
	} {
		if _, err := s.svc.ImportNeverLog(ctx, s.admin, text); err != nil {
			t.Errorf("%s: %d lines refused: %v", name, service.MaxImportLines, err)
		}
	}
	_, err := s.svc.ImportNeverLog(ctx, s.admin, file(service.MaxImportLines+1))
	wantCode(t, err, discreet.ETooLarge, "")
	_, err = s.svc.ImportNeverLog(ctx, s.admin, full+"@one-more.example")
	wantCode(t, err, discreet.ETooLarge, "")
}

// TestNeverLogCSVNeutralized: an export opened in a spreadsheet runs no
// formula, and importing it gives the same list back, patterns that really
// start with those characters or with ' included.
func TestNeverLogCSVNeutralized(t *testing.T) {
	ctx := context.Background()
	s := newSeed(t)
	entries := []service.AddNeverLogRequest{
		{Pattern: "@hr-partner.example", Note: "@home office"},
		{Pattern: "=a@x.example", Note: `=HYPERLINK("http://evil.example","click")`},
		{Pattern: "-b@x.example", Note: "+41 44 000 00 00"},
		{Pattern: "'=c@x.example", Note: "-"},
		{Pattern: "'@x.example", Note: "'@ a quote before"},
		{Pattern: "'o'brien@x.example", Note: "'plain"},
	}
	for _, e := range entries {
		if _, err := s.svc.AddNeverLog(ctx, s.admin, e); err != nil {
			t.Fatalf("%s: %v", e.Pattern, err)
		}
	}
	before, err := s.svc.ExportNeverLog(ctx, s.admin)
	if err != nil {
		t.Fatal(err)
	}
	export := service.ExportNeverLogCSV(before)
	noFormulas(t, export)
	for _, line := range []string{
		"'@hr-partner.example,'@home office,",
		`'=a@x.example,"'=HYPERLINK(""http://evil.example"",""click"")",`,
		"'-b@x.example,'+41 44 000 00 00,",
		"''=c@x.example,'-,",
		"''@x.example,''@ a quote before,",
		"'o'brien@x.example,'plain,",
	} {
		if !strings.Contains(string(export), "\n"+line) {
			t.Errorf("the export lacks the line %q:\n%s", line, export)
		}
	}
	for _, e := range before {
		if err := s.svc.RemoveNeverLog(ctx, s.admin, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.svc.ImportNeverLog(ctx, s.admin, string(export)); err != nil {
		t.Fatalf("import of the export: %v", err)
	}
	after, err := s.svc.ExportNeverLog(ctx, s.admin)
	if err != nil {
		t.Fatal(err)
	}
	key := func(es []discreet.NeverLogEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Pattern+" | "+e.Note)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(key(before), key(after)) {
		t.Errorf("round trip changed the list:\nbefore %q\nafter  %q", key(before), key(after))
	}
}
