package faulttest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestKill9DuringJob kills the server with SIGKILL while a large Never Log
// import runs as a job, restarts it on the same data directory, and checks
// that the job finishes: every entry added exactly once, one audit record.
func TestKill9DuringJob(t *testing.T) {
	dataDir := t.TempDir()
	// A short lease, so the restarted process takes the dead one's job over
	// within seconds.
	env := []string{"DISCREET_DATA_DIR=" + dataDir, "DISCREET_STORE=sqlite", "DISCREET_JOB_LEASE=2s"}
	srv := startServer(t, env...)
	const admin = "admin@acme.example"
	const total = 40_000
	var text strings.Builder
	for i := range total {
		fmt.Fprintf(&text, "@kill%05d.example\n", i)
	}
	c := &http.Client{Timeout: 60 * time.Second}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/never-log:import", strings.NewReader(text.String()))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-Dev-User", admin)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	var started struct {
		Job struct {
			ID string `json:"id"`
		} `json:"job"`
	}
	if err := json.Unmarshal(body, &started); err != nil || started.Job.ID == "" {
		t.Fatalf("import answer %s: %v", body, err)
	}
	type job struct {
		State  string          `json:"state"`
		Done   int             `json:"done"`
		Total  int             `json:"total"`
		Report json.RawMessage `json:"report"`
	}
	get := func(p *proc) (job, error) {
		var j job
		status, _, b, err := call(t, c, http.MethodGet, p.URL+"/v1/jobs/"+started.Job.ID, admin, nil)
		if err != nil {
			return j, err
		}
		if status != http.StatusOK {
			return j, fmt.Errorf("GET job: %d %s", status, b)
		}
		return j, json.Unmarshal(b, &j)
	}

	// Kill it mid-job.
	var atKill job
	deadline := time.Now().Add(time.Minute)
	for {
		j, err := get(srv)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != "running" {
			t.Fatalf("the job finished before the kill (%+v): import more", j)
		}
		if j.Done >= 2_000 {
			srv.kill()
			atKill = j
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job made no progress: %+v", j)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("killed at %d of %d", atKill.Done, atKill.Total)

	srv = startServer(t, env...)
	start := time.Now()
	var j job
	for {
		if j, err = get(srv); err != nil {
			t.Fatal(err)
		}
		if j.State != "running" {
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("the job did not finish after the restart: %+v", j)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("finished %v after the restart", time.Since(start).Round(100*time.Millisecond))
	if j.State != "done" || j.Done != total || !bytes.Equal(j.Report, []byte(fmt.Sprintf(`{"added":%d,"duplicates":0}`, total))) {
		t.Fatalf("after the restart: %+v (report %s)", j, j.Report)
	}

	// Every entry exactly once.
	status, _, exp, err := call(t, c, http.MethodGet, srv.URL+"/v1/never-log:export", admin, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("export: %d %v", status, err)
	}
	rows, err := csv.NewReader(bytes.NewReader(exp)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("export: %d rows, %v", len(rows), err)
	}
	seen := map[string]int{}
	for _, row := range rows[1:] {
		// The export puts ' before a cell a spreadsheet would run, as
		// "@kill00000.example" would be (openapi.yaml, exportNeverLog).
		seen[strings.TrimPrefix(row[0], "'")]++
	}
	for i := range total {
		if p := fmt.Sprintf("@kill%05d.example", i); seen[p] != 1 {
			t.Fatalf("%s is on the list %d times", p, seen[p])
		}
	}
	// One audit record for the import.
	status, _, b, err := call(t, c, http.MethodGet, srv.URL+"/v1/audit?limit=100", admin, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("audit: %d %v", status, err)
	}
	var audit struct {
		Items []struct {
			Action string `json:"action"`
			Count  int    `json:"count"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &audit); err != nil {
		t.Fatal(err)
	}
	imports := 0
	for _, r := range audit.Items {
		if r.Action == "never_log.import" {
			imports++
			if r.Count != total {
				t.Errorf("import audit count %d, want %d", r.Count, total)
			}
		}
	}
	if imports != 1 {
		t.Fatalf("%d import audit records, want 1", imports)
	}
}
