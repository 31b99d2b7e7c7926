// Package gateway is Discreet's REST API over HTTP: it authenticates the
// caller, decodes the request, makes one service call and encodes the
// answer. Authorization is the service's; every error reaches the caller
// through one handler as application/problem+json.
//
// The routes and their schemas are documented in openapi.yaml (served at
// GET /v1/openapi.yaml); a test keeps the two in step.
package gateway

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/service"
)

// DefaultMaxBodyBytes caps request bodies when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// ImportMaxBodyBytes caps a Never Log import (or the configured limit,
// when that is larger). An export of 100,000 realistic entries (addresses
// and domains of partner firms, a third with a note, as ExportNeverLogCSV
// writes them) is 10.5 MB (TestImportBodyLimit), a bare list about half
// that; 16 MiB leaves room for longer ones and stays under App Engine's
// 32 MB request limit.
const ImportMaxBodyBytes = 16 << 20

// MaxPageSize is the largest page a listing returns.
const MaxPageSize = 100

// Config wires the gateway.
type Config struct {
	Service *service.Service
	// Verifier checks "Authorization: Bearer <Google ID token>"; tokens must
	// be issued for one of Audiences (DISCREET_AUDIENCE).
	Verifier  auth.Verifier
	Audiences []string
	// DevAuth accepts "X-Dev-User: email" instead of a token. Development
	// only: cmd refuses it unless listening on loopback.
	DevAuth bool
	// MaxBodyBytes caps request bodies (413 above) of routes that declare
	// no larger Route.MaxBody; 0 means 1 MiB.
	MaxBodyBytes int64
	// RequestTimeout is the deadline of a request whose route declares
	// none; 0 means DefaultRequestTimeout. Routes that work through many
	// documents (imports, purges, Gmail push) declare LongRequestTimeout.
	RequestTimeout time.Duration
	// Logger receives one line per request and the causes of 5xx answers;
	// nil means slog.Default().
	Logger *slog.Logger
	// Ready answers /readyz (503 with Retry-After when it fails); nil means
	// always ready.
	Ready func(context.Context) error
	// ReadyDetails, when set, adds what /readyz reports beside "ready"
	// (e.g. whether sent-mail capture is configured).
	ReadyDetails func() map[string]any
	// Warmup answers App Engine's GET /_ah/warmup: it should open what the
	// first requests would otherwise wait for (the store, the service's
	// caches). nil means Ready.
	Warmup func(context.Context) error
	// Project is the Google Cloud project that traces in
	// X-Cloud-Trace-Context belong to ("" : traces are not linked).
	Project string
	// Routes are documented operations of other packages (sent-mail
	// capture's): served, documented in openapi.yaml and given their
	// deadline like this package's own.
	Routes []Route
	// Mount adds routes of other packages that are not part of the REST
	// API (the add-on's /addon/*). They get the request log, recovery,
	// problem+json errors and Config.RequestTimeout, not this package's
	// authentication.
	Mount []func(*echo.Echo)
}

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document of the REST API.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

type gateway struct {
	svc       *service.Service
	verifier  auth.Verifier
	audiences []string
	devAuth   bool
	maxBody   int64
	log       *slog.Logger
	ready     func(context.Context) error
	details   func() map[string]any
	warmup    func(context.Context) error
	timeout   time.Duration
	project   string
	// ownDeadline holds "METHOD /echo/path" of the routes that set their
	// own deadline (every route of the table); requestLog gives the others
	// (mounted routes, unknown paths) Config.RequestTimeout.
	ownDeadline map[string]bool
}

// New returns the REST API as an Echo instance; serve it with any
// http.Server (it is an http.Handler).
func New(cfg Config) *echo.Echo {
	if cfg.Service == nil {
		panic("gateway: Config.Service is nil")
	}
	g := &gateway{
		svc:       cfg.Service,
		verifier:  cfg.Verifier,
		audiences: cfg.Audiences,
		devAuth:   cfg.DevAuth,
		maxBody:   cfg.MaxBodyBytes,
		log:       cfg.Logger,
		ready:     cfg.Ready,
		details:   cfg.ReadyDetails,
		warmup:    cfg.Warmup,
		timeout:   cfg.RequestTimeout,
		project:   cfg.Project,
	}
	if g.maxBody <= 0 {
		g.maxBody = DefaultMaxBodyBytes
	}
	if g.timeout <= 0 {
		g.timeout = DefaultRequestTimeout
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.warmup == nil {
		g.warmup = g.ready
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = g.handleError
	e.Use(g.requestLog, g.recover)
	routes := append(g.routes(), cfg.Routes...)
	g.ownDeadline = map[string]bool{}
	for _, r := range routes {
		r.register(e, g)
	}
	registerVerbs(e, g, routes)
	for _, m := range cfg.Mount {
		m(e)
	}
	return e
}

// Route is one documented operation. Path is in OpenAPI form, custom verbs
// after ':' included ("/v1/never-log/{id}:purge").
type Route struct {
	Method, Path string
	Handler      echo.HandlerFunc
	// Public routes skip the gateway's sign-in: nobody needs to be signed
	// in, or the handler authenticates its caller itself (Pub/Sub, cron).
	Public bool
	// Deadline bounds the request; 0 means Config.RequestTimeout.
	Deadline time.Duration
	// MaxBody raises the route's body limit above Config.MaxBodyBytes
	// (a Never Log import); the larger of the two applies, so 0 means
	// Config.MaxBodyBytes.
	MaxBody int64
}

// Request deadlines: most requests need a few store round trips; imports,
// purges and Gmail push notifications work through many and get longer,
// still within the server's 60 s write timeout.
const (
	DefaultRequestTimeout = 10 * time.Second
	LongRequestTimeout    = 50 * time.Second
)

// routes is the REST API. Each route says whether it needs a signed-in
// caller, how long it may take and, when more than Config.MaxBodyBytes,
// how large a body it takes.
func (g *gateway) routes() []Route {
	r := func(method, path string, h echo.HandlerFunc) Route {
		return Route{Method: method, Path: path, Handler: h}
	}
	pub := func(method, path string, h echo.HandlerFunc) Route {
		return Route{Method: method, Path: path, Handler: h, Public: true}
	}
	long := func(rt Route) Route {
		rt.Deadline = LongRequestTimeout
		return rt
	}
	large := func(maxBody int64, rt Route) Route {
		rt.MaxBody = maxBody
		return rt
	}
	return []Route{
		pub(http.MethodGet, "/healthz", g.healthz),
		pub(http.MethodGet, "/readyz", g.readyz),
		pub(http.MethodGet, "/_ah/warmup", g.warm),
		pub(http.MethodGet, "/v1/openapi.yaml", g.openAPI),
		r(http.MethodGet, "/v1/me", g.me),
		r(http.MethodGet, "/v1/teams", g.teams),
		r(http.MethodPut, "/v1/teams/{id}", g.putTeam),
		r(http.MethodGet, "/v1/users", g.users),
		r(http.MethodGet, "/v1/users/{email}", g.user),
		r(http.MethodPut, "/v1/users/{email}", g.putUser),
		r(http.MethodGet, "/v1/never-log", g.neverLog),
		long(r(http.MethodPost, "/v1/never-log", g.addNeverLog)), // may purge what the entry covers
		r(http.MethodDelete, "/v1/never-log/{id}", g.removeNeverLog),
		large(ImportMaxBodyBytes, long(r(http.MethodPost, "/v1/never-log:import", g.importNeverLog))),
		r(http.MethodGet, "/v1/never-log:export", g.exportNeverLog),
		r(http.MethodPost, "/v1/never-log:check", g.checkNeverLog),
		long(r(http.MethodPost, "/v1/never-log/{id}:purge", g.purgeNeverLog)),
		r(http.MethodPost, "/v1/emails", g.logEmail),
		r(http.MethodGet, "/v1/emails/{id}", g.email),
		r(http.MethodPatch, "/v1/emails/{id}", g.setVisibility),
		r(http.MethodDelete, "/v1/emails/{id}", g.unlog),
		r(http.MethodGet, "/v1/contacts", g.searchContacts),
		r(http.MethodGet, "/v1/contacts/{email}", g.contact),
		r(http.MethodPut, "/v1/contacts/{email}/owner", g.setContactOwner),
		r(http.MethodGet, "/v1/contacts/{email}/timeline", g.timeline),
		r(http.MethodPut, "/v1/intents", g.putIntent),
		r(http.MethodGet, "/v1/settings/org", g.orgSettings),
		r(http.MethodPut, "/v1/settings/org", g.putOrgSettings),
		r(http.MethodGet, "/v1/settings/me", g.mySettings),
		r(http.MethodPut, "/v1/settings/me", g.putMySettings),
		r(http.MethodGet, "/v1/audit", g.audit),
		r(http.MethodGet, "/v1/jobs", g.jobs),
		r(http.MethodGet, "/v1/jobs/{id}", g.job),
		long(r(http.MethodPost, "/v1/erasures", g.erase)), // a dry run scans contacts, intents and the audit
		// governance.go: legal holds and sensitivity rules
		r(http.MethodGet, "/v1/legal-holds", g.legalHolds),
		r(http.MethodPost, "/v1/legal-holds", g.createLegalHold),
		r(http.MethodDelete, "/v1/legal-holds/{id}", g.liftLegalHold),
		r(http.MethodGet, "/v1/rules", g.rules),
		r(http.MethodPost, "/v1/rules", g.addRule),
		r(http.MethodDelete, "/v1/rules/{id}", g.removeRule),
		long(r(http.MethodPost, "/v1/rules/{id}:purge", g.purgeRule)),             // the dry run reads every logged email
		long(r(http.MethodGet, "/v1/subjects/{address}:export", g.exportSubject)), // streams every email naming the address
		long(r(http.MethodPost, "/v1/retention:preview", g.previewRetention)),     // reads every logged email
		r(http.MethodGet, "/v1/retention:expiring", g.expiring),
		// protection.go
		r(http.MethodGet, "/v1/protected", g.protectedEntries),
		r(http.MethodPut, "/v1/protected/{pattern}", g.protect),
		r(http.MethodDelete, "/v1/protected/{pattern}", g.unprotect),
		r(http.MethodPost, "/v1/users/{email}:transfer", g.transferUser),
		// access.go
		r(http.MethodPost, "/v1/access-requests", g.requestAccess),
		r(http.MethodGet, "/v1/access-requests", g.accessRequests),
		r(http.MethodGet, "/v1/access-requests/{id}", g.accessRequest),
		r(http.MethodPost, "/v1/access-requests/{id}:grant", g.grantAccess),
		r(http.MethodPost, "/v1/access-requests/{id}:deny", g.denyAccess),
		r(http.MethodGet, "/v1/emails/{id}/shares", g.shares),
		r(http.MethodPost, "/v1/emails/{id}/shares", g.shareEmail),
		r(http.MethodDelete, "/v1/emails/{id}/shares/{shareId}", g.revokeShare),
	}
}

// middleware is what runs before the handler: the route's deadline and
// body limit, then sign-in unless the route is public.
func (r Route) middleware(g *gateway) []echo.MiddlewareFunc {
	d := r.Deadline
	if d <= 0 {
		d = g.timeout
	}
	mw := []echo.MiddlewareFunc{withDeadline(d), bodyLimit(max(r.MaxBody, g.maxBody))}
	if !r.Public {
		mw = append(mw, g.authenticate)
	}
	return mw
}

// hasVerbAfterParam: Echo reads ':' as the start of a parameter, and a
// parameter runs to the next '/', so "{id}:purge" cannot be one Echo route;
// registerVerbs serves those.
func (r Route) hasVerbAfterParam() bool { return strings.Contains(r.Path, "}:") }

// register adds a route without a verb after a parameter. A literal ':'
// (a custom verb on a static path) is escaped for Echo.
func (r Route) register(e *echo.Echo, g *gateway) {
	if r.hasVerbAfterParam() {
		return
	}
	p := echoPath(r.Path)
	g.ownDeadline[r.Method+" "+p] = true
	e.Add(r.Method, p, r.Handler, r.middleware(g)...)
}

// echoPath turns "/v1/users/{email}" into "/v1/users/:email" and
// "/v1/never-log:import" into `/v1/never-log\:import`.
func echoPath(p string) string {
	var b strings.Builder
	inParam := false
	for _, c := range p {
		switch {
		case c == '{':
			inParam = true
			b.WriteByte(':')
		case c == '}':
			inParam = false
		case c == ':' && !inParam:
			b.WriteString(`\:`)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// registerVerbs serves "…/{param}:verb" routes: one Echo route per method
// and prefix ("/v1/never-log/:id") splits the verb off the parameter and
// dispatches; an unknown verb is a 404 like any unknown route.
func registerVerbs(e *echo.Echo, g *gateway, routes []Route) {
	type key struct{ method, prefix, param string }
	verbs := map[key]map[string]Route{}
	var order []key
	for _, r := range routes {
		if !r.hasVerbAfterParam() {
			continue
		}
		i := strings.LastIndex(r.Path, "}:")
		open := strings.LastIndexByte(r.Path[:i], '{')
		k := key{r.Method, r.Path[:open], r.Path[open+1 : i]}
		if verbs[k] == nil {
			verbs[k] = map[string]Route{}
			order = append(order, k)
		}
		verbs[k][r.Path[i+2:]] = r
	}
	for _, k := range order {
		byVerb := verbs[k]
		dispatch := func(c echo.Context) error {
			value := c.Param(k.param)
			i := strings.LastIndexByte(value, ':')
			if i < 0 {
				return echo.ErrNotFound
			}
			r, ok := byVerb[value[i+1:]]
			if !ok {
				return echo.ErrNotFound
			}
			values := c.ParamValues()
			for j, n := range c.ParamNames() {
				if n == k.param {
					values[j] = value[:i]
				}
			}
			c.SetParamValues(values...)
			h := r.Handler
			mw := r.middleware(g)
			for j := len(mw) - 1; j >= 0; j-- {
				h = mw[j](h)
			}
			return h(c)
		}
		p := echoPath(k.prefix) + ":" + k.param
		// Each verb sets its own deadline; an unknown one is a 404 at once.
		g.ownDeadline[k.method+" "+p] = true
		e.Add(k.method, p, dispatch)
	}
}
