package gateway

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// The routes that work through many documents declare the long deadline;
// the others keep the default.
func TestLongRoutes(t *testing.T) {
	var long []string
	for _, r := range (&gateway{}).routes() {
		if r.Deadline != 0 {
			if r.Deadline != LongRequestTimeout {
				t.Errorf("%s %s: deadline %v", r.Method, r.Path, r.Deadline)
			}
			long = append(long, r.Method+" "+r.Path)
		}
	}
	want := []string{"POST /v1/never-log", "POST /v1/never-log:import", "POST /v1/never-log/{id}:purge", "POST /v1/erasures",
		"POST /v1/rules/{id}:purge", "GET /v1/subjects/{address}:export",
		"POST /v1/retention:preview"}
	if !slices.Equal(long, want) {
		t.Errorf("long routes %v, want %v", long, want)
	}
}

// Only the import takes bodies over the configured limit, and its own
// limit is ImportMaxBodyBytes.
func TestLargeBodyRoutes(t *testing.T) {
	var large []string
	for _, r := range (&gateway{}).routes() {
		if r.MaxBody != 0 {
			if r.MaxBody != ImportMaxBodyBytes {
				t.Errorf("%s %s: body limit %d", r.Method, r.Path, r.MaxBody)
			}
			large = append(large, r.Method+" "+r.Path)
		}
	}
	if want := []string{"POST /v1/never-log:import"}; !slices.Equal(large, want) {
		t.Errorf("routes with their own body limit %v, want %v", large, want)
	}
}

// decodeRaw reads every form clients send the same: base64url as Gmail
// gives it and standard base64, padded or not, wrapped in line breaks or
// spaces; anything else is a field error.
func TestDecodeRaw(t *testing.T) {
	for n := range 8 {
		msg := []byte("From: a@b.example\r\n\r\n\xfb\xff\xbf"[:19+n%4] + strings.Repeat("x", n))
		wrap := func(s string) string {
			var b strings.Builder
			for i := 0; i < len(s); i += 7 {
				b.WriteString(s[i:min(i+7, len(s))])
				b.WriteString("\r\n \t")
			}
			return b.String()
		}
		for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
			s := enc.EncodeToString(msg)
			for _, in := range []string{s, wrap(s), strings.ReplaceAll(wrap(s), " \t", "")} {
				got, err := decodeRaw(in)
				if err != nil || string(got) != string(msg) {
					t.Errorf("decodeRaw(%q) = %q, %v; want %q", in, got, err, msg)
				}
			}
		}
	}
	for _, bad := range []string{"!!!!", "a", "YWJj*"} {
		if _, err := decodeRaw(bad); err == nil {
			t.Errorf("decodeRaw(%q) took it", bad)
		}
	}
}
