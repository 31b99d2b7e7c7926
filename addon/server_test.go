package addon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/auth/authtest"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// The demo org, as the lead's demo loader seeds it.
const (
	admin = "admin@acme.example"
	anna  = "anna@acme.example"
	beat  = "beat@acme-ch.example"
	carla = "carla@acme-ch.example"
)

var demoNow = time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)

func demoMessage(from, to, subject, id string, date time.Time) []byte {
	return fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@demo.discreet>\r\nDate: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n",
		from, to, subject, id, date.Format(time.RFC1123Z))
}

// newDemoService builds the demo org through service methods on a fresh
// SQLite store: teams de/ch, the four users, the Swiss customer owned by
// Beat with a public, a team and a private email, the Berlin customer owned
// by Anna, and @hr-partner.example on the Never Log List.
func newDemoService(t testing.TB) *service.Service {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(service.Config{
		Store: st, Gmail: FixtureSource(DevMail()), BootstrapAdmins: []string{admin},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("demo %s: %v", what, err)
		}
	}
	a, err := svc.SignIn(ctx, admin)
	must("admin", err)
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme.example", "acme-ch.example"}
	_, err = svc.PutOrgSettings(ctx, a, org)
	must("settings", err)
	for _, tm := range []discreet.Team{{ID: "de", Name: "Germany"}, {ID: "ch", Name: "Switzerland"}} {
		_, err := svc.PutTeam(ctx, a, tm)
		must("team", err)
	}
	users := map[string]discreet.User{}
	for _, u := range []discreet.User{
		{Email: anna, Name: "Anna Schmidt", Role: discreet.RoleRep, Teams: []string{"de"}},
		{Email: beat, Name: "Beat Keller", Role: discreet.RoleRep, Teams: []string{"ch"}},
		{Email: carla, Name: "Carla Rossi", Role: discreet.RoleManager, Teams: []string{"ch"}},
	} {
		stored, err := svc.PutUser(ctx, a, u)
		must("user", err)
		users[u.Email] = stored
	}
	_, err = svc.AddNeverLog(ctx, a, service.AddNeverLogRequest{Pattern: "@hr-partner.example", Note: "HR provider"})
	must("never log", err)
	yes := true
	for i, m := range []struct {
		by, from, to, subject string
		vis                   discreet.Visibility
	}{
		{beat, beat, "kunde@zurich-bank.example", "Zurich Bank: renewal quote for 2027", discreet.VisibilityPublic},
		{beat, "kunde@zurich-bank.example", beat, "Zurich Bank: discount (Swiss team only)", discreet.VisibilityTeam},
		{beat, "kunde@zurich-bank.example", beat, "Zurich Bank: CFO's personal request", discreet.VisibilityPrivate},
		{anna, anna, "einkauf@berlin-tools.example", "Berlin Tools: order confirmation", discreet.VisibilityPublic},
	} {
		raw := demoMessage(m.from, m.to, m.subject, fmt.Sprintf("demo-%d", i+1), demoNow.Add(-time.Duration(9-2*i)*24*time.Hour))
		_, err := svc.LogEmail(ctx, users[m.by], service.LogRequest{Raw: raw, Log: &yes, Visibility: m.vis, Source: discreet.SourceButton})
		must("log", err)
	}
	return svc
}

// devServer is the add-on in dev mode on an Echo server.
func devServer(t testing.TB, svc *service.Service) *echo.Echo {
	e := echo.New()
	Register(e, Config{Service: svc, DevAuth: true, BaseURL: "https://discreet.example", Gmail: FixtureSource(DevMail()),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return e
}

// newProdServer is the add-on without dev mode.
func newProdServer(t testing.TB, svc *service.Service) *echo.Echo {
	e := echo.New()
	Register(e, Config{Service: svc, BaseURL: "https://discreet.example", Gmail: FixtureSource(DevMail()),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return e
}

type call struct {
	path    string
	user    string // X-Dev-User
	headers map[string]string
	body    string
}

// do posts an event and returns the response body after checking it is a
// 200 with a card or toast that Gmail accepts.
func do(t *testing.T, e http.Handler, c call) map[string]any {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(c.body))
	req.Header.Set("Content-Type", "application/json")
	if c.user != "" {
		req.Header.Set("X-Dev-User", c.user)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d: %s", c.path, rec.Code, rec.Body)
	}
	validateResponse(t, c.path, rec.Body.Bytes())
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

type ev map[string]any

func messageEvent(id string, params map[string]string, form map[string][]string) string {
	return eventJSON(ev{"messageId": id, "threadId": "t-" + id, "accessToken": "gmail-access"}, params, form)
}

func eventJSON(gmail ev, params map[string]string, form map[string][]string) string {
	common := ev{"hostApp": "GMAIL", "platform": "WEB", "userLocale": "en", "timeZone": ev{"id": "Europe/Berlin", "offset": 3600000}}
	if params != nil {
		common["parameters"] = params
	}
	if form != nil {
		fi := ev{}
		for k, v := range form {
			fi[k] = ev{"stringInputs": ev{"value": v}}
		}
		common["formInputs"] = fi
	}
	b, _ := json.Marshal(ev{"commonEventObject": common, "gmail": gmail,
		"authorizationEventObject": ev{"userOAuthToken": "ya29.user", "userIdToken": "", "systemIdToken": ""}})
	return string(b)
}

// eachNode calls visit on x and on every value inside it, depth first: the
// walk the checks of a card's JSON share.
func eachNode(x any, visit func(any)) {
	visit(x)
	switch x := x.(type) {
	case map[string]any:
		for _, v := range x {
			eachNode(v, visit)
		}
	case []any:
		for _, v := range x {
			eachNode(v, visit)
		}
	}
}

// text is every string in a response, for "the card says …" checks.
func text(x any) string {
	var b bytes.Buffer
	eachNode(x, func(v any) {
		if s, ok := v.(string); ok {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	})
	return b.String()
}

func wantText(t *testing.T, resp map[string]any, want ...string) {
	t.Helper()
	s := text(resp)
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("response lacks %q:\n%s", w, s)
		}
	}
}

func rejectText(t *testing.T, resp map[string]any, reject ...string) {
	t.Helper()
	s := text(resp)
	for _, w := range reject {
		if strings.Contains(s, w) {
			t.Errorf("response shows %q, which it must not:\n%s", w, s)
		}
	}
}

func TestMessageCardStubThenLogPrivate(t *testing.T) {
	e := devServer(t, newDemoService(t))
	resp := do(t, e, call{path: PathMessage, user: anna, body: messageEvent("zurich-to-anna", nil, nil)})
	wantText(t, resp, "Known contact — owned by Beat Keller, Switzerland · ask them for access", "Not logged yet", "3 more emails you can't see, owned by Beat Keller")
	rejectText(t, resp, "renewal quote", "discount", "CFO")

	resp = do(t, e, call{path: PathAction, user: anna, body: messageEvent("zurich-to-anna",
		map[string]string{"action": "log", "messageId": "zurich-to-anna"}, map[string][]string{"visibility": {"private"}})})
	wantText(t, resp, "Logged as Private", "by Anna Schmidt")
	if _, ok := resp["renderActions"]; !ok {
		t.Errorf("a callback must answer with renderActions: %v", resp)
	}

	// Beat owns the contact but the email is Anna's private one: he sees
	// it only as hidden. The card shows his two newest emails; More pages
	// on from there.
	resp = do(t, e, call{path: PathMessage, user: beat, body: messageEvent("zurich-to-beat", nil, nil)})
	wantText(t, resp, "Zurich Bank: CFO's personal request", "Zurich Bank: discount (Swiss team only)", "1 more email you can't see", "More")
	rejectText(t, resp, "can Berlin deliver", "renewal quote")
	cursor := actionParam(resp, "cursor")
	if cursor == "" {
		t.Fatalf("the More button carries no cursor: %s", mustJSON(resp))
	}
	resp = do(t, e, call{path: PathAction, user: beat, body: messageEvent("zurich-to-beat",
		map[string]string{"action": "more", "contact": "kunde@zurich-bank.example", "cursor": cursor}, nil)})
	wantText(t, resp, "Zurich Bank: renewal quote for 2027")
	rejectText(t, resp, "can Berlin deliver", "CFO's personal request")
}

// actionParam finds the value of the first action parameter named key in
// a card response.
func actionParam(resp any, key string) string {
	switch v := resp.(type) {
	case map[string]any:
		if v["key"] == key {
			if s, ok := v["value"].(string); ok {
				return s
			}
		}
		for _, x := range v {
			if s := actionParam(x, key); s != "" {
				return s
			}
		}
	case []any:
		for _, x := range v {
			if s := actionParam(x, key); s != "" {
				return s
			}
		}
	}
	return ""
}

func TestMessageCardNeverLogAndInternal(t *testing.T) {
	e := devServer(t, newDemoService(t))
	resp := do(t, e, call{path: PathMessage, user: anna, body: messageEvent("hr-partner", nil, nil)})
	wantText(t, resp, "Not logged: anna@hr-partner.example is on the Never Log List (@hr-partner.example)")
	rejectText(t, resp, "Not logged yet")

	resp = do(t, e, call{path: PathMessage, user: anna, body: messageEvent("internal", nil, nil)})
	wantText(t, resp, "Not logged: only colleagues are on this email.")
}

func TestComposeCard(t *testing.T) {
	e := devServer(t, newDemoService(t))
	resp := do(t, e, call{path: PathCompose, user: anna, body: eventJSON(ev{"toRecipients": []string{"anna@hr-partner.example"}, "ccRecipients": []string{"kunde@zurich-bank.example"}}, nil, nil)})
	wantText(t, resp, "Not logged: anna@hr-partner.example is on the Never Log List (@hr-partner.example)")
	if strings.Contains(text(resp), "switchControl") || strings.Contains(mustJSON(resp), `"switchControl"`) {
		t.Errorf("a blocked draft must not offer the Log switch")
	}

	resp = do(t, e, call{path: PathCompose, user: anna, body: eventJSON(ev{"toRecipients": []string{"kunde@zurich-bank.example"}}, nil, nil)})
	if !strings.Contains(mustJSON(resp), `"switchControl"`) {
		t.Errorf("compose card lacks the Log switch: %s", mustJSON(resp))
	}
	resp = do(t, e, call{path: PathAction, user: anna, body: eventJSON(ev{"toRecipients": []string{"kunde@zurich-bank.example"}},
		map[string]string{"action": "saveIntent"}, map[string][]string{"log": {"true"}, "visibility": {"team"}})})
	wantText(t, resp, "Saved: this email will be logged as Team.")
}

func mustJSON(x any) string {
	b, _ := json.Marshal(x)
	return string(b)
}

func TestHomepageAdminNeverLog(t *testing.T) {
	e := devServer(t, newDemoService(t))
	resp := do(t, e, call{path: PathHomepage, user: admin, body: eventJSON(ev{}, nil, nil)})
	wantText(t, resp, "Never Log List", "Org settings", "Your settings")
	resp = do(t, e, call{path: PathAction, user: admin, body: eventJSON(ev{}, map[string]string{"action": "openArea", "area": "neverLog"}, nil)})
	wantText(t, resp, "@hr-partner.example")

	resp = do(t, e, call{path: PathHomepage, user: anna, body: eventJSON(ev{}, nil, nil)})
	wantText(t, resp, "Your Never Log List")
	rejectText(t, resp, "Org settings", "@hr-partner.example")

	// A bad pattern is explained next to the field; nothing is added.
	resp = do(t, e, call{path: PathAction, user: admin, body: eventJSON(ev{}, map[string]string{"action": "addEntry"}, map[string][]string{"pattern": {"bad@@example.com"}})})
	wantText(t, resp, "bad@@example.com")
	// Import errors carry line numbers.
	resp = do(t, e, call{path: PathAction, user: admin, body: eventJSON(ev{}, map[string]string{"action": "importEntries"},
		map[string][]string{"importText": {"@ok.example\nbad@@x.example\n"}})})
	wantText(t, resp, "Nothing imported: fix these lines.", "Line 2:")
	// A rep calling an admin action gets the service's refusal as a card.
	resp = do(t, e, call{path: PathAction, user: anna, body: eventJSON(ev{}, map[string]string{"action": "importEntries"},
		map[string][]string{"importText": {"@ok.example\n"}})})
	wantText(t, resp, "Something went wrong")

	// Dry run, then purge: the rep's logged email to the Berlin customer.
	resp = do(t, e, call{path: PathAction, user: admin, body: eventJSON(ev{}, map[string]string{"action": "addEntry"}, map[string][]string{"pattern": {"@berlin-tools.example"}})})
	wantText(t, resp, "1 logged emails match")
}

func TestBadEventsGetErrorCards(t *testing.T) {
	e := devServer(t, newDemoService(t))
	for name, c := range map[string]call{
		"not JSON":        {path: PathMessage, user: anna, body: "{nope"},
		"empty":           {path: PathHomepage, user: anna, body: ""},
		"wrong type":      {path: PathMessage, user: anna, body: `{"gmail": {"messageId": 7}}`},
		"unknown action":  {path: PathAction, user: anna, body: eventJSON(ev{}, map[string]string{"action": "explode"}, nil)},
		"no action":       {path: PathAction, user: anna, body: eventJSON(ev{}, nil, nil)},
		"no message":      {path: PathMessage, user: anna, body: eventJSON(ev{}, nil, nil)},
		"unknown message": {path: PathMessage, user: anna, body: messageEvent("no-such-message", nil, nil)},
		"not a member":    {path: PathHomepage, user: "eve@evil.example", body: eventJSON(ev{}, nil, nil)},
		"too large":       {path: PathHomepage, user: anna, body: `{"x":"` + strings.Repeat("a", MaxBody) + `"}`},
	} {
		t.Run(name, func(t *testing.T) {
			resp := do(t, e, c)
			wantText(t, resp, "Something went wrong")
		})
	}
}

// hosted is the add-on as production serves it: mounted in the REST
// gateway, whose error handler answers problem+json.
func hosted(t *testing.T, svc *service.Service, cfg Config) http.Handler {
	t.Helper()
	cfg.Service = svc
	cfg.BaseURL = "https://discreet.example"
	cfg.Gmail = FixtureSource(DevMail())
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return gateway.New(gateway.Config{Service: svc, Logger: cfg.Logger, Mount: []func(*echo.Echo){func(e *echo.Echo) { Register(e, cfg) }}})
}

// wantProblem posts c and checks the answer is status as problem+json,
// with no card in it.
func wantProblem(t *testing.T, h http.Handler, c call, status int) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(c.body))
	req.Header.Set("Content-Type", "application/json")
	if c.user != "" {
		req.Header.Set("X-Dev-User", c.user)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != status || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s: %d %s %s, want %d problem+json", c.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body, status)
	}
	var p struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != status || p.Code == "" {
		t.Fatalf("%s: problem %s (%v)", c.path, rec.Body, err)
	}
	if strings.Contains(rec.Body.String(), "navigations") || strings.Contains(rec.Body.String(), "renderActions") {
		t.Fatalf("%s: a card for a request Google did not sign: %s", c.path, rec.Body)
	}
}

// TestProductionAuth runs the real token verification with the test
// signer: the system ID token must be the add-on's service account for the
// URL called (else 401 problem+json: only Google calls these endpoints),
// and the rep is whoever userIdToken says (else a card that says so).
func TestProductionAuth(t *testing.T) {
	svc := newDemoService(t)
	const sa = "service-123@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
	const client = "1234.apps.googleusercontent.com"
	e := hosted(t, svc, Config{Verifier: authtestVerifier(t), ServiceAccount: sa, ClientID: client})
	bodyWith := func(userToken string) string {
		b, _ := json.Marshal(ev{"commonEventObject": ev{"hostApp": "GMAIL"}, "authorizationEventObject": ev{"userIdToken": userToken}})
		return string(b)
	}
	good := authtestToken(sa, "https://discreet.example"+PathHomepage)
	sys := map[string]string{"Authorization": "Bearer " + good}
	user := authtestToken(anna, client)

	resp := do(t, e, call{path: PathHomepage, headers: sys, body: bodyWith(user)})
	wantText(t, resp, "Signed in as anna@acme.example")

	// Not Google: 401 problem+json, whatever the body.
	for name, c := range map[string]call{
		"no header":                  {path: PathHomepage, body: bodyWith(user)},
		"no header, garbage":         {path: PathHomepage, body: "{nope"},
		"not a bearer token":         {path: PathHomepage, headers: map[string]string{"Authorization": "Basic " + good}, body: bodyWith(user)},
		"wrong audience":             {path: PathMessage, headers: sys, body: bodyWith(user)},
		"not the add-on":             {path: PathHomepage, headers: map[string]string{"Authorization": "Bearer " + authtestToken("someone@example.com", "https://discreet.example"+PathHomepage)}, body: bodyWith(user)},
		"forged signature":           {path: PathHomepage, headers: map[string]string{"Authorization": "Bearer " + authtest.SignWrongKey(authtest.Claims(sa, "https://discreet.example"+PathHomepage))}, body: bodyWith(user)},
		"user token as system token": {path: PathHomepage, headers: map[string]string{"Authorization": "Bearer " + user}, body: bodyWith(user)},
		"dev header":                 {path: PathHomepage, user: anna, body: bodyWith(user)},
	} {
		t.Run(name, func(t *testing.T) { wantProblem(t, e, c, http.StatusUnauthorized) })
	}

	// Google-signed, but the user cannot be signed in: a card.
	for name, c := range map[string]call{
		"user token for sa":  {path: PathHomepage, headers: sys, body: bodyWith(authtestToken(anna, "https://discreet.example"+PathHomepage))},
		"no user token":      {path: PathHomepage, headers: sys, body: bodyWith("")},
		"dev header ignored": {path: PathHomepage, user: anna, headers: sys, body: bodyWith("")},
		"garbage event":      {path: PathHomepage, headers: sys, body: "{nope"},
	} {
		t.Run(name, func(t *testing.T) {
			resp := do(t, e, c)
			wantText(t, resp, "Something went wrong")
			rejectText(t, resp, "Signed in as")
		})
	}
	// The hosted-domain rule: a consumer account registered with a company
	// address is told it is not a member; a Workspace account of an
	// internal domain is provisioned on first sign-in.
	resp = do(t, e, call{path: PathHomepage, headers: sys, body: bodyWith(authtest.ConsumerToken("mallory@acme.example", client))})
	wantText(t, resp, "not a member of this organization")
	rejectText(t, resp, "Signed in as")
	resp = do(t, e, call{path: PathHomepage, headers: sys, body: bodyWith(authtest.WorkspaceToken("dev@eu.acme.example", client, "acme.example"))})
	wantText(t, resp, "not a member of this organization")
	resp = do(t, e, call{path: PathHomepage, headers: sys, body: bodyWith(authtest.Token("newrep@acme.example", client))})
	wantText(t, resp, "Signed in as newrep@acme.example")
	// A provisioned user gets in with a consumer account's token too.
	resp = do(t, e, call{path: PathHomepage, headers: sys, body: bodyWith(authtest.ConsumerToken(beat, client))})
	wantText(t, resp, "Signed in as "+beat)
}

// TestUserTokenAuth is the Apps Script path: the user's ID token in
// Authorization, no system token.
func TestUserTokenAuth(t *testing.T) {
	svc := newDemoService(t)
	const client = "1234.apps.googleusercontent.com"
	e := hosted(t, svc, Config{Verifier: authtestVerifier(t), ClientID: client, UserTokenAuth: true})
	body := eventJSON(ev{}, nil, nil)
	resp := do(t, e, call{path: PathHomepage, headers: map[string]string{"Authorization": "Bearer " + authtestToken(anna, client)}, body: body})
	wantText(t, resp, "Signed in as anna@acme.example")
	wantProblem(t, e, call{path: PathHomepage, headers: map[string]string{"Authorization": "Bearer " + authtestToken(anna, "other-client")}, body: body}, http.StatusUnauthorized)
	wantProblem(t, e, call{path: PathHomepage, body: body}, http.StatusUnauthorized)
	resp = do(t, e, call{path: PathHomepage, headers: map[string]string{"Authorization": "Bearer " + authtest.ConsumerToken("mallory@acme.example", client)}, body: body})
	wantText(t, resp, "not a member of this organization")
}

// TestDevModeWithoutUser: in dev mode a request with neither X-Dev-User nor
// a token is not Google's either.
func TestDevModeWithoutUser(t *testing.T) {
	e := hosted(t, newDemoService(t), Config{DevAuth: true})
	wantProblem(t, e, call{path: PathHomepage, body: eventJSON(ev{}, nil, nil)}, http.StatusUnauthorized)
	resp := do(t, e, call{path: PathHomepage, user: anna, body: eventJSON(ev{}, nil, nil)})
	wantText(t, resp, "Signed in as anna@acme.example")
}

var _ auth.Verifier = (*auth.Google)(nil)

// TestUnknownActionLogsInfo: an action the add-on does not know is the
// caller's mistake (an old card, a hand-made event): the user gets a card,
// the log an INFO line, not an ERROR one that would page someone.
func TestUnknownActionLogsInfo(t *testing.T) {
	var logs bytes.Buffer
	e := echo.New()
	Register(e, Config{Service: newDemoService(t), DevAuth: true, BaseURL: "https://discreet.example", Gmail: FixtureSource(DevMail()),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for _, params := range []map[string]string{{"action": "explode"}, nil} {
		logs.Reset()
		resp := do(t, e, call{path: PathAction, user: anna, body: eventJSON(ev{}, params, nil)})
		wantText(t, resp, "Something went wrong")
		if !strings.Contains(logs.String(), "level=INFO") || strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("action %v logged:\n%s", params, logs.String())
		}
	}
}
