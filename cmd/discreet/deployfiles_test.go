package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The deployment files at the repository root are checked against what
// the code reads and serves, so a renamed variable or route fails here
// rather than on the first deploy.

const root = "../.."

// variablesRead is every environment variable loadConfig reads.
func variablesRead(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	if _, err := loadConfig(func(k string) string { seen[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(seen))
}

// TestREADMEConfigurationTable: README's Configuration table lists exactly
// the variables the service reads.
func TestREADMEConfigurationTable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}
	slices.Sort(documented)
	if read := variablesRead(t); !slices.Equal(documented, read) {
		t.Errorf("README's table lists %v\nthe service reads   %v", documented, read)
	}
}

type appYAML struct {
	Runtime         string            `yaml:"runtime"`
	Main            string            `yaml:"main"`
	EnvVariables    map[string]string `yaml:"env_variables"`
	InboundServices []string          `yaml:"inbound_services"`
	Handlers        []struct {
		URL    string `yaml:"url"`
		Script string `yaml:"script"`
		Secure string `yaml:"secure"`
	} `yaml:"handlers"`
	AutomaticScaling struct {
		MinInstances          int     `yaml:"min_instances"`
		MaxInstances          int     `yaml:"max_instances"`
		MaxConcurrentRequests int     `yaml:"max_concurrent_requests"`
		TargetCPUUtilization  float64 `yaml:"target_cpu_utilization"`
	} `yaml:"automatic_scaling"`
	InstanceClass string `yaml:"instance_class"`
}

func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

var placeholder = regexp.MustCompile(`\$\{([A-Z_]+)\}`)

// deployment is what deploy/deploy.sh puts into app.yaml's placeholders.
type deployment map[string]string

func httpAddon() deployment {
	return deployment{
		"BASE_URL": "https://acme-discreet.oa.r.appspot.com", "AUDIENCE": "https://acme-discreet.oa.r.appspot.com",
		"ADMINS": "it@acme.example", "DOMAINS": "acme.example,acme-ch.example",
		"ADDON_SA": "service-123@gcp-sa-gsuiteaddons.iam.gserviceaccount.com", "ADDON_CLIENT_ID": "117000000000000000000",
		"ADDON_USER_TOKEN_AUTH": "0",
		"DELEGATION_SA":         "", "PUBSUB_TOPIC": "", "PUSH_AUDIENCE": "", "PUSH_SA": "",
		"JOBS_TOPIC":         "projects/acme-discreet/topics/discreet-jobs",
		"JOBS_PUSH_AUDIENCE": "https://acme-discreet.oa.r.appspot.com/v1/jobs:run",
		"JOBS_PUSH_SA":       "jobs-push@acme-discreet.iam.gserviceaccount.com",
	}
}

func (d deployment) with(kv ...string) deployment {
	out := maps.Clone(d)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestAppYAML: app.yaml sets only variables the service reads, and with
// its placeholders filled as the deploy script fills them, plus what App
// Engine sets itself, it configures production: Firestore, no dev
// sign-in, bootstrap admins and internal domains, the add-on.
func TestAppYAML(t *testing.T) {
	var app appYAML
	readYAML(t, "app.yaml", &app)
	read := variablesRead(t)
	for k := range app.EnvVariables {
		if !slices.Contains(read, k) {
			t.Errorf("app.yaml sets %s, which the service does not read", k)
		}
	}
	for _, k := range []string{"PORT", "GOOGLE_CLOUD_PROJECT", "GAE_ENV", "GAE_INSTANCE"} {
		if _, ok := app.EnvVariables[k]; ok {
			t.Errorf("app.yaml sets %s, which App Engine sets itself", k)
		}
	}
	if app.Runtime != "go126" || app.Main != "./cmd/discreet" {
		t.Errorf("runtime %q, main %q", app.Runtime, app.Main)
	}
	if len(app.Handlers) != 1 || app.Handlers[0].Secure != "always" || app.Handlers[0].Script != "auto" {
		t.Errorf("handlers %+v: every URL to the Go server, HTTPS only", app.Handlers)
	}
	if !slices.Contains(app.InboundServices, "warmup") {
		t.Error("app.yaml does not ask for warmup requests (inbound_services: warmup)")
	}
	// A Go server handles many requests at once; App Engine's default of
	// 10 would start instances it does not need. The ceiling bounds cost.
	s := app.AutomaticScaling
	if s.MaxConcurrentRequests < 40 || s.MaxConcurrentRequests > 1000 || s.MaxInstances < 2 || s.MaxInstances > 100 ||
		s.MinInstances < 1 || s.MinInstances > s.MaxInstances {
		t.Errorf("automatic_scaling %+v: want 40-1000 concurrent requests, 2-100 instances, at least one warm", s)
	}

	for _, tc := range []struct {
		name    string
		fill    deployment
		capture bool
	}{
		{"HTTP add-on", httpAddon(), false},
		{"Apps Script add-on", httpAddon().with("ADDON_SA", "", "ADDON_CLIENT_ID", "1234-script.apps.googleusercontent.com", "ADDON_USER_TOKEN_AUTH", "1"), false},
		{"capture on", httpAddon().with("DELEGATION_SA", "acme-discreet@appspot.gserviceaccount.com",
			"PUBSUB_TOPIC", "projects/acme-discreet/topics/gmail-sent",
			"PUSH_AUDIENCE", "https://acme-discreet.oa.r.appspot.com/v1/gmail/push",
			"PUSH_SA", "gmail-push@acme-discreet.iam.gserviceaccount.com"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			environ := map[string]string{"PORT": "8081", "GOOGLE_CLOUD_PROJECT": "acme-discreet", "GAE_ENV": "standard", "GAE_INSTANCE": "00c61b117c"}
			for k, v := range app.EnvVariables {
				environ[k] = placeholder.ReplaceAllStringFunc(v, func(p string) string {
					name := placeholder.FindStringSubmatch(p)[1]
					val, ok := tc.fill[name]
					if !ok {
						t.Errorf("app.yaml has a placeholder ${%s} the deploy script does not fill", name)
					}
					return val
				})
			}
			c, err := loadConfig(env(environ))
			if err != nil {
				t.Fatalf("App Engine would not start: %v", err)
			}
			if c.Store != "firestore" || c.Auth.DevAuth || c.Addr != "" || c.Demo || !c.OnAppEngine ||
				len(c.Auth.BootstrapAdmins) == 0 || len(c.Auth.InternalDomains) == 0 || len(c.Auth.Audiences) == 0 ||
				c.Addon.ClientID == "" || !strings.HasPrefix(c.BaseURL, "https://") || c.Capture.On() != tc.capture {
				t.Errorf("production config = %+v", c)
			}
			// Jobs are request-driven (App Engine throttles goroutines), and
			// each instance holds jobs under its own name.
			if !c.Jobs.PubSub() || c.Jobs.Project() != "acme-discreet" || c.Jobs.PushSA == "" ||
				!strings.HasSuffix(c.Jobs.PushAudience, "/v1/jobs:run") || c.Instance != "00c61b117c" {
				t.Errorf("production jobs = %+v, instance %q", c.Jobs, c.Instance)
			}
		})
	}
}

type cronJob struct {
	Description     string         `yaml:"description"`
	URL             string         `yaml:"url"`
	Target          string         `yaml:"target"`
	Schedule        string         `yaml:"schedule"`
	RetryParameters map[string]int `yaml:"retry_parameters"`
}

// TestCronYAML: every cron URL is a route the server serves to App
// Engine cron's GET (and to nobody else's), and the jobs sweep is one.
func TestCronYAML(t *testing.T) {
	var cron struct {
		Cron []cronJob `yaml:"cron"`
	}
	readYAML(t, "cron.yaml", &cron)
	if len(cron.Cron) == 0 {
		t.Fatal("cron.yaml has no job")
	}
	if !slices.ContainsFunc(cron.Cron, func(j cronJob) bool { return j.URL == "/v1/jobs:sweep" }) {
		t.Error("cron.yaml does not sweep jobs (/v1/jobs:sweep): with DISCREET_JOBS=pubsub, waiting and orphaned jobs would never run")
	}
	cfg, err := loadConfig(env(map[string]string{"GAE_ENV": "standard", "DISCREET_DATA_DIR": t.TempDir(), "DISCREET_DEMO": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	for _, job := range cron.Cron {
		if job.Schedule == "" || job.Target != "default" || !strings.HasPrefix(job.URL, "/") {
			t.Errorf("cron job %+v", job)
		}
		get := func(cronHeader bool) int {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+job.URL, nil)
			if cronHeader {
				req.Header.Set("X-Appengine-Cron", "true")
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		// Capture is off here, so the renewal itself answers 503; what
		// matters is that the route takes cron's GET.
		if code := get(true); code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
			t.Errorf("cron calls GET %s: %d", job.URL, code)
		}
		if code := get(false); code != http.StatusMethodNotAllowed && code != http.StatusUnauthorized {
			t.Errorf("GET %s without the cron header: %d, want it refused", job.URL, code)
		}
	}
}

// TestFirebaseJSON: firebase.json deploys the rules and indexes that
// exist at the root.
func TestFirebaseJSON(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "firebase.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fb struct {
		Firestore struct {
			Rules   string `json:"rules"`
			Indexes string `json:"indexes"`
		} `json:"firestore"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fb); err != nil {
		t.Fatalf("firebase.json: %v", err)
	}
	for _, f := range []string{fb.Firestore.Rules, fb.Firestore.Indexes} {
		if f == "" {
			t.Errorf("firebase.json must name both firestore.rules and firestore.indexes.json: %+v", fb.Firestore)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("firebase.json names %s: %v", f, err)
		}
	}
}
