// Package deploy_test runs deploy/deploy.sh against fake gcloud and npx
// commands that record every call, so the order and arguments of a deploy
// are checked without a Google Cloud project (and without network).
package deploy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const project = "acme-discreet"

// fakeGcloud answers the queries deploy.sh makes from a state directory
// that its own mutating calls fill, like a project would.
const fakeGcloud = `#!/usr/bin/env bash
printf 'gcloud %s\n' "$*" >>"$FAKE_LOG"
s=$FAKE_STATE
arg() { local a; for a in "${@:2}"; do [[ $a == "$1"* ]] && echo "${a#"$1"}"; done; }
# after WORD ARGS… is the argument that follows WORD (a topic's or an
# account's name); the state keeps one file per name.
after() { local a prev=; for a in "${@:2}"; do [[ $prev == "$1" ]] && { echo "$a"; return; }; prev=$a; done; }
case " $* " in
*" projects describe "*) echo 123456789012 ;;
*" add-iam-policy-binding "*)
	# IAM does not know a just-created account at once: the first binding
	# fails while $s/iam-lag counts down.
	if [[ -f $s/iam-lag ]] && (( $(cat "$s/iam-lag") > 0 )); then
		echo $(( $(cat "$s/iam-lag") - 1 )) >"$s/iam-lag"; echo "ERROR: service account does not exist" >&2; exit 1
	fi ;;
*" services enable "*) touch "$s/apis" ;;
*" app describe "*locationId*) [[ -f $s/app ]] || { echo "ERROR: app not found" >&2; exit 1; }; cat "$s/app" ;;
*" app describe "*defaultHostname*) [[ -f $s/app ]] || exit 1; echo "$FAKE_PROJECT.oa.r.appspot.com" ;;
*" app create "*) arg --region= "$@" >"$s/app" ;;
*" firestore databases describe "*) [[ -f $s/db ]] || exit 1; cat "$s/db" ;;
*" firestore databases create "*) arg --location= "$@" >"$s/db" ;;
*" builds get-default-service-account "*) [[ -f $s/apis ]] || exit 1; echo "projects/$FAKE_PROJECT/serviceAccounts/123456789012-compute@developer.gserviceaccount.com" ;;
*" workspace-add-ons get-authorization "*serviceAccountEmail*) [[ -f $s/apis ]] || exit 1; echo service-123456789012@gcp-sa-gsuiteaddons.iam.gserviceaccount.com ;;
*" workspace-add-ons get-authorization "*oauthClientId*) [[ -f $s/apis ]] || exit 1; echo 117000000000000000042 ;;
*" workspace-add-ons deployments describe "*) [[ -f $s/addon ]] || exit 1 ;;
*" workspace-add-ons deployments create "* | *" workspace-add-ons deployments replace "*)
	touch "$s/addon"; cp "$(arg --deployment-file= "$@")" "$s/deployment.json" ;;
*" pubsub topics describe "*) [[ -f $s/topic-$(after describe "$@") ]] || exit 1 ;;
*" pubsub topics create "*) touch "$s/topic-$(after create "$@")" ;;
*" iam service-accounts describe "*oauth2ClientId*) echo 108000000000000000007 ;;
*" iam service-accounts describe "*) sa=$(after describe "$@"); [[ -f $s/sa-${sa%%@*} ]] || exit 1 ;;
*" iam service-accounts create "*) touch "$s/sa-$(after create "$@")" ;;
*" pubsub subscriptions describe "*) [[ -f $s/sub-$(after describe "$@") ]] || exit 1 ;;
*" pubsub subscriptions create "*) touch "$s/sub-$(after create "$@")" ;;
*" app deploy "*) for a in "$@"; do [[ $a == *.yaml ]] && cp "$a" "$s/deployed-${a##*/}"; done ;;
esac
exit 0
`

const fakeNpx = `#!/usr/bin/env bash
printf 'npx %s\n' "$*" >>"$FAKE_LOG"
case " $* " in
*" projects:list "*)
	if [[ -f $FAKE_STATE/firebase ]]; then printf '{"status": "success", "result": [{"projectId": "%s"}]}\n' "$FAKE_PROJECT"
	else echo '{"status": "success", "result": []}'; fi ;;
*" projects:addfirebase "*) touch "$FAKE_STATE/firebase" ;;
esac
exit 0
`

// repoFiles are what deploy.sh reads.
var repoFiles = []string{
	"deploy/deploy.sh", "app.yaml", "cron.yaml", "firebase.json",
	"appsscript/deployment.json", "appsscript/Code.js", "appsscript/appsscript.json",
}

// sandbox is a copy of the files deploy.sh reads, fake tools on PATH and
// the fakes' state; runs share it, like deploys share a project.
type sandbox struct {
	t                     *testing.T
	root, bin, state, log string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	dir := t.TempDir()
	s := &sandbox{t: t, root: filepath.Join(dir, "repo"), bin: filepath.Join(dir, "bin"),
		state: filepath.Join(dir, "state"), log: filepath.Join(dir, "calls.log")}
	for _, f := range repoFiles {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(s.root, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{"gcloud": fakeGcloud, "npx": fakeNpx} {
		if err := os.MkdirAll(s.bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(s.state, 0o755); err != nil {
		t.Fatal(err)
	}
	return s
}

// result is one run of deploy.sh.
type result struct {
	err            error
	stdout, stderr string
	calls          []string // "gcloud …" / "npx …", in order
}

// run runs deploy.sh with only vars (and the fakes) in its environment.
func (s *sandbox) run(vars ...string) result {
	s.t.Helper()
	_ = os.Remove(s.log)
	cmd := exec.Command("bash", "deploy/deploy.sh")
	cmd.Dir = s.root
	cmd.Env = append([]string{
		"PATH=" + s.bin + ":/usr/bin:/bin", "HOME=" + s.state,
		"FAKE_LOG=" + s.log, "FAKE_STATE=" + s.state, "FAKE_PROJECT=" + project, "RETRY_SLEEP=0",
	}, vars...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	r := result{err: cmd.Run(), stdout: out.String(), stderr: errb.String()}
	if b, err := os.ReadFile(s.log); err == nil {
		r.calls = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	return r
}

func (r result) mustSucceed(t *testing.T) result {
	t.Helper()
	if r.err != nil {
		t.Fatalf("deploy.sh: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
	return r
}

// index is the position of the first call containing every part, or -1.
func (r result) index(parts ...string) int {
	for i, c := range r.calls {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(c, p)
		}
		if all {
			return i
		}
	}
	return -1
}

// inOrder fails unless calls matching each step appear in this order.
func (r result) inOrder(t *testing.T, steps ...[]string) {
	t.Helper()
	last := -1
	for _, parts := range steps {
		i := r.index(parts...)
		if i < 0 {
			t.Errorf("no call with %q in:\n%s", parts, strings.Join(r.calls, "\n"))
			return
		}
		if i <= last {
			t.Errorf("%q comes before the step it should follow:\n%s", parts, strings.Join(r.calls, "\n"))
		}
		last = i
	}
}

func (r result) never(t *testing.T, parts ...string) {
	t.Helper()
	if i := r.index(parts...); i >= 0 {
		t.Errorf("unexpected call %q", r.calls[i])
	}
}

var base = []string{"PROJECT=" + project, "REGION=europe-west6", "ADMINS=it@acme.example", "DOMAINS=acme.example, acme-ch.example"}

const g = "gcloud --project=" + project + " --quiet "

// The jobs' push subscription: its endpoint (also its token's audience)
// and service account.
const (
	jobsPush   = "https://" + project + ".oa.r.appspot.com/v1/jobs:run"
	jobsPushSA = "jobs-push@" + project + ".iam.gserviceaccount.com"
)

func deployedEnv(t *testing.T, s *sandbox) map[string]string {
	t.Helper()
	var app struct {
		Env map[string]string `yaml:"env_variables"`
	}
	b, err := os.ReadFile(filepath.Join(s.state, "deployed-app.deploy.yaml"))
	if err != nil {
		t.Fatalf("app.deploy.yaml was not deployed: %v", err)
	}
	if err := yaml.Unmarshal(b, &app); err != nil {
		t.Fatal(err)
	}
	return app.Env
}

// deployedCron is the URLs of the cron.yaml the last run deployed.
func deployedCron(t *testing.T, s *sandbox) []string {
	t.Helper()
	var cron struct {
		Cron []struct {
			URL string `yaml:"url"`
		} `yaml:"cron"`
	}
	b, err := os.ReadFile(filepath.Join(s.state, "deployed-cron.yaml"))
	if err != nil {
		t.Fatalf("cron.yaml was not deployed: %v", err)
	}
	if err := yaml.Unmarshal(b, &cron); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, c := range cron.Cron {
		urls = append(urls, c.URL)
	}
	return urls
}

// A fresh project: every API, App Engine and Firestore in one location,
// Firebase, rules and indexes, IAM, the service, the add-on, in order.
func TestDeployFreshProject(t *testing.T) {
	s := newSandbox(t)
	r := s.run(base...).mustSucceed(t)
	enable := r.calls[r.index(g+"services enable")]
	for _, api := range []string{"appengine", "firestore", "gmail", "pubsub", "iamcredentials", "gsuiteaddons", "cloudbuild", "firebase", "firebaserules"} {
		if !strings.Contains(enable, " "+api+".googleapis.com") {
			t.Errorf("%s.googleapis.com is not enabled: %s", api, enable)
		}
	}
	r.inOrder(t,
		[]string{g + "projects describe " + project},
		[]string{g + "app describe --format=value(locationId)"},
		[]string{g + "firestore databases describe --database=(default)"},
		[]string{g + "services enable"},
		[]string{g + "app create --region=europe-west6"},
		[]string{g + "firestore databases create --database=(default) --location=europe-west6 --type=firestore-native"},
		[]string{"npx --yes firebase-tools@15 projects:addfirebase " + project},
		[]string{"npx --yes firebase-tools@15 deploy --only firestore --project " + project + " --non-interactive"},
		[]string{g + "projects add-iam-policy-binding " + project + " --member=serviceAccount:" + project + "@appspot.gserviceaccount.com --role=roles/datastore.user"},
		[]string{g + "projects add-iam-policy-binding " + project + " --member=serviceAccount:123456789012-compute@developer.gserviceaccount.com --role=roles/cloudbuild.builds.builder"},
		[]string{g + "workspace-add-ons get-authorization"},
		[]string{g + "pubsub topics create discreet-jobs"},
		[]string{g + "pubsub topics add-iam-policy-binding discreet-jobs --member=serviceAccount:" + project + "@appspot.gserviceaccount.com --role=roles/pubsub.publisher"},
		[]string{g + "iam service-accounts create jobs-push"},
		[]string{g + "app deploy app.deploy.yaml .deploy/cron.yaml"},
		[]string{g + "pubsub subscriptions create discreet-jobs-push --topic=discreet-jobs --push-endpoint=" + jobsPush +
			" --push-auth-service-account=" + jobsPushSA + " --push-auth-token-audience=" + jobsPush + " --ack-deadline=60 "},
		[]string{g + "workspace-add-ons deployments create discreet --deployment-file=.deploy/deployment.json"},
		[]string{g + "workspace-add-ons deployments install discreet"},
	)
	// Without capture: nothing of Gmail's, and cron sweeps jobs and starts
	// the retention sweep.
	r.never(t, "gmail-sent")
	r.never(t, "gmail-push")
	r.never(t, "serviceAccountTokenCreator")
	if urls := deployedCron(t, s); !slices.Equal(urls, []string{"/v1/jobs:sweep", "/v1/retention:sweep"}) {
		t.Errorf("deployed cron %v, want the jobs and retention sweeps", urls)
	}

	const url = "https://" + project + ".oa.r.appspot.com"
	env := deployedEnv(t, s)
	want := map[string]string{
		"DISCREET_STORE": "firestore", "DISCREET_DEV_AUTH": "0", "DISCREET_DEMO": "0",
		"DISCREET_BASE_URL": url, "DISCREET_AUDIENCE": url,
		"DISCREET_BOOTSTRAP_ADMINS": "it@acme.example", "DISCREET_INTERNAL_DOMAINS": "acme.example,acme-ch.example",
		"DISCREET_ADDON_SA":        "service-123456789012@gcp-sa-gsuiteaddons.iam.gserviceaccount.com",
		"DISCREET_ADDON_CLIENT_ID": "117000000000000000042", "DISCREET_ADDON_USER_TOKEN_AUTH": "0",
		"DISCREET_GMAIL_DELEGATION_SA": "", "DISCREET_PUBSUB_TOPIC": "", "DISCREET_PUSH_AUDIENCE": "", "DISCREET_PUSH_SA": "",
		"DISCREET_JOBS": "pubsub", "DISCREET_JOBS_TOPIC": "projects/" + project + "/topics/discreet-jobs",
		"DISCREET_JOBS_PUSH_AUDIENCE": jobsPush, "DISCREET_JOBS_PUSH_SA": jobsPushSA,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("deployed %s = %q, want %q", k, env[k], v)
		}
	}
	if len(env) != len(want) {
		t.Errorf("deployed env %v", env)
	}

	var dep map[string]any
	b, err := os.ReadFile(filepath.Join(s.state, "deployment.json"))
	if err != nil || json.Unmarshal(b, &dep) != nil || strings.Contains(string(b), "HOST") ||
		strings.Count(string(b), url+"/addon/") != 3 {
		t.Errorf("deployment.json as deployed (%v):\n%s", err, b)
	}
	if !strings.Contains(r.stdout, "Deployed: "+url) {
		t.Errorf("the summary does not name the service:\n%s", r.stdout)
	}
}

// Running again changes what it must and creates nothing twice.
func TestDeployAgain(t *testing.T) {
	s := newSandbox(t)
	s.run(base...).mustSucceed(t)
	r := s.run(base...).mustSucceed(t)
	r.never(t, "app create")
	r.never(t, "firestore databases create")
	r.never(t, "projects:addfirebase")
	r.never(t, "deployments create")
	r.never(t, "topics create")
	r.never(t, "service-accounts create")
	r.never(t, "subscriptions create")
	r.inOrder(t,
		[]string{"npx --yes firebase-tools@15 deploy --only firestore"},
		[]string{g + "app deploy app.deploy.yaml .deploy/cron.yaml"},
		[]string{g + "pubsub subscriptions modify-push-config discreet-jobs-push --push-endpoint=" + jobsPush},
		[]string{g + "workspace-add-ons deployments replace discreet --deployment-file=.deploy/deployment.json"},
	)
}

// The two legacy App Engine regions have other names in Firestore.
func TestDeployLegacyRegions(t *testing.T) {
	for region, location := range map[string]string{"us-central": "nam5", "europe-west": "eur3", "europe-west3": "europe-west3"} {
		t.Run(region, func(t *testing.T) {
			s := newSandbox(t)
			r := s.run("PROJECT="+project, "REGION="+region, "ADMINS=it@acme.example", "DOMAINS=acme.example").mustSucceed(t)
			r.inOrder(t,
				[]string{g + "app create --region=" + region},
				[]string{g + "firestore databases create --database=(default) --location=" + location + " "},
			)
		})
	}
}

// Locations that cannot change stop the deploy before anything changes.
func TestDeployLocationMismatch(t *testing.T) {
	for _, tc := range []struct{ app, db, want string }{
		{"europe-west3", "", "App Engine already runs in europe-west3"},
		{"europe-west6", "eur3", "Firestore's (default) database is in eur3"},
		{"", "eur3", "Firestore's (default) database is in eur3"},
	} {
		s := newSandbox(t)
		for f, v := range map[string]string{"app": tc.app, "db": tc.db} {
			if v != "" {
				if err := os.WriteFile(filepath.Join(s.state, f), []byte(v+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		r := s.run(base...)
		if r.err == nil || !strings.Contains(r.stderr, "deploy: REGION: "+tc.want) {
			t.Errorf("app %q, db %q: %v, stderr %q", tc.app, tc.db, r.err, r.stderr)
		}
		r.never(t, "services enable")
		r.never(t, "create")
	}
}

// DRY_RUN=1 runs only queries and prints every change, in order.
func TestDeployDryRun(t *testing.T) {
	s := newSandbox(t)
	r := s.run(append(base, "DRY_RUN=1", "CAPTURE=1")...).mustSucceed(t)
	for _, c := range r.calls {
		readOnly := false
		for _, q := range []string{" describe", " get-authorization", " get-default-service-account", " projects:list"} {
			readOnly = readOnly || strings.Contains(c, q)
		}
		if !readOnly {
			t.Errorf("a dry run ran %q", c)
		}
	}
	var planned []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "would run: ") {
			planned = append(planned, l)
		}
	}
	order := []string{"services enable", "app create --region=europe-west6", "firestore databases create",
		"projects:addfirebase", "deploy --only firestore", "roles/datastore.user",
		"pubsub topics create discreet-jobs", "roles/pubsub.publisher", "service-accounts create jobs-push",
		"roles/iam.serviceAccountTokenCreator", "pubsub topics create gmail-sent", "roles/pubsub.publisher", "service-accounts create gmail-push",
		"app deploy app.deploy.yaml .deploy/cron.yaml", "pubsub subscriptions create discreet-jobs-push", "pubsub subscriptions create gmail-sent-push",
		"deployments create", "deployments install"}
	i := 0
	for _, p := range planned {
		if i < len(order) && strings.Contains(p, order[i]) {
			i++
		}
	}
	if i != len(order) {
		t.Errorf("planned changes miss or misorder %q:\n%s", order[i], strings.Join(planned, "\n"))
	}
	for _, f := range []string{"app.deploy.yaml", ".deploy"} {
		if _, err := os.Stat(filepath.Join(s.root, f)); err == nil {
			t.Errorf("a dry run wrote %s", f)
		}
	}
	if len(r.calls) == 0 || r.index("services enable") >= 0 {
		t.Errorf("calls: %v", r.calls)
	}
	if !strings.Contains(r.stdout, "Dry run: nothing was changed") || strings.Contains(r.stdout, "Deployed:") {
		t.Errorf("a dry run claims a deploy:\n%s", r.stdout)
	}
}

// CAPTURE=1: keyless delegation and the Pub/Sub path, and the one step
// left for the Admin console.
func TestDeployCapture(t *testing.T) {
	s := newSandbox(t)
	r := s.run(append(base, "CAPTURE=1")...).mustSucceed(t)
	const appSA = project + "@appspot.gserviceaccount.com"
	const pushSA = "gmail-push@" + project + ".iam.gserviceaccount.com"
	const push = "https://" + project + ".oa.r.appspot.com/v1/gmail/push"
	r.inOrder(t,
		[]string{g + "iam service-accounts add-iam-policy-binding " + appSA + " --member=serviceAccount:" + appSA + " --role=roles/iam.serviceAccountTokenCreator"},
		[]string{g + "pubsub topics create gmail-sent"},
		[]string{g + "pubsub topics add-iam-policy-binding gmail-sent --member=serviceAccount:gmail-api-push@system.gserviceaccount.com --role=roles/pubsub.publisher"},
		[]string{g + "iam service-accounts create gmail-push"},
		[]string{g + "app deploy app.deploy.yaml .deploy/cron.yaml"},
		[]string{g + "pubsub subscriptions create gmail-sent-push --topic=gmail-sent --push-endpoint=" + push +
			" --push-auth-service-account=" + pushSA + " --push-auth-token-audience=" + push},
	)
	env := deployedEnv(t, s)
	if env["DISCREET_GMAIL_DELEGATION_SA"] != appSA || env["DISCREET_PUBSUB_TOPIC"] != "projects/"+project+"/topics/gmail-sent" ||
		env["DISCREET_PUSH_AUDIENCE"] != push || env["DISCREET_PUSH_SA"] != pushSA {
		t.Errorf("capture env: %v", env)
	}
	if urls := deployedCron(t, s); len(urls) != 3 || !slices.Contains(urls, "/v1/jobs:sweep") || !slices.Contains(urls, "/v1/gmail/watch:renew") || !slices.Contains(urls, "/v1/retention:sweep") {
		t.Errorf("deployed cron %v, want the jobs sweep, the watch renewal and the retention sweep", urls)
	}
	if !strings.Contains(r.stdout, "client ID 108000000000000000007") || !strings.Contains(r.stdout, "https://www.googleapis.com/auth/gmail.readonly") {
		t.Errorf("the Admin console step is not spelled out:\n%s", r.stdout)
	}
	// Again: the subscription's push config follows the service's URL.
	r = s.run(append(base, "CAPTURE=1")...).mustSucceed(t)
	r.never(t, "topics create")
	r.never(t, "subscriptions create")
	r.inOrder(t, []string{g + "pubsub subscriptions modify-push-config gmail-sent-push --push-endpoint=" + push})
	// And a later deploy without capture takes the watch renewal out of cron.
	s.run(base...).mustSucceed(t)
	if urls := deployedCron(t, s); !slices.Equal(urls, []string{"/v1/jobs:sweep", "/v1/retention:sweep"}) {
		t.Errorf("deployed cron without capture %v, want the jobs and retention sweeps", urls)
	}
}

// ADDON=appsscript switches the add-on's path: user tokens for the
// script's client ID, no HTTP deployment.
func TestDeployAppsScript(t *testing.T) {
	s := newSandbox(t)
	r := s.run(append(base, "ADDON=appsscript", "ADDON_CLIENT_ID=1234-abc.apps.googleusercontent.com")...).mustSucceed(t)
	r.never(t, "get-authorization")
	r.never(t, "workspace-add-ons deployments")
	env := deployedEnv(t, s)
	if env["DISCREET_ADDON_USER_TOKEN_AUTH"] != "1" || env["DISCREET_ADDON_CLIENT_ID"] != "1234-abc.apps.googleusercontent.com" || env["DISCREET_ADDON_SA"] != "" {
		t.Errorf("apps script env: %v", env)
	}
	code, err := os.ReadFile(filepath.Join(s.root, ".deploy", "Code.js"))
	if err != nil || !strings.Contains(string(code), "var DISCREET_URL = 'https://"+project+".oa.r.appspot.com';") {
		t.Errorf("Code.js is not filled (%v)", err)
	}
}

// IAM bindings are retried while a new service account propagates, and
// the deploy stops when it never does.
func TestDeployIAMRetries(t *testing.T) {
	s := newSandbox(t)
	if err := os.WriteFile(filepath.Join(s.state, "iam-lag"), []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := s.run(base...).mustSucceed(t)
	n := 0
	for _, c := range r.calls {
		if strings.Contains(c, "roles/datastore.user") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("datastore.user binding tried %d times, want 3 (two failures, one success)", n)
	}
	if err := os.WriteFile(filepath.Join(s.state, "iam-lag"), []byte("100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = s.run(base...)
	if r.err == nil || !strings.Contains(r.stderr, "gave up after 6 attempts") {
		t.Errorf("IAM never ready: %v, %q", r.err, r.stderr)
	}
	r.never(t, "app deploy")
}

// Bad inputs stop the script before it calls anything, naming the input.
func TestDeployInputs(t *testing.T) {
	for _, tc := range []struct {
		vars []string
		name string
	}{
		{[]string{"REGION=europe-west6", "ADMINS=it@acme.example", "DOMAINS=acme.example"}, "PROJECT"},
		{[]string{"PROJECT=Acme Discreet", "REGION=europe-west6", "ADMINS=it@acme.example", "DOMAINS=acme.example"}, "PROJECT"},
		{[]string{"PROJECT=" + project, "ADMINS=it@acme.example", "DOMAINS=acme.example"}, "REGION"},
		{[]string{"PROJECT=" + project, "REGION=europe-west6", "DOMAINS=acme.example"}, "ADMINS"},
		{[]string{"PROJECT=" + project, "REGION=europe-west6", "ADMINS=it@acme.example,not-an-address", "DOMAINS=acme.example"}, "ADMINS"},
		{[]string{"PROJECT=" + project, "REGION=europe-west6", "ADMINS=it@acme.example"}, "DOMAINS"},
		{[]string{"PROJECT=" + project, "REGION=europe-west6", "ADMINS=it@acme.example", "DOMAINS=acme.example,@acme"}, "DOMAINS"},
		{append(base[:4:4], "ADDON=appsscript"), "ADDON_CLIENT_ID"},
		{append(base[:4:4], "ADDON=chrome"), "ADDON"},
		{append(base[:4:4], "CAPTURE=yes"), "CAPTURE"},
		{append(base[:4:4], "AUDIENCE=https://x/&y"), "AUDIENCE"},
	} {
		s := newSandbox(t)
		r := s.run(tc.vars...)
		if r.err == nil || !strings.HasPrefix(r.stderr, "deploy: "+tc.name+": ") || len(r.calls) != 0 {
			t.Errorf("%v: %v, stderr %q, calls %v", tc.vars, r.err, r.stderr, r.calls)
		}
	}
}

// The script parses, and shellcheck (when installed) finds nothing.
func TestDeployScriptLint(t *testing.T) {
	if out, err := exec.Command("bash", "-n", "deploy.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not installed")
		}
		t.Skip("shellcheck is not installed")
	}
	if out, err := exec.Command("shellcheck", "deploy.sh").CombinedOutput(); err != nil {
		t.Fatalf("shellcheck: %v\n%s", err, out)
	}
}
