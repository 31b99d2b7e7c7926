package sqlite

import (
	"encoding/json"
	"time"

	"github.com/discreet-crm/discreet/store"
)

// fixtureJobs are the long-work records of fixtures written after jobs
// existed: one running and held (with input parts), one failed, one done.
// Params and the like are compact JSON: that is how they are kept.
func fixtureJobs() []store.Job {
	return []store.Job{
		{ID: "job-running", Kind: "never_log.import", Params: json.RawMessage(`{"scope":"","note":"a \"b\""}`),
			Checkpoint: json.RawMessage(`{"part":1,"line":40}`), State: store.JobRunning, Done: 40, Total: 100,
			Error: "last attempt: busy", Failures: 1, StartedBy: "admin@acme.example",
			CreatedAt: fixtureAt(200), UpdatedAt: fixtureAt(201).UTC(), RunAfter: fixtureAt(202),
			Holder: "instance-a", LeaseUntil: fixtureAt(203).In(time.FixedZone("", 3600))},
		{ID: "job-failed", Kind: "never_log.purge", Params: json.RawMessage(`{"entry":"@hr-partner.example"}`),
			Report: json.RawMessage(`{"deleted":0}`), State: store.JobFailed, Error: "gave up", Failures: 5,
			StartedBy: "admin@acme.example", CreatedAt: fixtureAt(210), UpdatedAt: fixtureAt(211)},
		{ID: "job-done", Kind: "never_log.purge", Params: json.RawMessage(`null`), Report: json.RawMessage(`{"deleted":3}`),
			State: store.JobDone, Done: 3, Total: 3, StartedBy: "carla@acme-ch.example", CreatedAt: fixtureAt(220), UpdatedAt: fixtureAt(221)},
	}
}

// fixtureJobParts are job-running's input parts.
var fixtureJobParts = [][]byte{[]byte("pattern,note\n@a.example,x\n"), {0, 1, 2, 0xff}}
