// Package store states what the Discreet service needs from storage. The
// adapters (store/sqlite, store/firestore) implement Store, and
// store/storetest is the one conformance suite they all pass.
//
// Errors are *discreet.Error: not_found when a thing does not exist,
// conflict when it already does (or a transaction lost a race it could not
// retry), unavailable when the backend cannot be reached. Every write is
// idempotent where the interface says so, and durable once it returns nil.
package store

import (
	"context"
	"time"

	"github.com/discreet-crm/discreet"
)

// Store is everything the service reads and writes.
type Store interface {
	// Ping reports whether the backend answers.
	Ping(ctx context.Context) error
	Close() error

	// OrgSettings returns the org's settings; DefaultOrgSettings() before
	// any were put.
	OrgSettings(ctx context.Context) (discreet.OrgSettings, error)
	PutOrgSettings(ctx context.Context, s discreet.OrgSettings) error
	// UserSettings returns a user's settings; zero value before any were
	// put. Its NeverLogVersion is the version of the user's personal Never
	// Log List, read with the settings: a decision, which reads them anyway,
	// learns at no extra cost whether its compiled personal list is current.
	UserSettings(ctx context.Context, email string) (discreet.UserSettings, error)
	// PutUserSettings replaces a user's defaults; the personal Never Log
	// List and its version are left as they are.
	PutUserSettings(ctx context.Context, email string, s discreet.UserSettings) error

	User(ctx context.Context, email string) (discreet.User, error)
	// PutUser creates or replaces a user.
	PutUser(ctx context.Context, u discreet.User) error
	// CreateUser creates u unless a user with its email exists; it returns
	// the stored user and whether it was created.
	CreateUser(ctx context.Context, u discreet.User) (discreet.User, bool, error)
	// Users lists users by email, from after (exclusive), at most limit.
	Users(ctx context.Context, after string, limit int) ([]discreet.User, error)
	Team(ctx context.Context, id string) (discreet.Team, error)
	PutTeam(ctx context.Context, t discreet.Team) error
	Teams(ctx context.Context) ([]discreet.Team, error)

	// NeverLog lists the entries of one list (scope "" the org's, else a
	// user's email) ordered by pattern, and that list's version, both read
	// at one point in time: the org's version (NeverLogVersion) or the
	// user's (UserSettings.NeverLogVersion).
	NeverLog(ctx context.Context, scope string) ([]discreet.NeverLogEntry, int64, error)
	// NeverLogVersion returns the org list's version with its most recent
	// changes (see NeverLogChanges): one small read, made by every decision.
	NeverLogVersion(ctx context.Context) (NeverLogChanges, error)
	// AddNeverLog adds entries to one list (every entry has the same Scope)
	// atomically: all or none. A pattern or id already on the list is a
	// conflict. Entries need ID, Scope and Pattern. An org change moves the
	// org version and is recorded in its recent changes; a personal change
	// moves that user's version only.
	AddNeverLog(ctx context.Context, entries []discreet.NeverLogEntry) error
	// DeleteNeverLog removes the entry id of list scope, moving the list's
	// version as AddNeverLog does; not_found if absent.
	DeleteNeverLog(ctx context.Context, scope, id string) (discreet.NeverLogEntry, error)
	// NeverLogEntry returns one entry of list scope.
	NeverLogEntry(ctx context.Context, scope, id string) (discreet.NeverLogEntry, error)

	Contact(ctx context.Context, email string) (discreet.Contact, error)
	// SearchContacts lists contacts whose address, or the domain of it,
	// starts with prefix, ordered by address, at most limit.
	SearchContacts(ctx context.Context, prefix string, limit int) ([]discreet.Contact, error)
	// SetContactOwner reassigns a contact to owner, filed under team.
	SetContactOwner(ctx context.Context, email, owner, team string) (discreet.Contact, error)

	// LogEmail stores w.Email (ID set by the caller) unless an email with
	// its ID exists, in one atomic step: contacts of it that do not exist
	// are created owned by its Owner in its Team, it joins the timeline of
	// each of its contacts with audience keys w.Audience, and w.Audit is
	// appended. It returns the stored email and whether this call created
	// it; concurrent calls with one ID yield one email and one audit record.
	// A body longer than MaxBodyBytes is cut (TruncateBody).
	LogEmail(ctx context.Context, w EmailWrite) (discreet.Email, bool, error)
	Email(ctx context.Context, id string) (discreet.Email, error)
	// SetVisibility changes an email's visibility and, in the same atomic
	// step, its timeline entries' audience keys to audience(the changed
	// email); a nil audience, or one giving no keys, is refused.
	SetVisibility(ctx context.Context, id string, v discreet.Visibility, audience Audience) (discreet.Email, error)
	// DeleteEmail removes an email from the store and every timeline.
	DeleteEmail(ctx context.Context, id string) error

	// Timeline returns one page of a contact's timeline, newest first.
	Timeline(ctx context.Context, q TimelineQuery) (TimelinePage, error)

	// PutIntent stores a compose intent.
	PutIntent(ctx context.Context, in discreet.Intent) error
	// ConsumeIntent finds the newest unexpired, unconsumed intent of user
	// for exactly these recipients (normalized, sorted), preferring one with
	// the same subject, marks it consumed and returns it; not_found when
	// there is none. An intent is consumed at most once.
	ConsumeIntent(ctx context.Context, user string, recipients []string, subject string, now time.Time) (discreet.Intent, error)
	// ReleaseIntent makes a consumed intent consumable again, for a capture
	// whose write failed, so the redelivered notification still finds the
	// rep's choice; not_found when there is no such intent.
	ReleaseIntent(ctx context.Context, id string) error

	// AppendAudit appends a record (ID and At set by the caller).
	AppendAudit(ctx context.Context, r discreet.AuditRecord) error
	// Audit lists records newest first; with EmailOwner set only those about
	// that user's emails.
	Audit(ctx context.Context, q AuditQuery) ([]discreet.AuditRecord, string, error)

	// CountMatching counts logged emails that a Never Log entry covers.
	CountMatching(ctx context.Context, m Match) (int, error)
	// PurgeMatching deletes, in batches of at most batch, the logged emails
	// m covers, from every timeline, and each contact left with no email,
	// in the transaction that deletes its last one: no stub names a purged
	// address afterwards. Running it again resumes where an interrupted run
	// stopped. It returns the ids it deleted.
	PurgeMatching(ctx context.Context, m Match, batch int) (PurgeReport, error)

	Watches    // sent-mail capture state, see watch.go
	Seeding    // what start-up writes once, see seed.go
	Jobs       // long work, see job.go
	Secrets    // keys the service derives ids with, see secrets.go
	LegacyIDs  // whether emails may be under legacy ids, see legacyids.go
	Governance // erasure of a person, see governance.go
	Protection // protected contacts, custodian transfer, see protection.go
	Access     // access requests, grants and shares, see access.go
}

// Match selects logged emails by participant: an exact normalized address
// (Address, or any of its Spellings) or a domain and its subdomains
// (Domain). Stores index each email by policy.EmailIndexKeys and look up
// exactly these keys, so a Match finds every email policy.MatchNeverLog
// blocks for the entry (policy.EntryKeys).
type Match struct {
	Address string
	// Spellings are other keys of Address that emails logged under older
	// normalization rules are indexed by (a local part not in NFC); at
	// most 29, for Firestore's array-contains-any.
	Spellings []string
	Domain    string
}

// PurgeReport says what a purge did.
type PurgeReport struct {
	Deleted  int      `json:"deleted"`
	Batches  int      `json:"batches"`
	EmailIDs []string `json:"-"`
}

// TimelineQuery asks for one page of a contact's timeline as a viewer sees it.
type TimelineQuery struct {
	Contact string
	// Keys are the viewer's audience keys (policy.ViewerAudience); an entry
	// is visible when it shares one. All returns every entry, visible or not,
	// with Visible set per entry (for hiddenEmails=stubs).
	Keys []string
	All  bool
	// Limit is the page size (1..100); Cursor is "" or the Next of the page
	// before. Cursors are opaque and bound to their contact.
	Limit  int
	Cursor string
	// CountHidden asks for Hidden, the number of the contact's emails the
	// viewer cannot see.
	CountHidden bool
}

// TimelinePage is one page of a timeline.
type TimelinePage struct {
	Entries []TimelineEntry
	// Next is the cursor of the following page, "" at the end.
	Next string
	// Hidden counts the contact's emails the viewer cannot see (when asked).
	Hidden int
	// HiddenAtLeast says Hidden is a lower bound: a store may count only
	// up to a cap (store/firestore: 1,000 entries per count), and the
	// contact has more emails than that. Hidden 0 with HiddenAtLeast: the
	// store cannot tell.
	HiddenAtLeast bool
}

// TimelineEntry is one email on a timeline. Email is set only when the
// entry is visible; a hidden entry carries its date and owner, nothing else.
type TimelineEntry struct {
	EmailID string
	Date    time.Time
	Owner   string
	Visible bool
	Email   *discreet.Email
}

// AuditQuery asks for one page of the audit log.
type AuditQuery struct {
	EmailOwner string
	Limit      int
	Cursor     string
}

// Timeline sort keys order entries newest first and break ties by id, so
// pages never skip or repeat an entry while new emails arrive.
func SortKey(date time.Time, emailID string) string {
	return date.UTC().Format("20060102T150405.000000000Z") + "|" + emailID
}
