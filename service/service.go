// Package service holds Discreet's use cases. Each method loads what the
// policy package needs, asks it, and calls the store: authorization is
// decided here and in policy/, nowhere else. The REST gateway and the add-on
// both call these methods; neither decides access on its own.
package service

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Config wires a Service.
type Config struct {
	Store store.Store
	// Gmail reads messages for LogRequest.GmailMessageID; nil disables it.
	Gmail MessageSource
	// BootstrapAdmins become admins on first sign-in.
	BootstrapAdmins []string
	Logger          *slog.Logger
	// Now and NewID are injectable for tests.
	Now   func() time.Time
	NewID func() string

	// Jobs runs long work (purges, large imports); nil leaves jobs to
	// whoever calls RunJob (tests) and SweepJobs.
	Jobs JobQueue
	// Instance names this instance as the holder of the jobs it runs;
	// default a random id.
	Instance string
	// JobLease is how long a job stays with an instance that stopped
	// renewing its lease (it died): then another instance takes it over.
	// Default DefaultJobLease.
	JobLease time.Duration
	// JobSlice bounds the time one RunJob call spends on steps; default
	// DefaultJobSlice.
	JobSlice time.Duration
	// DecisionWindow is the longest a log decision may take from reading
	// the Never Log List to committing its email. A purge runs a second
	// pass that long after its entry took effect, so an email decided on
	// the old list by a request in flight is still purged. Default
	// DefaultDecisionWindow.
	DecisionWindow time.Duration
}

// Service is the one place that decides.
type Service struct {
	cfg    Config
	store  store.Store
	log    *slog.Logger
	admins map[string]bool // normalized BootstrapAdmins

	neverLog     neverLogCache
	readAudit    writtenAudits
	hooks        hooks
	idKey        emailIDKey
	displayNames nameCache
	erasedSet    erasedCache    // erasure.go
	rules        rulesCache     // rules.go
	protection   protectedCache // protection.go

	instance       string
	jobLease       time.Duration
	jobSlice       time.Duration
	decisionWindow time.Duration

	// watcher starts Gmail watches (SetMailboxWatcher); nil while capture
	// is off.
	watcher atomic.Pointer[MailboxWatcher]
}

// hooks let tests stop the service at chosen points (export_test.go).
type hooks struct {
	// advance runs when a background advance of the org list begins.
	advance atomic.Pointer[func()]
}

// New returns a Service. Config.Now defaults to time.Now, NewID to random
// UUIDs and Logger to slog.Default().
func New(cfg Config) *Service {
	if cfg.Store == nil {
		panic("service: Config.Store is nil")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{cfg: cfg, store: cfg.Store, log: cfg.Logger, admins: map[string]bool{},
		instance: cfg.Instance, jobLease: cfg.JobLease, jobSlice: cfg.JobSlice, decisionWindow: cfg.DecisionWindow}
	if s.instance == "" {
		s.instance = uuid.NewString()
	}
	if s.jobLease <= 0 {
		s.jobLease = DefaultJobLease
	}
	if s.jobSlice <= 0 {
		s.jobSlice = DefaultJobSlice
	}
	if s.decisionWindow <= 0 {
		s.decisionWindow = DefaultDecisionWindow
	}
	for _, a := range cfg.BootstrapAdmins {
		n, err := policy.NormalizeAddress(a)
		if err != nil {
			s.log.Warn("ignoring a bootstrap admin that is not an address", "address", a, "err", err)
			continue
		}
		s.admins[n] = true
	}
	return s
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Page sizes of every listing.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return defaultPageSize, nil
	case limit < 0 || limit > maxPageSize:
		return 0, discreet.FieldError("limit", "must be between 1 and %d", maxPageSize)
	}
	return limit, nil
}

func requireUser(actor discreet.User) error {
	if actor.Email == "" {
		return discreet.Errorf(discreet.EUnauthenticated, "sign in first")
	}
	return nil
}

func requireAdmin(actor discreet.User, what string) error {
	if err := requireUser(actor); err != nil {
		return err
	}
	if actor.Role != discreet.RoleAdmin {
		return discreet.Errorf(discreet.EPermission, "only admins may %s", what)
	}
	return nil
}

func isNotFound(err error) bool { return discreet.ErrorCode(err) == discreet.ENotFound }

// audit appends one record; a change that cannot be audited is reported as
// failed, never silently kept unaudited.
func (s *Service) audit(ctx context.Context, r discreet.AuditRecord) error {
	r.ID = s.cfg.NewID()
	r.At = s.now()
	if err := s.store.AppendAudit(ctx, r); err != nil {
		s.log.ErrorContext(ctx, "audit append failed", "action", r.Action, "actor", r.Actor, "err", err)
		return err
	}
	return nil
}

var errNotMember = discreet.Errorf(discreet.EUnauthenticated,
	"not a member of this organization: sign in with your company's Google Workspace account, or ask an admin to add you")

// Identity is who a caller proved to be: a verified email address and,
// for a Google account that a Workspace organization manages, its hosted
// domain (the ID token's hd claim; "" for consumer accounts).
type Identity struct {
	Email        string
	HostedDomain string
}

// DevIdentity is who dev sign-in (X-Dev-User, loopback only) vouches
// for: the address as a Workspace account of its own domain. The
// hosted-domain rule then auto-provisions it exactly when that domain is
// an internal domain (not a subdomain of one), as for a real Workspace
// account; dev mode trusts the header for everything else.
func DevIdentity(email string) Identity {
	email = strings.TrimSpace(email)
	id := Identity{Email: email}
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		id.HostedDomain = email[i+1:]
	}
	return id
}

// SignIn is SignInIdentity for an identity without a hosted domain: an
// existing user or a bootstrap admin gets in, nobody is auto-provisioned.
func (s *Service) SignIn(ctx context.Context, email string) (discreet.User, error) {
	return s.SignInIdentity(ctx, Identity{Email: email})
}

// SignInIdentity turns a verified identity into a user: an existing user
// (admin-provisioned or provisioned before), a bootstrap admin, or a new
// rep with no team when policy.MayAutoProvision admits the identity (its
// hosted domain is an internal domain and the address is at exactly that
// domain). Anyone else is unauthenticated.
func (s *Service) SignInIdentity(ctx context.Context, id Identity) (discreet.User, error) {
	addr, err := policy.NormalizeAddress(id.Email)
	if err != nil {
		return discreet.User{}, errNotMember
	}
	bootstrap := s.admins[addr]
	u, err := s.store.User(ctx, addr)
	switch {
	case err == nil:
		return s.promote(ctx, u, bootstrap)
	case !isNotFound(err):
		return discreet.User{}, err
	}
	if !bootstrap {
		org, err := s.store.OrgSettings(ctx)
		if err != nil {
			return discreet.User{}, err
		}
		if !policy.MayAutoProvision(addr, id.HostedDomain, org.InternalDomains) {
			return discreet.User{}, errNotMember
		}
	}
	role := discreet.RoleRep
	if bootstrap {
		role = discreet.RoleAdmin
	}
	u, created, err := s.store.CreateUser(ctx, discreet.User{Email: addr, Role: role, Teams: []string{}, CreatedAt: s.now()})
	if err != nil {
		return discreet.User{}, err
	}
	if created {
		s.log.InfoContext(ctx, "user created on first sign-in", "user", addr, "role", role, "hostedDomain", id.HostedDomain)
		s.watchNewUser(ctx, addr)
		return u, nil
	}
	return s.promote(ctx, u, bootstrap) // another sign-in won the race
}

// promote makes a bootstrap admin an admin if they are not one yet.
func (s *Service) promote(ctx context.Context, u discreet.User, bootstrap bool) (discreet.User, error) {
	if !bootstrap || u.Role == discreet.RoleAdmin {
		return u, nil
	}
	prev := u.Role
	u.Role = discreet.RoleAdmin
	if err := s.store.PutUser(ctx, u); err != nil {
		return discreet.User{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: u.Email, Action: discreet.AuditUser, Target: u.Email,
		Detail: map[string]string{"role": string(u.Role), "previousRole": string(prev), "reason": "bootstrap admin"}}); err != nil {
		return discreet.User{}, err
	}
	return u, nil
}

// Me returns the caller, their teams and settings, and the org settings.
func (s *Service) Me(ctx context.Context, actor discreet.User) (Me, error) {
	if err := requireUser(actor); err != nil {
		return Me{}, err
	}
	u, err := s.store.User(ctx, actor.Email)
	if err != nil {
		return Me{}, err
	}
	all, err := s.store.Teams(ctx)
	if err != nil {
		return Me{}, err
	}
	teams := []discreet.Team{}
	for _, id := range u.Teams {
		if i := slices.IndexFunc(all, func(t discreet.Team) bool { return t.ID == id }); i >= 0 {
			teams = append(teams, all[i])
		}
	}
	us, err := s.store.UserSettings(ctx, u.Email)
	if err != nil {
		return Me{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return Me{}, err
	}
	return Me{User: u, Teams: teams, Settings: us, Org: withDefaults(org)}, nil
}

var teamIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

const maxNameLen = 200

// PutTeam creates or renames a team (admin).
func (s *Service) PutTeam(ctx context.Context, actor discreet.User, t discreet.Team) (discreet.Team, error) {
	if err := requireAdmin(actor, "create or rename teams"); err != nil {
		return discreet.Team{}, err
	}
	t.ID = strings.TrimSpace(t.ID)
	t.Name = strings.TrimSpace(t.Name)
	if !teamIDPattern.MatchString(t.ID) {
		return discreet.Team{}, discreet.FieldError("id", "use 1 to 63 lower-case letters, digits, '-' or '_', like \"de\"")
	}
	if t.Name == "" {
		return discreet.Team{}, discreet.FieldError("name", "the team needs a name, like \"Germany\"")
	}
	if len(t.Name) > maxNameLen {
		return discreet.Team{}, discreet.FieldError("name", "at most %d bytes", maxNameLen)
	}
	if err := s.store.PutTeam(ctx, t); err != nil {
		return discreet.Team{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditTeam, Target: t.ID,
		Detail: map[string]string{"name": t.Name}}); err != nil {
		return discreet.Team{}, err
	}
	return t, nil
}

// Teams lists teams (any user).
func (s *Service) Teams(ctx context.Context, actor discreet.User) ([]discreet.Team, error) {
	if err := requireUser(actor); err != nil {
		return nil, err
	}
	ts, err := s.store.Teams(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ts, func(a, b discreet.Team) int { return strings.Compare(a.ID, b.ID) })
	if ts == nil {
		ts = []discreet.Team{}
	}
	return ts, nil
}

// PutUser provisions a user: role and teams (admin).
func (s *Service) PutUser(ctx context.Context, actor discreet.User, u discreet.User) (discreet.User, error) {
	if err := requireAdmin(actor, "provision users"); err != nil {
		return discreet.User{}, err
	}
	addr, err := policy.NormalizeAddress(u.Email)
	if err != nil {
		return discreet.User{}, discreet.FieldError("email", "%v", err)
	}
	u.Email = addr
	u.Name = strings.TrimSpace(u.Name)
	if len(u.Name) > maxNameLen {
		return discreet.User{}, discreet.FieldError("name", "at most %d bytes", maxNameLen)
	}
	if !u.Role.Valid() {
		return discreet.User{}, discreet.FieldError("role", "must be admin, manager or rep")
	}
	teams := make([]string, 0, len(u.Teams))
	for _, t := range u.Teams {
		t = strings.TrimSpace(t)
		if !slices.Contains(teams, t) {
			teams = append(teams, t)
		}
	}
	if len(teams) > policy.MaxTeamsPerUser {
		return discreet.User{}, discreet.FieldError("teams", "a user may be in at most %d teams", policy.MaxTeamsPerUser)
	}
	if len(teams) > 0 {
		all, err := s.store.Teams(ctx)
		if err != nil {
			return discreet.User{}, err
		}
		for _, t := range teams {
			if !slices.ContainsFunc(all, func(x discreet.Team) bool { return x.ID == t }) {
				return discreet.User{}, discreet.FieldError("teams", "there is no team %q; create it first", t)
			}
		}
	}
	u.Teams = teams
	prev, err := s.store.User(ctx, addr)
	created := isNotFound(err)
	switch {
	case err == nil:
		u.CreatedAt = prev.CreatedAt
	case created:
		u.CreatedAt = s.now()
	default:
		return discreet.User{}, err
	}
	if err := s.store.PutUser(ctx, u); err != nil {
		return discreet.User{}, err
	}
	if created {
		s.watchNewUser(ctx, addr)
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditUser, Target: u.Email,
		Detail: map[string]string{"role": string(u.Role), "teams": strings.Join(u.Teams, ",")}}); err != nil {
		return discreet.User{}, err
	}
	return u, nil
}

// User returns one user (any user: name, role, teams).
func (s *Service) User(ctx context.Context, actor discreet.User, email string) (discreet.User, error) {
	if err := requireUser(actor); err != nil {
		return discreet.User{}, err
	}
	addr, err := policy.NormalizeAddress(email)
	if err != nil {
		return discreet.User{}, discreet.FieldError("email", "%v", err)
	}
	u, err := s.store.User(ctx, addr)
	if isNotFound(err) {
		return discreet.User{}, discreet.Errorf(discreet.ENotFound, "there is no user %s", addr)
	}
	return u, err
}

const usersCursorScope = "users"

// Users lists users, paged.
func (s *Service) Users(ctx context.Context, actor discreet.User, limit int, cursor string) (Page[discreet.User], error) {
	if err := requireUser(actor); err != nil {
		return Page[discreet.User]{}, err
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return Page[discreet.User]{}, err
	}
	after := ""
	if cursor != "" {
		if after, err = store.DecodeCursor(cursor, usersCursorScope); err != nil {
			return Page[discreet.User]{}, err
		}
	}
	us, err := s.store.Users(ctx, after, limit+1)
	if err != nil {
		return Page[discreet.User]{}, err
	}
	p := Page[discreet.User]{Items: us}
	if len(us) > limit {
		p.Items = us[:limit]
		p.Next = store.EncodeCursor(usersCursorScope, p.Items[limit-1].Email)
	}
	if p.Items == nil {
		p.Items = []discreet.User{}
	}
	return p, nil
}

// Audit lists audit records: all for admins, those about their own emails
// for others.
func (s *Service) Audit(ctx context.Context, actor discreet.User, limit int, cursor string) (Page[discreet.AuditRecord], error) {
	if err := requireUser(actor); err != nil {
		return Page[discreet.AuditRecord]{}, err
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return Page[discreet.AuditRecord]{}, err
	}
	q := store.AuditQuery{Limit: limit, Cursor: cursor}
	if actor.Role != discreet.RoleAdmin {
		q.EmailOwner = actor.Email
	}
	rs, next, err := s.store.Audit(ctx, q)
	if err != nil {
		return Page[discreet.AuditRecord]{}, cursorError(err, cursor)
	}
	items := make([]discreet.AuditRecord, 0, len(rs))
	for _, r := range rs {
		if policy.CanReadAudit(actor, r) { // the store filters; this keeps a store bug from leaking
			items = append(items, r)
		}
	}
	return Page[discreet.AuditRecord]{Items: items, Next: next}, nil
}

// cursorError names the cursor as the field at fault when the store
// rejected a caller's cursor.
func cursorError(err error, cursor string) error {
	if cursor != "" && discreet.ErrorCode(err) == discreet.EInvalid {
		return discreet.FieldError("cursor", "the cursor is not valid here; start again from the first page")
	}
	return err
}
