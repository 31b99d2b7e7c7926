package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestErasureRoute: POST /v1/erasures as API.md says: a dry run answers
// 200 with counts, an erasure 202 with a job that GET /v1/jobs/{id}
// follows, and a later email with the address is refused with
// erased_subject, naming nobody.
func TestErasureRoute(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", as: admin})
	var dry struct {
		DryRun bool `json:"dryRun"`
		Counts *struct {
			Emails, Contacts, Intents, AuditRecords int
		} `json:"counts"`
	}
	e.must(http.StatusOK, req{method: "POST", path: "/v1/erasures", as: admin, json: map[string]any{"subject": kunde, "dryRun": true}}).decode(t, &dry)
	if !dry.DryRun || dry.Counts == nil {
		t.Fatalf("dry run = %+v", dry)
	}
	e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/erasures", as: admin, json: map[string]any{"subject": "no address"}})
	e.must(http.StatusBadRequest, req{method: "POST", path: "/v1/erasures", as: admin, json: map[string]any{"subject": kunde, "extra": 1}})
	var started struct {
		Job struct{ ID, Kind, State string } `json:"job"`
	}
	e.must(http.StatusAccepted, req{method: "POST", path: "/v1/erasures", as: admin, json: map[string]any{"subject": kunde}}).decode(t, &started)
	if started.Job.ID == "" || started.Job.Kind != "subject.erase" {
		t.Fatalf("erasure = %+v", started)
	}
	var job struct{ ID, Kind string }
	e.must(http.StatusOK, req{method: "GET", path: "/v1/jobs/" + started.Job.ID, as: admin}).decode(t, &job)
	if job.ID != started.Job.ID {
		t.Fatalf("job = %+v", job)
	}
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/teams/de", as: admin, json: map[string]string{"name": "Germany"}})
	e.must(http.StatusOK, req{method: "PUT", path: "/v1/users/" + anna, as: admin, json: map[string]any{"name": "Anna", "role": "rep", "teams": []string{"de"}}})
	raw := mail{from: anna, to: []string{kunde}, subject: "After the erasure", messageID: "<after@acme.example>"}
	resp := e.must(http.StatusOK, req{method: "POST", path: "/v1/emails", as: anna, json: map[string]any{"raw": raw.base64url(), "log": true}})
	if !strings.Contains(string(resp.body), `"erased_subject"`) || strings.Contains(string(resp.body), kunde) {
		t.Fatalf("a later email: %s", resp.body)
	}
}
