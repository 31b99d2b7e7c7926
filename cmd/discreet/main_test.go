package main

import (
	"context"
	"io"
	"net/http"
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
	if c.Port != 8080 || c.Store != "sqlite" || c.DataDir != "./data" || !c.DevAuth || c.Addr != "127.0.0.1" || !c.Demo || c.MaxBody != 1<<20 {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadConfigProduction(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"DISCREET_AUDIENCE": "https://discreet.example, client-id",
		"DISCREET_STORE":    "firestore", "GOOGLE_CLOUD_PROJECT": "p",
		"DISCREET_BOOTSTRAP_ADMINS": "Admin@Acme.example",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DevAuth || c.Addr != "" || len(c.Audiences) != 2 || c.BootstrapAdmins[0] != "admin@acme.example" {
		t.Errorf("production = %+v", c)
	}
}

// Each bad value stops start-up with one line naming the variable.
func TestLoadConfigErrors(t *testing.T) {
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
		{map[string]string{"DISCREET_MAX_BODY": "-1"}, "DISCREET_MAX_BODY"},
		{map[string]string{"DISCREET_DEMO": "perhaps"}, "DISCREET_DEMO"},
		{map[string]string{"DISCREET_GMAIL_ENDPOINT": "ftp://x"}, "DISCREET_GMAIL_ENDPOINT"},
		{map[string]string{"DISCREET_BASE_URL": "nope"}, "DISCREET_BASE_URL"},
	} {
		_, err := loadConfig(env(tc.env))
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("env %v: err = %v, want one line starting %q", tc.env, err, tc.name)
		}
	}
}

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
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after shutdown: %v", err)
	}
}
