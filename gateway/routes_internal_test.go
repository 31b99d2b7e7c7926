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
	want := []string{"POST /v1/never-log", "POST /v1/never-log:import", "POST /v1/never-log/{id}:purge"}
	if !slices.Equal(long, want) {
		t.Errorf("long routes %v, want %v", long, want)
	}
}
