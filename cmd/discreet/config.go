package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/discreet-crm/discreet/policy"
)

// config is the service's configuration, read once from the environment.
type config struct {
	Port            int
	Addr            string
	Store           string // sqlite | firestore
	DataDir         string
	Project         string
	Audiences       []string
	AddonSA         string
	AddonClientID   string
	DevAuth         bool
	GmailEndpoint   string
	BootstrapAdmins []string
	MaxBody         int64
	Demo            bool
	BaseURL         string
}

// configError names the variable at fault, so start-up stops with one line
// that says what to fix.
type configError struct{ name, problem string }

func (e *configError) Error() string { return e.name + ": " + e.problem }

// loadConfig reads the environment through getenv.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Port:          8080,
		Store:         "sqlite",
		DataDir:       "./data",
		Project:       getenv("GOOGLE_CLOUD_PROJECT"),
		AddonSA:       strings.TrimSpace(getenv("DISCREET_ADDON_SA")),
		AddonClientID: strings.TrimSpace(getenv("DISCREET_ADDON_CLIENT_ID")),
		GmailEndpoint: strings.TrimSpace(getenv("DISCREET_GMAIL_ENDPOINT")),
		MaxBody:       1 << 20,
		Demo:          true,
	}
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return c, &configError{"PORT", fmt.Sprintf("%q is not a port number (0-65535; 0 picks a free one)", v)}
		}
		c.Port = p
	}
	if v := getenv("DISCREET_STORE"); v != "" {
		if v != "sqlite" && v != "firestore" {
			return c, &configError{"DISCREET_STORE", fmt.Sprintf("%q is not a store; use sqlite or firestore", v)}
		}
		c.Store = v
	}
	if v := getenv("DISCREET_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if c.Store == "firestore" && c.Project == "" {
		return c, &configError{"GOOGLE_CLOUD_PROJECT", "is required when DISCREET_STORE=firestore"}
	}
	c.Audiences = splitList(getenv("DISCREET_AUDIENCE"))
	// Local by default: with no audience there is nobody to verify tokens
	// for, so the service runs in dev mode on loopback unless told otherwise.
	c.DevAuth = len(c.Audiences) == 0
	if v := getenv("DISCREET_DEV_AUTH"); v != "" {
		b, err := parseBool(v)
		if err != nil {
			return c, &configError{"DISCREET_DEV_AUTH", err.Error()}
		}
		c.DevAuth = b
	}
	if !c.DevAuth && len(c.Audiences) == 0 {
		return c, &configError{"DISCREET_AUDIENCE", "is required unless DISCREET_DEV_AUTH=1 (the expected ID-token audience)"}
	}
	c.Addr = getenv("DISCREET_ADDR")
	if c.Addr == "" {
		if c.DevAuth {
			c.Addr = "127.0.0.1"
		}
	}
	if c.DevAuth && !isLoopback(c.Addr) {
		return c, &configError{"DISCREET_DEV_AUTH", fmt.Sprintf("dev auth trusts the X-Dev-User header and is refused unless DISCREET_ADDR is loopback (it is %q)", c.Addr)}
	}
	for _, a := range splitList(getenv("DISCREET_BOOTSTRAP_ADMINS")) {
		n, err := policy.NormalizeAddress(a)
		if err != nil {
			return c, &configError{"DISCREET_BOOTSTRAP_ADMINS", err.Error()}
		}
		c.BootstrapAdmins = append(c.BootstrapAdmins, n)
	}
	if v := getenv("DISCREET_MAX_BODY"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 || n > 64<<20 {
			return c, &configError{"DISCREET_MAX_BODY", fmt.Sprintf("%q is not a byte count between 1024 and 67108864", v)}
		}
		c.MaxBody = n
	}
	if v := getenv("DISCREET_DEMO"); v != "" {
		b, err := parseBool(v)
		if err != nil {
			return c, &configError{"DISCREET_DEMO", err.Error()}
		}
		c.Demo = b
	}
	if c.GmailEndpoint != "" {
		if u, err := url.Parse(c.GmailEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, &configError{"DISCREET_GMAIL_ENDPOINT", fmt.Sprintf("%q is not an http(s) URL", c.GmailEndpoint)}
		}
	}
	c.BaseURL = strings.TrimRight(getenv("DISCREET_BASE_URL"), "/")
	if c.BaseURL == "" {
		host := c.Addr
		if host == "" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, strconv.Itoa(c.Port))
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, &configError{"DISCREET_BASE_URL", fmt.Sprintf("%q is not an http(s) URL", c.BaseURL)}
	}
	return c, nil
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
