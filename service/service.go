// Package service holds Discreet's use cases. Each method loads what the
// policy package needs, asks it, and calls the store: authorization is
// decided here and in policy/, nowhere else. The REST gateway and the add-on
// both call these methods; neither decides access on its own.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/discreet-crm/discreet"
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
}

// Service is the one place that decides.
type Service struct {
	cfg Config
}

// New returns a Service.
func New(cfg Config) *Service { return &Service{cfg: cfg} }

var errTODO = discreet.Errorf(discreet.EUnavailable, "not implemented yet")

// SignIn turns a verified Google identity into a user: an existing user, or
// a new rep with no team when the address is in an internal domain (admin
// when listed in BootstrapAdmins). Anyone else is unauthenticated.
func (s *Service) SignIn(ctx context.Context, email string) (discreet.User, error) {
	return discreet.User{}, errTODO
}

// Me returns the caller, their teams and settings, and the org settings.
func (s *Service) Me(ctx context.Context, actor discreet.User) (Me, error) { return Me{}, errTODO }

// PutTeam creates or renames a team (admin).
func (s *Service) PutTeam(ctx context.Context, actor discreet.User, t discreet.Team) (discreet.Team, error) {
	return t, errTODO
}

// Teams lists teams (any user).
func (s *Service) Teams(ctx context.Context, actor discreet.User) ([]discreet.Team, error) {
	return nil, errTODO
}

// PutUser provisions a user: role and teams (admin).
func (s *Service) PutUser(ctx context.Context, actor discreet.User, u discreet.User) (discreet.User, error) {
	return u, errTODO
}

// User returns one user (any user: name, role, teams).
func (s *Service) User(ctx context.Context, actor discreet.User, email string) (discreet.User, error) {
	return discreet.User{}, errTODO
}

// Users lists users, paged.
func (s *Service) Users(ctx context.Context, actor discreet.User, limit int, cursor string) (Page[discreet.User], error) {
	return Page[discreet.User]{}, errTODO
}

// NeverLog lists the org's Never Log List, paged (admin).
func (s *Service) NeverLog(ctx context.Context, actor discreet.User, limit int, cursor string) (Page[discreet.NeverLogEntry], error) {
	return Page[discreet.NeverLogEntry]{}, errTODO
}

// AddNeverLog adds a pattern to the org's list (admin), reports how many
// logged emails it covers and purges them when asked.
func (s *Service) AddNeverLog(ctx context.Context, actor discreet.User, req AddNeverLogRequest) (NeverLogAdded, error) {
	return NeverLogAdded{}, errTODO
}

// RemoveNeverLog removes an entry from the org's list (admin).
func (s *Service) RemoveNeverLog(ctx context.Context, actor discreet.User, id string) error {
	return errTODO
}

// ImportNeverLog adds one pattern per line ('#' comments, blank lines and a
// "pattern[,note]" CSV form allowed), all or nothing (admin).
func (s *Service) ImportNeverLog(ctx context.Context, actor discreet.User, text string) (ImportResult, error) {
	return ImportResult{}, errTODO
}

// ExportNeverLog returns the whole org list (admin).
func (s *Service) ExportNeverLog(ctx context.Context, actor discreet.User) ([]discreet.NeverLogEntry, error) {
	return nil, errTODO
}

// CheckNeverLog says, per address, whether the org's or the caller's own
// list blocks it (any user).
func (s *Service) CheckNeverLog(ctx context.Context, actor discreet.User, addresses []string) ([]CheckResult, error) {
	return nil, errTODO
}

// PurgeNeverLog counts (dryRun) or deletes the logged emails an org entry
// covers, and audits the purge (admin).
func (s *Service) PurgeNeverLog(ctx context.Context, actor discreet.User, id string, dryRun bool) (PurgeResult, error) {
	return PurgeResult{}, errTODO
}

// LogEmail runs the log decision for a message the caller took part in and
// logs it when permitted.
func (s *Service) LogEmail(ctx context.Context, actor discreet.User, req LogRequest) (LogResult, error) {
	return LogResult{}, errTODO
}

// Email returns a logged email the caller may read; not_found otherwise.
// Reads of private and team emails by non-owners are audited.
func (s *Service) Email(ctx context.Context, actor discreet.User, id string) (EmailView, error) {
	return EmailView{}, errTODO
}

// SetVisibility changes an email's visibility (owner, admin).
func (s *Service) SetVisibility(ctx context.Context, actor discreet.User, id string, v discreet.Visibility) (EmailView, error) {
	return EmailView{}, errTODO
}

// Unlog deletes a logged email (owner, admin).
func (s *Service) Unlog(ctx context.Context, actor discreet.User, id string) error { return errTODO }

// SearchContacts finds contacts by address or domain prefix; each result
// full or stub.
func (s *Service) SearchContacts(ctx context.Context, actor discreet.User, q string, limit int) ([]ContactView, error) {
	return nil, errTODO
}

// Contact returns a contact, full or stub; not_found only when nobody
// logged it.
func (s *Service) Contact(ctx context.Context, actor discreet.User, email string) (ContactView, error) {
	return ContactView{}, errTODO
}

// SetContactOwner reassigns a contact (owner, its team's manager, admin).
func (s *Service) SetContactOwner(ctx context.Context, actor discreet.User, email, owner string) (ContactView, error) {
	return ContactView{}, errTODO
}

// Timeline returns a page of a contact's timeline as the caller sees it.
func (s *Service) Timeline(ctx context.Context, actor discreet.User, email string, limit int, cursor string) (TimelineView, error) {
	return TimelineView{}, errTODO
}

// ComposeState tells the compose card the Log default for these
// recipients and the first Never Log match.
func (s *Service) ComposeState(ctx context.Context, actor discreet.User, recipients []string) (ComposeState, error) {
	return ComposeState{}, errTODO
}

// PutIntent stores a compose choice for the sent-mail capture.
func (s *Service) PutIntent(ctx context.Context, actor discreet.User, req IntentRequest) (discreet.Intent, error) {
	return discreet.Intent{}, errTODO
}

// OrgSettings returns the org settings (any user).
func (s *Service) OrgSettings(ctx context.Context, actor discreet.User) (discreet.OrgSettings, error) {
	return discreet.OrgSettings{}, errTODO
}

// PutOrgSettings replaces the org settings (admin), audited.
func (s *Service) PutOrgSettings(ctx context.Context, actor discreet.User, o discreet.OrgSettings) (discreet.OrgSettings, error) {
	return o, errTODO
}

// MySettings returns the caller's settings and personal Never Log entries.
func (s *Service) MySettings(ctx context.Context, actor discreet.User) (MySettings, error) {
	return MySettings{}, errTODO
}

// PutMySettings replaces the caller's settings and personal entries.
func (s *Service) PutMySettings(ctx context.Context, actor discreet.User, m MySettings) (MySettings, error) {
	return m, errTODO
}

// Audit lists audit records: all for admins, those about their own emails
// for others.
func (s *Service) Audit(ctx context.Context, actor discreet.User, limit int, cursor string) (Page[discreet.AuditRecord], error) {
	return Page[discreet.AuditRecord]{}, errTODO
}
