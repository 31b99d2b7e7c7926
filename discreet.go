// Package discreet holds the product's domain types: the people, contacts,
// logged emails, Never Log entries and settings that every other package
// speaks about. It does no I/O; adapters (store/, gateway/, addon/) and the
// pure rules (policy/) are built around it.
package discreet

import "time"

// Role is what a user may manage.
type Role string

const (
	RoleAdmin   Role = "admin"
	RoleManager Role = "manager"
	RoleRep     Role = "rep"
)

// Roles lists every role, in order of decreasing power.
var Roles = []Role{RoleAdmin, RoleManager, RoleRep}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleManager || r == RoleRep }

// Visibility says who, beyond its owner and internal participants, may read a
// logged email.
type Visibility string

const (
	VisibilityPrivate Visibility = "private" // owner and internal participants
	VisibilityTeam    Visibility = "team"    // plus members and managers of the email's team
	VisibilityPublic  Visibility = "public"  // plus everyone with full access to one of its contacts
)

// Valid reports whether v is a known visibility.
func (v Visibility) Valid() bool {
	return v == VisibilityPrivate || v == VisibilityTeam || v == VisibilityPublic
}

// Scope is how much of the contact base a role has full access to.
type Scope string

const (
	ScopeAll   Scope = "all"   // every contact
	ScopeTeam  Scope = "team"  // contacts owned within the viewer's teams
	ScopeOwned Scope = "owned" // contacts the viewer owns
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeAll || s == ScopeTeam || s == ScopeOwned }

// Access is what a viewer gets of a contact: everything, or only the stub
// (existence, owner and team).
type Access string

const (
	AccessFull Access = "full"
	AccessStub Access = "stub"
)

// HiddenEmails says what a timeline shows of the emails a viewer cannot read.
type HiddenEmails string

const (
	HiddenNone  HiddenEmails = "none"  // nothing
	HiddenCount HiddenEmails = "count" // "3 more emails you can't see, owned by …"
	HiddenStubs HiddenEmails = "stubs" // date and owner of each, no subject
)

// Valid reports whether h is a known setting.
func (h HiddenEmails) Valid() bool { return h == HiddenNone || h == HiddenCount || h == HiddenStubs }

// Source is how an email came to be logged.
type Source string

const (
	SourceButton  Source = "button"  // the Log button on an open message
	SourceCompose Source = "compose" // a compose intent applied to a sent message
	SourceSync    Source = "sync"    // captured without an intent (defaults applied)
)

// Direction is inbound (a contact wrote to us) or outbound (we wrote to them).
type Direction string

const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// User is a member of the org.
type User struct {
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Teams     []string  `json:"teams"`
	CreatedAt time.Time `json:"createdAt"`
}

// PrimaryTeam is the team a user's contacts and emails are filed under; ""
// when the user has no team.
func (u User) PrimaryTeam() string {
	if len(u.Teams) == 0 {
		return ""
	}
	return u.Teams[0]
}

// InTeam reports whether u is a member or manager of team.
func (u User) InTeam(team string) bool {
	if team == "" {
		return false
	}
	for _, t := range u.Teams {
		if t == team {
			return true
		}
	}
	return false
}

// Team is a group of users, e.g. "de" Germany.
type Team struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Uploads says who may log a message from uploaded bytes (REST raw)
// rather than have the server fetch it from Gmail.
type Uploads string

const (
	UploadsAll    Uploads = "all"    // every user
	UploadsAdmins Uploads = "admins" // admins only
	UploadsOff    Uploads = "off"    // nobody: only Gmail-fetched and captured mail is logged
)

// Valid reports whether u is a known setting.
func (u Uploads) Valid() bool { return u == UploadsAll || u == UploadsAdmins || u == UploadsOff }

// OrgSettings are the company's choices.
type OrgSettings struct {
	InternalDomains   []string       `json:"internalDomains"`
	DefaultLog        bool           `json:"defaultLog"`
	DefaultVisibility Visibility     `json:"defaultVisibility"`
	ContactAccess     map[Role]Scope `json:"contactAccess"`
	HiddenEmails      HiddenEmails   `json:"hiddenEmails"`
	AdminsReadPrivate bool           `json:"adminsReadPrivate"`
	StoreBodies       bool           `json:"storeBodies"`
	MaxBodyBytes      int            `json:"maxBodyBytes"`
	// Uploads is who may log uploaded bytes; "" (settings stored before
	// it existed) means UploadsAll.
	Uploads Uploads `json:"uploads"`
	// Retention is how long logged emails are kept (governance.go); the
	// zero value keeps them for ever.
	Retention Retention `json:"retention"`
	// VisibilityPolicy caps, defaults and locks visibility per role and
	// team (protection.go); nil: no policy.
	VisibilityPolicy *VisibilityPolicy `json:"visibilityPolicy,omitempty"`
}

// DefaultOrgSettings are the settings of a new org.
func DefaultOrgSettings() OrgSettings {
	return OrgSettings{
		DefaultLog:        true,
		DefaultVisibility: VisibilityPublic,
		ContactAccess:     map[Role]Scope{RoleAdmin: ScopeAll, RoleManager: ScopeTeam, RoleRep: ScopeTeam},
		HiddenEmails:      HiddenCount,
		StoreBodies:       true,
		MaxBodyBytes:      64 << 10,
		// Everyone, as before the setting existed: the REST API's raw path
		// is how integrations and the README's walkthrough log, and every
		// upload is marked as one wherever it is shown.
		Uploads: UploadsAll,
	}
}

// ScopeOf is the contact access of role; admins always have all.
func (s OrgSettings) ScopeOf(r Role) Scope {
	if r == RoleAdmin {
		return ScopeAll
	}
	if sc, ok := s.ContactAccess[r]; ok && sc.Valid() {
		return sc
	}
	return ScopeOwned
}

// UserSettings are a rep's own defaults; nil or "" means "as the org says".
type UserSettings struct {
	DefaultLog        *bool      `json:"defaultLog"`
	DefaultVisibility Visibility `json:"defaultVisibility,omitempty"`
	// NeverLogVersion moves whenever the user's personal Never Log List
	// changes; the store keeps it, PutUserSettings leaves it alone.
	NeverLogVersion int64 `json:"-"`
}

// Contact is one external address that has logged email.
type Contact struct {
	Email     string    `json:"email"`
	Name      string    `json:"name,omitempty"`
	Owner     string    `json:"owner"`
	Team      string    `json:"team"`
	CreatedAt time.Time `json:"createdAt"`
}

// Email is one logged message.
type Email struct {
	ID             string     `json:"id"`
	MessageID      string     `json:"messageId,omitempty"`
	GmailMessageID string     `json:"gmailMessageId,omitempty"`
	ThreadID       string     `json:"threadId,omitempty"`
	Subject        string     `json:"subject"`
	From           string     `json:"from"`
	To             []string   `json:"to"`
	Cc             []string   `json:"cc"`
	Date           time.Time  `json:"date"`
	Direction      Direction  `json:"direction"`
	Snippet        string     `json:"snippet"`
	Body           string     `json:"body,omitempty"`
	Owner          string     `json:"owner"`
	Team           string     `json:"team"`
	Visibility     Visibility `json:"visibility"`
	Contacts       []string   `json:"contacts"`
	Internal       []string   `json:"internal"`
	// Participants are every normalized address the email names; the Never
	// Log purge matches against them.
	Participants []string `json:"-"`
	// Lenient are the lenient keys of participants that did not read as
	// addresses (policy.Participant.Lenient); the purge index records them
	// too (policy.IndexKeys).
	Lenient  []string  `json:"-"`
	Source   Source    `json:"source"`
	LoggedAt time.Time `json:"loggedAt"`
	// Shares are who else may read it (access.go); only those who manage
	// the email see them (service.EmailView.Shares).
	Shares []Share `json:"-"`
}

// Uploaded reports whether the email was logged from bytes a caller
// uploaded rather than fetched from Gmail by the server: the server sets
// GmailMessageID only when it fetched the message (button or capture), so
// this holds for emails logged before the flag existed too.
func (e Email) Uploaded() bool { return e.GmailMessageID == "" }

// IsInternal reports whether addr (normalized) was an internal participant.
func (e Email) IsInternal(addr string) bool {
	for _, a := range e.Internal {
		if a == addr {
			return true
		}
	}
	return false
}

// NeverLogEntry is one line of a Never Log List as stored: the org's list
// (Scope "") or one user's personal list (Scope = their email).
type NeverLogEntry struct {
	ID      string    `json:"id"`
	Scope   string    `json:"-"`
	Pattern string    `json:"pattern"`
	Note    string    `json:"note,omitempty"`
	AddedBy string    `json:"addedBy"`
	AddedAt time.Time `json:"addedAt"`
}

// Intent is a rep's compose choice, kept until the sent message is captured.
type Intent struct {
	ID         string     `json:"id"`
	User       string     `json:"user"`
	Recipients []string   `json:"recipients"` // normalized, sorted, unique
	Subject    string     `json:"subject"`
	Log        bool       `json:"log"`
	Visibility Visibility `json:"visibility"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
}

// AuditRecord is one append-only line of the audit log.
type AuditRecord struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	// EmailID and EmailOwner tie a record to a logged email, so its owner can
	// read what happened to it.
	EmailID    string            `json:"emailId,omitempty"`
	EmailOwner string            `json:"emailOwner,omitempty"`
	Target     string            `json:"target,omitempty"`
	Count      int               `json:"count,omitempty"`
	Detail     map[string]string `json:"detail,omitempty"`
}

// Audit actions.
const (
	AuditNeverLogAdd    = "never_log.add"
	AuditNeverLogRemove = "never_log.remove"
	AuditNeverLogImport = "never_log.import"
	AuditPurge          = "never_log.purge"
	AuditLog            = "email.log"
	AuditUnlog          = "email.unlog"
	AuditVisibility     = "email.visibility"
	AuditRead           = "email.read"
	AuditOwner          = "contact.owner"
	AuditSettings       = "settings.org"
	AuditUser           = "user.put"
	AuditTeam           = "team.put"
)

// Reason is why an email was, or was not, logged. The UI always shows it.
type Reason string

const (
	ReasonNeverLogList Reason = "never_log_list"
	// ReasonUnreadableParticipant: a participant header cannot be read well
	// enough to check it against the Never Log List (policy/lenient.go
	// says where that begins), so the email is not logged.
	ReasonUnreadableParticipant Reason = "unreadable_participant"
	ReasonToggledOff            Reason = "toggled_off"
	ReasonInternalOnly          Reason = "internal_only"
	ReasonLogged                Reason = "logged"
	ReasonAlreadyLogged         Reason = "already_logged"
)

// Decision is the outcome of the log decision.
type Decision struct {
	Logged bool   `json:"logged"`
	Reason Reason `json:"reason"`
	// Entry is the canonical pattern that matched, List which list it is on
	// ("org" or "personal"), EntryID its stored id and Address the
	// participant it matched; set only for never_log_list.
	Entry   string `json:"entry,omitempty"`
	List    string `json:"list,omitempty"`
	EntryID string `json:"entryId,omitempty"`
	Address string `json:"address,omitempty"`
	// Header and Text name the participant that could not be read, by its
	// header ("To", "Resent-Cc", …) and text; set only for
	// unreadable_participant.
	Header string `json:"header,omitempty"`
	Text   string `json:"text,omitempty"`
	// Contacts are the external participants the email lands on, Internal
	// the colleagues on it.
	Contacts   []string   `json:"contacts,omitempty"`
	Internal   []string   `json:"internal,omitempty"`
	Visibility Visibility `json:"visibility,omitempty"`
	// VisibilityForced says why Visibility is not what the rep chose
	// (ForcedProtected); Protected names the protected participant.
	VisibilityForced string `json:"visibilityForced,omitempty"`
	Protected        string `json:"protected,omitempty"`
	// Malformed lists participant texts that could not be read as addresses.
	Malformed []string `json:"malformed,omitempty"`
	// Rule is the sensitivity rule that fired: for sensitive_content, or
	// for a logged email it forced private. Never the matched text.
	Rule *SensitivityRule `json:"rule,omitempty"`
}
