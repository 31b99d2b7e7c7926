package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/gateway"
)

func TestRequestBodies(t *testing.T) {
	e := newEnv(t, envOptions{})
	seed(t, e)
	post := func(contentType, body string) response {
		return e.do(req{method: "POST", path: "/v1/never-log", as: admin, contentType: contentType, body: body})
	}
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		code, field, detail     string
	}{
		{"wrong content type", "text/plain", `{"pattern":"@a.example"}`, 415, "unsupported_media_type", "", "application/json"},
		{"no content type", "", `{"pattern":"@a.example"}`, 415, "unsupported_media_type", "", ""},
		{"form", "application/x-www-form-urlencoded", "pattern=x", 415, "unsupported_media_type", "", ""},
		{"latin1", "application/json; charset=iso-8859-1", `{"pattern":"@a.example"}`, 415, "unsupported_media_type", "", "utf-8"},
		{"unknown field", "application/json", `{"pattern":"@a.example","purge":true}`, 400, "invalid_argument", "purge", "purge"},
		{"syntax error", "application/json", `{"pattern":"@a.example",}`, 400, "invalid_argument", "", "byte offset 25"},
		{"truncated", "application/json", `{"pattern":"@a.exa`, 400, "invalid_argument", "", "ends too early"},
		{"empty", "application/json", ``, 400, "invalid_argument", "", "empty"},
		{"trailing data", "application/json", `{"pattern":"@a.example"} {"x":1}`, 400, "invalid_argument", "", "after the JSON object"},
		{"wrong type", "application/json", `{"pattern":"@a.example","purgeExisting":"yes"}`, 400, "invalid_argument", "purgeExisting", "purgeExisting"},
		{"array", "application/json", `[1]`, 400, "invalid_argument", "", "JSON object"},
		{"too deep", "application/json", `{"pattern":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 400, "invalid_argument", "", "nested"},
		{"bad value", "application/json", `{"pattern":"a@@b"}`, 400, "invalid_argument", "pattern", "pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(tc.contentType, tc.body)
			if resp.status != tc.status {
				t.Fatalf("%s, want %d", resp, tc.status)
			}
			p := resp.problem(t)
			if p.Code != tc.code || p.Field != tc.field || !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("problem %+v, want code %s field %q detail containing %q", p, tc.code, tc.field, tc.detail)
			}
		})
	}
	// A field nested in an array of objects is named by its path.
	resp := e.do(req{method: "PUT", path: "/v1/settings/me", as: anna, contentType: "application/json",
		body: `{"neverLog":[{"pattern":"@x.example","colour":"red"}]}`})
	if p := resp.problem(t); resp.status != 400 || p.Field != "colour" {
		t.Errorf("nested unknown field: %s", resp)
	}
	resp = e.do(req{method: "PUT", path: "/v1/settings/me", as: anna, contentType: "application/json", body: `{"neverLog":[{"pattern":7}]}`})
	if p := resp.problem(t); resp.status != 400 || p.Field != "neverLog.pattern" {
		t.Errorf("nested type error: %s", resp)
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, envOptions{})
	seed(t, e)
	big := `{"raw":"` + strings.Repeat("A", 10<<20) + `"}`
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(big)
		if chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		hr, _ := http.NewRequest("POST", e.srv.URL+"/v1/emails", body)
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+e.token(beat))
		resp, err := e.srv.Client().Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := response{status: resp.StatusCode, header: resp.Header, body: b}
		if r.status != http.StatusRequestEntityTooLarge || r.problem(t).Code != "too_large" {
			t.Errorf("chunked=%v: %s", chunked, r)
		}
	}
	// The import has a body limit of its own (TestImportBodyLimit); more
	// lines than an import may have are 413 as well.
	resp := e.do(req{method: "POST", path: "/v1/never-log:import", as: admin, contentType: "text/plain", body: strings.Repeat("@a.example\n", 200000)})
	if resp.status != http.StatusRequestEntityTooLarge {
		t.Errorf("import: %s", resp)
	}
	resp = e.do(req{method: "POST", path: "/v1/never-log:import", as: admin, contentType: "application/json", body: `"@a.example"`})
	if resp.status != http.StatusUnsupportedMediaType {
		t.Errorf("import as JSON: %s", resp)
	}
}

func TestLogEmailRequests(t *testing.T) {
	e := newEnv(t, envOptions{})
	seed(t, e)
	m := mail{from: beat, to: []string{kunde}, subject: "s", body: "b", messageID: "<r@x>"}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"neither", map[string]any{"visibility": "team"}, "raw"},
		{"both", map[string]any{"raw": m.base64url(), "gmailMessageId": "abc"}, "raw"},
		{"not base64", map[string]any{"raw": "%%%"}, "raw"},
		{"bad visibility", map[string]any{"raw": m.base64url(), "visibility": "everyone"}, "visibility"},
		{"log not bool", map[string]any{"raw": m.base64url(), "log": "yes"}, "log"},
		{"gmail without token", map[string]any{"gmailMessageId": "abc"}, "X-Gmail-Authorization"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(req{method: "POST", path: "/v1/emails", as: beat, json: tc.body})
			if resp.status != 400 || resp.problem(t).Field != tc.field {
				t.Errorf("%s, want 400 naming %s", resp, tc.field)
			}
		})
	}
	// Gmail is not wired in this env: 503 with Retry-After, not a 500.
	resp := e.do(req{method: "POST", path: "/v1/emails", as: beat, json: map[string]any{"gmailMessageId": "abc"},
		header: map[string]string{"X-Gmail-Authorization": "Bearer t"}})
	if resp.status != 503 || resp.header.Get("Retry-After") == "" {
		t.Errorf("gmail unconfigured: %s", resp)
	}
}

func TestPagingParameters(t *testing.T) {
	e := newEnv(t, envOptions{})
	seed(t, e)
	for _, p := range []string{"/v1/users?limit=101", "/v1/users?limit=0", "/v1/users?limit=x", "/v1/audit?limit=-1", "/v1/users?cursor=bogus"} {
		resp := e.do(req{method: "GET", path: p, as: admin})
		if resp.status != 400 {
			t.Errorf("%s: %s", p, resp)
		}
	}
	e.must(http.StatusOK, req{method: "GET", path: "/v1/users?limit=100", as: admin})
	// Walk every page: no repeats, no gaps.
	var seen []string
	cursor := ""
	for range 10 {
		var page struct {
			Items      []discreet.User
			NextCursor string
		}
		e.must(http.StatusOK, req{method: "GET", path: "/v1/users?limit=2&cursor=" + cursor, as: anna}).decode(t, &page)
		for _, u := range page.Items {
			seen = append(seen, u.Email)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 7 || !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != 7 {
		t.Errorf("paged users: %v", seen)
	}
}

func TestEchoErrorsAreProblems(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/nope", 404},
		{"GET", "/v1/nope", 404},
		{"DELETE", "/healthz", 405},
		{"POST", "/v1/me", 405},
		{"POST", "/v1/never-log/x:explode", 404},
		{"POST", "/v1/never-log/x", 404},
	} {
		resp := e.do(req{method: tc.method, path: tc.path, as: anna})
		if resp.status != tc.status {
			t.Errorf("%s %s: %s", tc.method, tc.path, resp)
			continue
		}
		resp.problem(t)
	}
	resp := e.do(req{method: "DELETE", path: "/healthz"})
	if resp.header.Get("Allow") == "" {
		t.Errorf("405 without Allow: %v", resp.header)
	}
}

// TestDevAuth: X-Dev-User signs in only when DevAuth is on.
func TestDevAuth(t *testing.T) {
	e := newEnv(t, envOptions{devAuth: true})
	seed(t, e)
	var me struct{ User discreet.User }
	e.must(http.StatusOK, req{method: "GET", path: "/v1/me", header: map[string]string{"X-Dev-User": "Anna@acme.example"}}).decode(t, &me)
	if me.User.Email != anna {
		t.Errorf("dev sign-in: %+v", me)
	}
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", header: map[string]string{"X-Dev-User": eve}})
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me"})
	// A bearer token, when present, is what counts.
	e.must(http.StatusUnauthorized, req{method: "GET", path: "/v1/me", header: map[string]string{"X-Dev-User": anna, "Authorization": "Bearer forged"}})

	// A verifier without audiences accepts no token at all (401, not 500).
	srv := httptest.NewServer(gateway.New(gateway.Config{Service: e.svc, Verifier: authtest.Verifier(t), Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	hr, _ := http.NewRequest("GET", srv.URL+"/v1/me", nil)
	hr.Header.Set("Authorization", "Bearer "+e.token(anna))
	resp, err := srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no audiences: %d", resp.StatusCode)
	}
}

func TestReadyz(t *testing.T) {
	var down error
	e := newEnv(t, envOptions{ready: func(context.Context) error { return down }})
	e.must(http.StatusOK, req{method: "GET", path: "/readyz"})
	down = errors.New("dial tcp 10.0.0.7:8080: connection refused")
	resp := e.must(http.StatusServiceUnavailable, req{method: "GET", path: "/readyz"})
	if resp.header.Get("Retry-After") == "" || resp.problem(t).Code != "unavailable" || strings.Contains(string(resp.body), "10.0.0.7") {
		t.Errorf("readyz down: %s %v", resp, resp.header)
	}
	e.must(http.StatusOK, req{method: "GET", path: "/healthz"})
}

// TestWarmup: App Engine's warmup request runs Config.Warmup (Ready when
// unset) and answers 503, saying nothing of the cause, when it fails.
func TestWarmup(t *testing.T) {
	var down error
	e := newEnv(t, envOptions{ready: func(context.Context) error { return down }})
	e.must(http.StatusOK, req{method: "GET", path: "/_ah/warmup"})
	down = errors.New("dial tcp 10.0.0.7:8080: connection refused")
	e.must(http.StatusServiceUnavailable, req{method: "GET", path: "/_ah/warmup"})

	warmed := 0
	h := gateway.New(gateway.Config{Service: e.svc, Ready: func(context.Context) error { return down },
		Warmup: func(context.Context) error { warmed++; return nil }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + "/_ah/warmup")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || warmed != 1 {
		t.Errorf("warmup: %d, warmed %d times", resp.StatusCode, warmed)
	}
}

// TestRequestLogAndPanics: one line per request with id, trace, status and
// latency, and no token or body; a panic is a bare 500 whose cause only
// the log sees. It also covers Mount.
func TestRequestLogAndPanics(t *testing.T) {
	e := newEnv(t, envOptions{project: "discreet-prod", mount: []func(*echo.Echo){func(x *echo.Echo) {
		x.GET("/addon/boom", func(echo.Context) error { panic("secret-cause-42") })
		x.GET("/addon/fail", func(echo.Context) error { return errors.New("db password is hunter2") })
		x.GET("/addon/limited", func(echo.Context) error {
			return &discreet.Error{Code: discreet.ERateLimited, Message: "Gmail asks to slow down", RetryAfter: 1500 * time.Millisecond}
		})
	}}})
	seed(t, e)
	resp := e.do(req{method: "GET", path: "/addon/boom"})
	if p := resp.problem(t); resp.status != 500 || p.Detail != "internal error" || strings.Contains(string(resp.body), "secret-cause") {
		t.Errorf("panic: %s", resp)
	}
	resp = e.do(req{method: "GET", path: "/addon/fail"})
	if p := resp.problem(t); resp.status != 500 || p.Detail != "internal error" || strings.Contains(string(resp.body), "hunter2") {
		t.Errorf("internal: %s", resp)
	}
	resp = e.do(req{method: "GET", path: "/addon/limited"})
	if resp.status != 429 || resp.header.Get("Retry-After") != "2" {
		t.Errorf("rate limited: %s %v", resp, resp.header)
	}

	tok := e.token(anna)
	resp = e.must(http.StatusCreated, req{method: "POST", path: "/v1/never-log", as: admin, json: map[string]any{"pattern": "@logged-body.example"},
		header: map[string]string{"X-Request-Id": "req-abc", "X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/7;o=1"}})
	if resp.header.Get("X-Request-Id") != "req-abc" {
		t.Errorf("request id not echoed: %v", resp.header)
	}
	resp = e.must(http.StatusOK, req{method: "GET", path: "/v1/me", as: anna, header: map[string]string{"X-Request-Id": "bad id INFO forged"}})
	generated := resp.header.Get("X-Request-Id")
	if !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(generated) {
		t.Errorf("generated request id %q", generated)
	}

	logs := e.logBuf.String()
	// Tokens and bodies never reach the log; the causes of 500s do.
	for _, secret := range []string{tok, "@logged-body.example"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q", secret)
		}
	}
	if !strings.Contains(logs, "secret-cause-42") || !strings.Contains(logs, "hunter2") {
		t.Errorf("causes of 500s not logged")
	}
	var found, foundGenerated bool
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if line["message"] != "request" {
			continue
		}
		for _, k := range []string{"severity", "method", "route", "status", "latency", "requestId"} {
			if _, ok := line[k]; !ok {
				t.Errorf("request line lacks %s: %v", k, line)
			}
		}
		switch line["requestId"] {
		case "req-abc":
			found = true
			if line["logging.googleapis.com/trace"] != "projects/discreet-prod/traces/105445aa7843bc8bf206b12000100000" ||
				line["status"] != 201.0 || line["route"] != "/v1/never-log" || line["severity"] != "INFO" {
				t.Errorf("request line: %v", line)
			}
		case generated:
			foundGenerated = true
		}
		if line["status"] == 500.0 && line["severity"] != "ERROR" {
			t.Errorf("500 logged as %v", line["severity"])
		}
	}
	if !found || !foundGenerated {
		t.Errorf("request lines missing (found %v, generated %v):\n%s", found, foundGenerated, logs)
	}
}

// documentedOperations reads "METHOD /path" pairs from the paths section:
// paths at two spaces, methods at four (the layout of openapi.yaml).
func documentedOperations(t *testing.T, doc []byte) map[string]bool {
	ops := map[string]bool{}
	inPaths, cur := false, ""
	methods := []string{"get", "put", "post", "patch", "delete", "head", "options"}
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case line == "paths:":
			inPaths = true
		case inPaths && line != "" && !strings.HasPrefix(line, " "):
			inPaths = false
		case inPaths && strings.HasPrefix(line, "  /"):
			cur = strings.TrimSuffix(strings.TrimSpace(line), ":")
		case inPaths && strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "     "):
			m := strings.TrimSuffix(strings.TrimSpace(line), ":")
			if slices.Contains(methods, m) {
				ops[strings.ToUpper(m)+" "+cur] = true
			}
		}
	}
	if len(ops) == 0 {
		t.Fatal("no operations found in openapi.yaml")
	}
	return ops
}
