package service

import (
	"strings"
	"testing"
)

func TestNeutralizeCell(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"@hr-partner.example", "'@hr-partner.example"},
		{"=HYPERLINK(\"http://evil.example\")", "'=HYPERLINK(\"http://evil.example\")"},
		{"+41 44 000 00 00", "'+41 44 000 00 00"},
		{"-a@x.example", "'-a@x.example"},
		{"\tindented", "'\tindented"},
		{"\rreturn", "'\rreturn"},
		{"'=a@x.example", "''=a@x.example"}, // a pattern that starts with ' before =
		{"'@x.example", "''@x.example"},
		{"'o'brien@x.example", "'o'brien@x.example"}, // ' before harmless text stays as it is
		{"anna@x.example", "anna@x.example"},
		{"HR provider", "HR provider"},
		{"", ""},
		{"'", "'"},
	} {
		if got := neutralizeCell(tc.in); got != tc.out {
			t.Errorf("neutralizeCell(%q) = %q, want %q", tc.in, got, tc.out)
		}
		if got := restoreCell(tc.out); got != tc.in {
			t.Errorf("restoreCell(%q) = %q, want %q", tc.out, got, tc.in)
		}
	}
	// Hand-made files: a ' the way spreadsheets write "text" comes off;
	// any other ' is the pattern's own.
	for in, want := range map[string]string{
		"'@hr-partner.example": "@hr-partner.example",
		"'o'brien@x.example":   "'o'brien@x.example",
		"'anna@x.example":      "'anna@x.example",
	} {
		if got := restoreCell(in); got != want {
			t.Errorf("restoreCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCSVCell: what the export writes never starts a formula, and the
// import reads back exactly what was exported.
//
//	go test -run='^$' -fuzz=FuzzCSVCell -fuzztime=60s ./service
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"@a.example", "=1+1", "'=1", "''-x", "'o'b@x.example", "\t", "\r\n", "", "'", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := neutralizeCell(s)
		if out != "" && strings.IndexByte("=+-@\t\r", out[0]) >= 0 {
			t.Fatalf("neutralizeCell(%q) = %q starts a formula", s, out)
		}
		if back := restoreCell(out); back != s {
			t.Fatalf("restoreCell(neutralizeCell(%q)) = %q", s, back)
		}
	})
}
