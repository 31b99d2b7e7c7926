// Package appsscript_test checks the deployment templates against the
// server: every URL Google (or the Apps Script forwarder) will call is a
// route the server serves.
package appsscript_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/addon"
)

const host = "https://HOST"

// urls collects every string under v that starts with the placeholder.
func urls(v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			urls(x, out)
		}
	case []any:
		for _, x := range v {
			urls(x, out)
		}
	case string:
		if strings.HasPrefix(v, host) {
			*out = append(*out, v)
		}
	}
}

func served(t *testing.T) map[string]bool {
	e := echo.New()
	addon.Register(e, addon.Config{BaseURL: host})
	routes := map[string]bool{}
	for _, r := range e.Routes() {
		routes[r.Method+" "+r.Path] = true
	}
	return routes
}

func TestDeploymentURLsAreServed(t *testing.T) {
	raw, err := os.ReadFile("deployment.json")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("deployment.json: %v", err)
	}
	var found []string
	urls(d, &found)
	if len(found) != 3 {
		t.Errorf("deployment.json names %d endpoint URLs, want homepage, message and compose: %v", len(found), found)
	}
	routes := served(t)
	for _, u := range found {
		if !routes[http.MethodPost+" "+strings.TrimPrefix(u, host)] {
			t.Errorf("deployment.json calls %s, which the server does not serve", u)
		}
	}
	// The buttons of every card call the action endpoint.
	if !routes[http.MethodPost+" "+addon.PathAction] {
		t.Errorf("the server does not serve %s", addon.PathAction)
	}
	// The scopes ADDON.md requires, exactly.
	want := []string{
		"https://www.googleapis.com/auth/gmail.addons.execute",
		"https://www.googleapis.com/auth/gmail.addons.current.message.metadata",
		"https://www.googleapis.com/auth/gmail.addons.current.message.readonly",
		"https://www.googleapis.com/auth/gmail.addons.current.action.compose",
		"https://www.googleapis.com/auth/userinfo.email",
	}
	got, _ := json.Marshal(d["oauthScopes"])
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("oauthScopes = %s, want %s", got, wantJSON)
	}
}

func TestAppsScriptURLsAreServed(t *testing.T) {
	code, err := os.ReadFile("Code.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(code), "var DISCREET_URL = '"+host+"';") {
		t.Error("Code.js must name the server as " + host + " so fill/sed can replace it")
	}
	routes := served(t)
	paths := regexp.MustCompile(`'(/addon/[a-z]+)'`).FindAllStringSubmatch(string(code), -1)
	if len(paths) != 4 {
		t.Errorf("Code.js forwards to %d endpoints, want 4", len(paths))
	}
	for _, m := range paths {
		if !routes[http.MethodPost+" "+m[1]] {
			t.Errorf("Code.js posts to %s, which the server does not serve", m[1])
		}
	}
	raw, err := os.ReadFile("appsscript.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		URLFetchWhitelist []string `json:"urlFetchWhitelist"`
		OAuthScopes       []string `json:"oauthScopes"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatalf("appsscript.json: %v", err)
	}
	for _, m := range paths {
		ok := false
		for _, prefix := range manifest.URLFetchWhitelist {
			ok = ok || strings.HasPrefix(host+m[1], prefix)
		}
		if !ok {
			t.Errorf("urlFetchWhitelist %v does not allow %s", manifest.URLFetchWhitelist, host+m[1])
		}
	}
	for _, s := range []string{"openid", "https://www.googleapis.com/auth/script.external_request"} {
		if !strings.Contains(strings.Join(manifest.OAuthScopes, " "), s) {
			t.Errorf("appsscript.json lacks the scope %s (getIdentityToken / UrlFetchApp need it)", s)
		}
	}
}
