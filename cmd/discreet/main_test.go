package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.Store != "sqlite" || c.DataDir != "./data" || !c.Auth.DevAuth || c.Addr != "127.0.0.1" || !c.Demo ||
		c.MaxBody != 1<<20 || c.BaseURL != "http://127.0.0.1:8080" || c.Capture.On() || c.OnAppEngine || c.Addon.UserTokenAuth ||
		c.Jobs != (jobsConfig{Driver: "embedded"}) || c.Instance != "" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadConfigProduction(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"DISCREET_AUDIENCE": "https://discreet.example, client-id",
		"DISCREET_STORE":    "firestore", "GOOGLE_CLOUD_PROJECT": "p", "GAE_ENV": "standard",
		"DISCREET_BOOTSTRAP_ADMINS":    "Admin@Acme.example",
		"DISCREET_INTERNAL_DOMAINS":    "Acme.example, acme-ch.example",
		"DISCREET_ADDON_SA":            "service-123@gcp-sa-gsuiteaddons.iam.gserviceaccount.com",
		"DISCREET_ADDON_CLIENT_ID":     "1234567890",
		"DISCREET_BASE_URL":            "https://p.ew.r.appspot.com/",
		"DISCREET_GMAIL_DELEGATION_SA": "p@appspot.gserviceaccount.com",
		"DISCREET_PUBSUB_TOPIC":        "projects/p/topics/gmail-sent",
		"DISCREET_PUSH_AUDIENCE":       "https://p.ew.r.appspot.com/v1/gmail/push",
		"DISCREET_PUSH_SA":             "Gmail-Push@p.iam.gserviceaccount.com",
		"GAE_INSTANCE":                 "00c61b117c",
		"DISCREET_JOBS":                "pubsub",
		"DISCREET_JOBS_TOPIC":          "projects/p/topics/discreet-jobs",
		"DISCREET_JOBS_PUSH_AUDIENCE":  "https://p.ew.r.appspot.com/v1/jobs:run",
		"DISCREET_JOBS_PUSH_SA":        "Jobs-Push@p.iam.gserviceaccount.com",
		"DISCREET_JOB_LEASE":           "90s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.DevAuth || c.Addr != "" || len(c.Auth.Audiences) != 2 || c.Auth.BootstrapAdmins[0] != "admin@acme.example" ||
		!slices.Equal(c.Auth.InternalDomains, []string{"acme.example", "acme-ch.example"}) || !c.OnAppEngine ||
		c.BaseURL != "https://p.ew.r.appspot.com" || !c.Capture.On() || c.Capture.PushSA != "gmail-push@p.iam.gserviceaccount.com" ||
		c.Instance != "00c61b117c" {
		t.Errorf("production = %+v", c)
	}
	wantJobs := jobsConfig{Driver: "pubsub", Topic: "projects/p/topics/discreet-jobs",
		PushAudience: "https://p.ew.r.appspot.com/v1/jobs:run", PushSA: "jobs-push@p.iam.gserviceaccount.com", Lease: 90 * time.Second}
	if c.Jobs != wantJobs || !c.Jobs.PubSub() || c.Jobs.Project() != "p" {
		t.Errorf("jobs = %+v, want %+v", c.Jobs, wantJobs)
	}
	// The Apps Script forwarder: user tokens for the script's client ID.
	c, err = loadConfig(env(map[string]string{"DISCREET_ADDON_USER_TOKEN_AUTH": "1", "DISCREET_ADDON_CLIENT_ID": "script-client"}))
	if err != nil || !c.Addon.UserTokenAuth || c.Addon.ClientID != "script-client" {
		t.Errorf("apps script = %+v, %v", c.Addon, err)
	}
}

// Each bad value stops start-up with one line naming the variable.
func TestLoadConfigErrors(t *testing.T) {
	capture := func(m map[string]string) map[string]string {
		out := map[string]string{
			"DISCREET_GMAIL_DELEGATION_SA": "p@appspot.gserviceaccount.com",
			"DISCREET_PUBSUB_TOPIC":        "projects/p/topics/t",
			"DISCREET_PUSH_AUDIENCE":       "https://h/v1/gmail/push",
			"DISCREET_PUSH_SA":             "push@p.iam.gserviceaccount.com",
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	jobs := func(m map[string]string) map[string]string {
		out := map[string]string{
			"DISCREET_JOBS":               "pubsub",
			"DISCREET_JOBS_TOPIC":         "projects/p/topics/jobs",
			"DISCREET_JOBS_PUSH_AUDIENCE": "https://h/v1/jobs:run",
			"DISCREET_JOBS_PUSH_SA":       "jobs-push@p.iam.gserviceaccount.com",
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{"PORT": "http"}, "PORT"},
		{map[string]string{"PORT": "70000"}, "PORT"},
		{map[string]string{"DISCREET_STORE": "postgres"}, "DISCREET_STORE"},
		{map[string]string{"DISCREET_STORE": "firestore"}, "GOOGLE_CLOUD_PROJECT"},
		{map[string]string{"DISCREET_DEV_AUTH": "0"}, "DISCREET_AUDIENCE"},
		{map[string]string{"DISCREET_DEV_AUTH": "maybe"}, "DISCREET_DEV_AUTH"},
		{map[string]string{"DISCREET_DEV_AUTH": "1", "DISCREET_ADDR": "0.0.0.0"}, "DISCREET_DEV_AUTH"},
		{map[string]string{"DISCREET_BOOTSTRAP_ADMINS": "not an address"}, "DISCREET_BOOTSTRAP_ADMINS"},
		{map[string]string{"DISCREET_INTERNAL_DOMAINS": "acme.example, not a domain"}, "DISCREET_INTERNAL_DOMAINS"},
		{map[string]string{"DISCREET_INTERNAL_DOMAINS": "anna@acme.example"}, "DISCREET_INTERNAL_DOMAINS"},
		{map[string]string{"DISCREET_MAX_BODY": "-1"}, "DISCREET_MAX_BODY"},
		{map[string]string{"DISCREET_DEMO": "perhaps"}, "DISCREET_DEMO"},
		{map[string]string{"DISCREET_GMAIL_ENDPOINT": "ftp://x"}, "DISCREET_GMAIL_ENDPOINT"},
		{map[string]string{"DISCREET_BASE_URL": "nope"}, "DISCREET_BASE_URL"},
		{map[string]string{"DISCREET_AUDIENCE": "a", "DISCREET_ADDON_SA": "sa@p.iam.gserviceaccount.com"}, "DISCREET_BASE_URL"},
		{map[string]string{"DISCREET_ADDON_USER_TOKEN_AUTH": "2"}, "DISCREET_ADDON_USER_TOKEN_AUTH"},
		{map[string]string{"DISCREET_ADDON_USER_TOKEN_AUTH": "1"}, "DISCREET_ADDON_CLIENT_ID"},
		{map[string]string{"DISCREET_GMAIL_DELEGATION_KEY": "/secrets/key.json"}, "DISCREET_GMAIL_DELEGATION_KEY"},
		{capture(map[string]string{"DISCREET_GMAIL_DELEGATION_SA": "anna@acme.example"}), "DISCREET_GMAIL_DELEGATION_SA"},
		{capture(map[string]string{"DISCREET_PUBSUB_TOPIC": ""}), "DISCREET_PUBSUB_TOPIC"},
		{capture(map[string]string{"DISCREET_PUBSUB_TOPIC": "gmail-sent"}), "DISCREET_PUBSUB_TOPIC"},
		{capture(map[string]string{"DISCREET_PUSH_AUDIENCE": ""}), "DISCREET_PUSH_AUDIENCE"},
		{capture(map[string]string{"DISCREET_PUSH_SA": ""}), "DISCREET_PUSH_SA"},
		{capture(map[string]string{"DISCREET_PUSH_SA": "push"}), "DISCREET_PUSH_SA"},
		{map[string]string{"DISCREET_JOBS": "cloudtasks"}, "DISCREET_JOBS"},
		{map[string]string{"DISCREET_JOB_LEASE": "soon"}, "DISCREET_JOB_LEASE"},
		{map[string]string{"DISCREET_JOB_LEASE": "10ms"}, "DISCREET_JOB_LEASE"},
		{map[string]string{"DISCREET_JOB_LEASE": "2h"}, "DISCREET_JOB_LEASE"},
		{jobs(map[string]string{"DISCREET_JOBS_TOPIC": ""}), "DISCREET_JOBS_TOPIC"},
		{jobs(map[string]string{"DISCREET_JOBS_TOPIC": "jobs"}), "DISCREET_JOBS_TOPIC"},
		{jobs(map[string]string{"DISCREET_JOBS_PUSH_AUDIENCE": ""}), "DISCREET_JOBS_PUSH_AUDIENCE"},
		{jobs(map[string]string{"DISCREET_JOBS_PUSH_SA": ""}), "DISCREET_JOBS_PUSH_SA"},
		{jobs(map[string]string{"DISCREET_JOBS_PUSH_SA": "anna@acme.example"}), "DISCREET_JOBS_PUSH_SA"},
	} {
		_, err := loadConfig(env(tc.env))
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("env %v: err = %v, want one line starting %q", tc.env, err, tc.name)
		}
	}
	// The push settings alone do not turn capture on.
	c, err := loadConfig(env(map[string]string{"DISCREET_PUBSUB_TOPIC": "projects/p/topics/t"}))
	if err != nil || c.Capture.On() {
		t.Errorf("topic without delegation: %+v, %v", c.Capture, err)
	}
	// Nor do the jobs' push settings turn the Pub/Sub driver on.
	c, err = loadConfig(env(map[string]string{"DISCREET_JOBS_TOPIC": "projects/p/topics/jobs", "DISCREET_JOB_LEASE": "30s"}))
	if err != nil || c.Jobs.PubSub() || c.Jobs.Lease != 30*time.Second {
		t.Errorf("jobs topic without DISCREET_JOBS=pubsub: %+v, %v", c.Jobs, err)
	}
}

// run starts with nothing set: the embedded store, the demo org, dev
// sign-in on loopback.
func TestRunServesHealthzAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env(map[string]string{"PORT": "0", "DISCREET_DATA_DIR": t.TempDir()}), io.Discard, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	for _, path := range []string{"/healthz", "/_ah/warmup"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d", path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/contacts?q=zurich-bank", nil)
	req.Header.Set("X-Dev-User", "anna@acme.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "kunde@zurich-bank.example") {
		t.Errorf("the demo org is not served: %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after shutdown: %v", err)
	}
}
