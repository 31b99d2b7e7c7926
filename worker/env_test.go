package worker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/discreet-crm/discreet/worker"
)

func TestEnvConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want worker.Env
		err  string // the variable the error names
	}{
		{"default", nil, worker.Env{Driver: "embedded"}, ""},
		{"lease", map[string]string{"DISCREET_JOB_LEASE": "30s"}, worker.Env{Driver: "embedded", Lease: 30 * time.Second}, ""},
		{"bad lease", map[string]string{"DISCREET_JOB_LEASE": "soon"}, worker.Env{}, "DISCREET_JOB_LEASE"},
		{"tiny lease", map[string]string{"DISCREET_JOB_LEASE": "10ms"}, worker.Env{}, "DISCREET_JOB_LEASE"},
		{"unknown driver", map[string]string{"DISCREET_JOBS": "cloudtasks"}, worker.Env{}, "DISCREET_JOBS"},
		{"pubsub without topic", map[string]string{"DISCREET_JOBS": "pubsub"}, worker.Env{}, "DISCREET_JOBS_TOPIC"},
		{"pubsub bad topic", map[string]string{"DISCREET_JOBS": "pubsub", "DISCREET_JOBS_TOPIC": "jobs"}, worker.Env{}, "DISCREET_JOBS_TOPIC"},
		{"pubsub without audience", map[string]string{"DISCREET_JOBS": "pubsub", "DISCREET_JOBS_TOPIC": "projects/p/topics/jobs"}, worker.Env{}, "DISCREET_JOBS_PUSH_AUDIENCE"},
		{"pubsub without account", map[string]string{"DISCREET_JOBS": "pubsub", "DISCREET_JOBS_TOPIC": "projects/p/topics/jobs",
			"DISCREET_JOBS_PUSH_AUDIENCE": "https://x.example/v1/jobs:run"}, worker.Env{}, "DISCREET_JOBS_PUSH_SA"},
		{"pubsub", map[string]string{"DISCREET_JOBS": "pubsub", "DISCREET_JOBS_TOPIC": "projects/p/topics/jobs",
			"DISCREET_JOBS_PUSH_AUDIENCE": "https://x.example/v1/jobs:run", "DISCREET_JOBS_PUSH_SA": "push@p.iam.gserviceaccount.com"},
			worker.Env{Driver: "pubsub", Topic: "projects/p/topics/jobs", PushAudience: "https://x.example/v1/jobs:run", PushServiceAccount: "push@p.iam.gserviceaccount.com"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := worker.EnvConfig(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err+":") {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("EnvConfig = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if p := worker.ProjectOf("projects/my-proj/topics/jobs"); p != "my-proj" {
		t.Errorf("ProjectOf = %q", p)
	}
}
