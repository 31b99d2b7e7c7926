package main

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/discreet-crm/discreet/policy"
)

// config is the service's configuration: read from the environment once,
// validated once, and handed to the packages as values (none of them reads
// the environment). Each part groups what one package needs.
type config struct {
	Port    int
	Addr    string
	Store   string // sqlite | firestore
	DataDir string
	Project string
	Demo    bool
	MaxBody int64
	BaseURL string
	// OnAppEngine is GAE_ENV=standard: App Engine strips X-Appengine-Cron
	// from outside requests there, and only there.
	OnAppEngine bool
	// Instance names this instance as the holder of the jobs it runs
	// (GAE_INSTANCE; "": a random id).
	Instance string

	Auth    authConfig
	Addon   addonConfig
	Gmail   gmailConfig
	Capture captureConfig
	Jobs    jobsConfig
}

// authConfig says who may sign in, and how.
type authConfig struct {
	Audiences []string
	DevAuth   bool
	// BootstrapAdmins become admins on first sign-in.
	BootstrapAdmins []string
	// InternalDomains seed the org's internal domains while it has none.
	InternalDomains []string
}

// addonConfig is the Gmail add-on deployment's identity.
type addonConfig struct {
	ServiceAccount string
	ClientID       string
	// UserTokenAuth: the Apps Script forwarder sends the user's ID token
	// instead of the HTTP deployment's system ID token.
	UserTokenAuth bool
}

// gmailConfig is where the Gmail API is ("" is Google's).
type gmailConfig struct {
	Endpoint string
}

// captureConfig is sent-mail capture's deployment; capture is on when
// DelegationSA is set.
type captureConfig struct {
	DelegationSA string
	Topic        string
	PushAudience string
	PushSA       string
}

// On reports whether sent-mail capture is configured.
func (c captureConfig) On() bool { return c.DelegationSA != "" }

// jobsConfig says how long work (purges, large imports) runs: on
// goroutines of this process (embedded), or request-driven through a
// Pub/Sub topic whose push subscription calls /v1/jobs:run (pubsub).
type jobsConfig struct {
	Driver       string // embedded | pubsub
	Topic        string // projects/P/topics/T
	PushAudience string
	PushSA       string
	// Lease is how long a job stays with an instance that stopped renewing
	// it (it died) before another takes it over; 0: the service's default.
	Lease time.Duration
}

// PubSub reports whether jobs run through Pub/Sub.
func (j jobsConfig) PubSub() bool { return j.Driver == "pubsub" }

// Project is the project of Topic.
func (j jobsConfig) Project() string {
	p, _, _ := strings.Cut(strings.TrimPrefix(j.Topic, "projects/"), "/")
	return p
}

// configError names the variable at fault, so start-up stops with one line
// that says what to fix.
type configError struct{ name, problem string }

func (e *configError) Error() string { return e.name + ": " + e.problem }

func errorf(name, format string, args ...any) error {
	return &configError{name, fmt.Sprintf(format, args...)}
}

var (
	topicName      = regexp.MustCompile(`^projects/[^/]+/topics/[^/]+$`)
	serviceAccount = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*@[a-z0-9.-]+\.gserviceaccount\.com$`)
)

// loadConfig reads the environment through getenv. Every variable is read
// first, in one place, so the list here is the list README documents.
func loadConfig(getenv func(string) string) (config, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	var (
		port            = get("PORT")
		addr            = get("DISCREET_ADDR")
		storeKind       = get("DISCREET_STORE")
		dataDir         = get("DISCREET_DATA_DIR")
		demo            = get("DISCREET_DEMO")
		project         = get("GOOGLE_CLOUD_PROJECT")
		gaeEnv          = get("GAE_ENV")
		maxBody         = get("DISCREET_MAX_BODY")
		baseURL         = get("DISCREET_BASE_URL")
		audience        = get("DISCREET_AUDIENCE")
		devAuth         = get("DISCREET_DEV_AUTH")
		bootstrapAdmins = get("DISCREET_BOOTSTRAP_ADMINS")
		internalDomains = get("DISCREET_INTERNAL_DOMAINS")
		addonSA         = get("DISCREET_ADDON_SA")
		addonClientID   = get("DISCREET_ADDON_CLIENT_ID")
		addonUserToken  = get("DISCREET_ADDON_USER_TOKEN_AUTH")
		gmailEndpoint   = get("DISCREET_GMAIL_ENDPOINT")
		delegationSA    = get("DISCREET_GMAIL_DELEGATION_SA")
		delegationKey   = get("DISCREET_GMAIL_DELEGATION_KEY")
		topic           = get("DISCREET_PUBSUB_TOPIC")
		pushAudience    = get("DISCREET_PUSH_AUDIENCE")
		pushSA          = get("DISCREET_PUSH_SA")
		jobs            = get("DISCREET_JOBS")
		jobsTopic       = get("DISCREET_JOBS_TOPIC")
		jobsAudience    = get("DISCREET_JOBS_PUSH_AUDIENCE")
		jobsPushSA      = get("DISCREET_JOBS_PUSH_SA")
		jobLease        = get("DISCREET_JOB_LEASE")
		instance        = get("GAE_INSTANCE")
	)

	c := config{
		Port: 8080, Store: "sqlite", DataDir: "./data", Project: project, Demo: true, MaxBody: 1 << 20,
		OnAppEngine: gaeEnv == "standard", Instance: instance,
	}
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return c, errorf("PORT", "%q is not a port number (0-65535; 0 picks a free one)", port)
		}
		c.Port = p
	}
	if storeKind != "" {
		if storeKind != "sqlite" && storeKind != "firestore" {
			return c, errorf("DISCREET_STORE", "%q is not a store; use sqlite or firestore", storeKind)
		}
		c.Store = storeKind
	}
	if dataDir != "" {
		c.DataDir = dataDir
	}
	if c.Store == "firestore" && c.Project == "" {
		return c, errorf("GOOGLE_CLOUD_PROJECT", "is required when DISCREET_STORE=firestore")
	}
	if demo != "" {
		b, err := parseBool(demo)
		if err != nil {
			return c, errorf("DISCREET_DEMO", "%v", err)
		}
		c.Demo = b
	}
	if maxBody != "" {
		n, err := strconv.ParseInt(maxBody, 10, 64)
		if err != nil || n < 1024 || n > 64<<20 {
			return c, errorf("DISCREET_MAX_BODY", "%q is not a byte count between 1024 and 67108864", maxBody)
		}
		c.MaxBody = n
	}

	var err error
	if c.Auth, err = loadAuth(audience, devAuth, bootstrapAdmins, internalDomains); err != nil {
		return c, err
	}
	c.Addr = addr
	if c.Addr == "" && c.Auth.DevAuth {
		c.Addr = "127.0.0.1"
	}
	if c.Auth.DevAuth && !isLoopback(c.Addr) {
		return c, errorf("DISCREET_DEV_AUTH", "dev auth trusts the X-Dev-User header and is refused unless DISCREET_ADDR is loopback (it is %q)", c.Addr)
	}

	c.Addon = addonConfig{ServiceAccount: strings.ToLower(addonSA), ClientID: addonClientID}
	if addonUserToken != "" {
		b, err := parseBool(addonUserToken)
		if err != nil {
			return c, errorf("DISCREET_ADDON_USER_TOKEN_AUTH", "%v", err)
		}
		c.Addon.UserTokenAuth = b
	}
	if c.Addon.UserTokenAuth && c.Addon.ClientID == "" {
		return c, errorf("DISCREET_ADDON_CLIENT_ID", "is required when DISCREET_ADDON_USER_TOKEN_AUTH=1 (the Apps Script project's OAuth client ID, the audience of its users' ID tokens)")
	}

	c.BaseURL = strings.TrimRight(baseURL, "/")
	switch {
	case c.BaseURL != "":
		if !httpURL(c.BaseURL) {
			return c, errorf("DISCREET_BASE_URL", "%q is not an http(s) URL", c.BaseURL)
		}
	case !c.Auth.DevAuth && (c.Addon.ServiceAccount != "" || c.Addon.ClientID != ""):
		return c, errorf("DISCREET_BASE_URL", "is required with the add-on (its action URLs and the audience of Google's system ID token): the service's public origin, e.g. https://PROJECT.REGION.r.appspot.com")
	default:
		host := c.Addr
		if host == "" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, strconv.Itoa(c.Port))
	}

	if gmailEndpoint != "" && !httpURL(gmailEndpoint) {
		return c, errorf("DISCREET_GMAIL_ENDPOINT", "%q is not an http(s) URL", gmailEndpoint)
	}
	c.Gmail.Endpoint = gmailEndpoint

	if delegationKey != "" {
		return c, errorf("DISCREET_GMAIL_DELEGATION_KEY", "key files are no longer used; unset it and set DISCREET_GMAIL_DELEGATION_SA to the service account the server runs as (docs/CAPTURE.md)")
	}
	if c.Capture, err = loadCapture(delegationSA, topic, pushAudience, pushSA); err != nil {
		return c, err
	}
	if c.Jobs, err = loadJobs(jobs, jobsTopic, jobsAudience, jobsPushSA, jobLease); err != nil {
		return c, err
	}
	return c, nil
}

func loadAuth(audience, devAuth, bootstrapAdmins, internalDomains string) (authConfig, error) {
	a := authConfig{Audiences: splitList(audience)}
	// Local by default: with no audience there is nobody to verify tokens
	// for, so the service runs in dev mode on loopback unless told otherwise.
	a.DevAuth = len(a.Audiences) == 0
	if devAuth != "" {
		b, err := parseBool(devAuth)
		if err != nil {
			return a, errorf("DISCREET_DEV_AUTH", "%v", err)
		}
		a.DevAuth = b
	}
	if !a.DevAuth && len(a.Audiences) == 0 {
		return a, errorf("DISCREET_AUDIENCE", "is required unless DISCREET_DEV_AUTH=1 (the expected ID-token audience)")
	}
	for _, s := range splitList(bootstrapAdmins) {
		n, err := policy.NormalizeAddress(s)
		if err != nil {
			return a, errorf("DISCREET_BOOTSTRAP_ADMINS", "%v", err)
		}
		a.BootstrapAdmins = append(a.BootstrapAdmins, n)
	}
	for _, s := range splitList(internalDomains) {
		n, err := policy.NormalizeDomain(s)
		if err != nil {
			return a, errorf("DISCREET_INTERNAL_DOMAINS", "%q: %v", s, err)
		}
		a.InternalDomains = append(a.InternalDomains, n)
	}
	return a, nil
}

func loadCapture(delegationSA, topic, pushAudience, pushSA string) (captureConfig, error) {
	c := captureConfig{
		DelegationSA: strings.ToLower(delegationSA), Topic: topic,
		PushAudience: pushAudience, PushSA: strings.ToLower(pushSA),
	}
	if !c.On() {
		return c, nil
	}
	switch {
	case !serviceAccount.MatchString(c.DelegationSA):
		return c, errorf("DISCREET_GMAIL_DELEGATION_SA", "%q is not a service account address (…@….gserviceaccount.com)", delegationSA)
	case c.Topic == "":
		return c, errorf("DISCREET_PUBSUB_TOPIC", "is required when DISCREET_GMAIL_DELEGATION_SA is set (projects/P/topics/T)")
	case !topicName.MatchString(c.Topic):
		return c, errorf("DISCREET_PUBSUB_TOPIC", "%q is not of the form projects/P/topics/T", c.Topic)
	case c.PushAudience == "":
		return c, errorf("DISCREET_PUSH_AUDIENCE", "is required when DISCREET_GMAIL_DELEGATION_SA is set (the push subscription's token audience)")
	case c.PushSA == "":
		return c, errorf("DISCREET_PUSH_SA", "is required when DISCREET_GMAIL_DELEGATION_SA is set (the push subscription's service account)")
	case !serviceAccount.MatchString(c.PushSA):
		return c, errorf("DISCREET_PUSH_SA", "%q is not a service account address (…@….gserviceaccount.com)", pushSA)
	}
	return c, nil
}

func loadJobs(driver, topic, pushAudience, pushSA, lease string) (jobsConfig, error) {
	j := jobsConfig{Driver: driver, Topic: topic, PushAudience: pushAudience, PushSA: strings.ToLower(pushSA)}
	if lease != "" {
		d, err := time.ParseDuration(lease)
		if err != nil || d < time.Second || d > time.Hour {
			return j, errorf("DISCREET_JOB_LEASE", "%q is not a duration between 1s and 1h (like 1m)", lease)
		}
		j.Lease = d
	}
	switch j.Driver {
	case "", "embedded":
		j.Driver = "embedded"
		return j, nil
	case "pubsub":
	default:
		return j, errorf("DISCREET_JOBS", "%q is not a job driver; use embedded or pubsub", driver)
	}
	switch {
	case j.Topic == "":
		return j, errorf("DISCREET_JOBS_TOPIC", "is required when DISCREET_JOBS=pubsub (projects/P/topics/T)")
	case !topicName.MatchString(j.Topic):
		return j, errorf("DISCREET_JOBS_TOPIC", "%q is not of the form projects/P/topics/T", j.Topic)
	case j.PushAudience == "":
		return j, errorf("DISCREET_JOBS_PUSH_AUDIENCE", "is required when DISCREET_JOBS=pubsub (the push subscription's token audience)")
	case j.PushSA == "":
		return j, errorf("DISCREET_JOBS_PUSH_SA", "is required when DISCREET_JOBS=pubsub (the push subscription's service account)")
	case !serviceAccount.MatchString(j.PushSA):
		return j, errorf("DISCREET_JOBS_PUSH_SA", "%q is not a service account address (…@….gserviceaccount.com)", pushSA)
	}
	return j, nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean; use 1 or 0", v)
}

func isLoopback(addr string) bool {
	if addr == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(addr, "[]"))
	return ip != nil && ip.IsLoopback()
}
