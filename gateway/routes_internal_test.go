package gateway

import (
	"slices"
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
