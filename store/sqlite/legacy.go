package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/store"
)

// Before migration 0006 whole records were JSON: users, settings, emails,
// intents and audit records with the REST API's field names, jobs with
// Go's. The types below are that format, frozen: they are read once, by
// migrateRecords, and must not follow the API or the domain types.

type legacyUser struct {
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Teams     []string  `json:"teams"`
	CreatedAt time.Time `json:"createdAt"`
}

type legacyOrgSettings struct {
	InternalDomains   []string          `json:"internalDomains"`
	DefaultLog        bool              `json:"defaultLog"`
	DefaultVisibility string            `json:"defaultVisibility"`
	ContactAccess     map[string]string `json:"contactAccess"`
	HiddenEmails      string            `json:"hiddenEmails"`
	AdminsReadPrivate bool              `json:"adminsReadPrivate"`
	StoreBodies       bool              `json:"storeBodies"`
	MaxBodyBytes      int               `json:"maxBodyBytes"`
	Uploads           string            `json:"uploads"`
}

type legacyUserSettings struct {
	DefaultLog        *bool  `json:"defaultLog"`
	DefaultVisibility string `json:"defaultVisibility"`
}

type legacyEmail struct {
	ID             string    `json:"id"`
	MessageID      string    `json:"messageId"`
	GmailMessageID string    `json:"gmailMessageId"`
	ThreadID       string    `json:"threadId"`
	Subject        string    `json:"subject"`
	From           string    `json:"from"`
	To             []string  `json:"to"`
	Cc             []string  `json:"cc"`
	Date           time.Time `json:"date"`
	Direction      string    `json:"direction"`
	Snippet        string    `json:"snippet"`
	Body           string    `json:"body"`
	Owner          string    `json:"owner"`
	Team           string    `json:"team"`
	Visibility     string    `json:"visibility"`
	Contacts       []string  `json:"contacts"`
	Internal       []string  `json:"internal"`
	Participants   []string  `json:"participants"`
	Lenient        []string  `json:"lenient"`
	Source         string    `json:"source"`
	LoggedAt       time.Time `json:"loggedAt"`
}

// legacyIntent is what an intent's JSON held beyond its columns.
type legacyIntent struct {
	Recipients []string `json:"recipients"`
	Log        bool     `json:"log"`
	Visibility string   `json:"visibility"`
}

type legacyAudit struct {
	ID         string            `json:"id"`
	At         time.Time         `json:"at"`
	Actor      string            `json:"actor"`
	Action     string            `json:"action"`
	EmailID    string            `json:"emailId"`
	EmailOwner string            `json:"emailOwner"`
	Target     string            `json:"target"`
	Count      int               `json:"count"`
	Detail     map[string]string `json:"detail"`
}

// legacyJob is store.Job as encoding/json wrote it, by Go field name.
type legacyJob struct {
	ID, Kind                   string
	Params, Checkpoint, Report json.RawMessage
	State                      string
	Done, Total                int
	Error                      string
	Failures                   int
	StartedBy                  string
	CreatedAt, UpdatedAt       time.Time
	RunAfter                   time.Time
	Holder                     string
	LeaseUntil                 time.Time
	Parts                      int
}

// replacedTables are the tables 0006 rebuilds, and the indexes of theirs
// whose names the new tables take.
var (
	replacedTables  = []string{"users", "org_settings", "user_settings", "contacts", "emails", "timeline", "intents", "audit", "jobs"}
	replacedIndexes = []string{"contacts_domain", "intents_match", "audit_order", "audit_owner", "jobs_order", "jobs_starter", "jobs_due"}
)

// migrateRecordsFault, when set (by a test), runs after the records are
// copied and before the old tables go; an error or panic from it is a crash
// part way through the migration.
var migrateRecordsFault func() error

// migrateRecords is migration 0006: the old tables move aside, the file
// creates the new ones, every record is copied across through the same
// encoding the store writes with, and the old tables go. It runs in the
// migration's transaction: a crash part way leaves the database as it was.
func migrateRecords(ctx context.Context, c *conn, sql string) error {
	for _, ix := range replacedIndexes {
		if _, err := c.exec(ctx, "DROP INDEX "+ix); err != nil {
			return err
		}
	}
	for _, t := range replacedTables {
		if _, err := c.exec(ctx, "ALTER TABLE "+t+" RENAME TO "+t+"_v5"); err != nil {
			return err
		}
	}
	if err := c.script(ctx, sql); err != nil {
		return err
	}
	for _, copy := range []struct {
		what string
		fn   func(ctx context.Context, c *conn) error
	}{
		{"users", copyUsers}, {"org settings", copyOrgSettings}, {"user settings", copyUserSettings},
		{"emails", copyEmails}, {"intents", copyIntents}, {"audit", copyAudit}, {"jobs", copyJobs},
	} {
		if err := copy.fn(ctx, c); err != nil {
			return fmt.Errorf("copy %s: %w", copy.what, err)
		}
	}
	if migrateRecordsFault != nil {
		if err := migrateRecordsFault(); err != nil {
			return err
		}
	}
	for _, q := range []string{
		"INSERT INTO contacts (email, domain, name, owner, team, created_at, total) SELECT email, domain, name, owner, team, created_at, total FROM contacts_v5",
		"INSERT INTO timeline (contact, sort_key, email_id, owner, keys) SELECT contact, sort_key, email_id, owner, keys FROM timeline_v5",
		// emails.match_terms holds what this index found.
		"DROP INDEX email_match_email",
		// Children before parents: timeline_v5 refers to contacts_v5.
		"DROP TABLE timeline_v5",
	} {
		if _, err := c.exec(ctx, q); err != nil {
			return err
		}
	}
	for _, t := range replacedTables {
		if t == "timeline" {
			continue
		}
		if _, err := c.exec(ctx, "DROP TABLE "+t+"_v5"); err != nil {
			return err
		}
	}
	return nil
}

// eachLegacy calls fn with each row of query, its last column decoded from
// JSON into a fresh T.
func eachLegacy[T any](ctx context.Context, c *conn, query string, fn func(r *stmt, v *T) error) error {
	rows, err := c.query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.close()
	for rows.next() {
		var v T
		data := rows.text(rows.columns() - 1)
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return fmt.Errorf("%q: %w", data, err)
		}
		if err := fn(rows, &v); err != nil {
			return err
		}
	}
	return rows.error()
}

func copyUsers(ctx context.Context, c *conn) error {
	return eachLegacy(ctx, c, "SELECT email, data FROM users_v5", func(r *stmt, u *legacyUser) error {
		a := userArgs(discreet.User{Email: r.text(0), Name: u.Name, Role: discreet.Role(u.Role), Teams: u.Teams, CreatedAt: u.CreatedAt})
		_, err := c.exec(ctx, insertUser, a[:]...)
		return err
	})
}

func copyOrgSettings(ctx context.Context, c *conn) error {
	return eachLegacy(ctx, c, "SELECT data FROM org_settings_v5", func(r *stmt, o *legacyOrgSettings) error {
		var access map[discreet.Role]discreet.Scope
		if o.ContactAccess != nil {
			access = make(map[discreet.Role]discreet.Scope, len(o.ContactAccess))
			for k, v := range o.ContactAccess {
				access[discreet.Role(k)] = discreet.Scope(v)
			}
		}
		a := orgArgs(discreet.OrgSettings{
			InternalDomains: o.InternalDomains, DefaultLog: o.DefaultLog, DefaultVisibility: discreet.Visibility(o.DefaultVisibility),
			ContactAccess: access, HiddenEmails: discreet.HiddenEmails(o.HiddenEmails), AdminsReadPrivate: o.AdminsReadPrivate,
			StoreBodies: o.StoreBodies, MaxBodyBytes: o.MaxBodyBytes, Uploads: discreet.Uploads(o.Uploads),
		})
		_, err := c.exec(ctx, putOrgV6, a[:9]...)
		return err
	})
}

// putOrgV6 writes the org_settings row as version 6 made it: later
// versions add columns (retention, 0009) after this step has run.
const putOrgV6 = `INSERT INTO org_settings (id, internal_domains, default_log, default_visibility, contact_access, hidden_emails,
	admins_read_private, store_bodies, max_body_bytes, uploads) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func copyUserSettings(ctx context.Context, c *conn) error {
	return eachLegacy(ctx, c, "SELECT email, never_log_version, data FROM user_settings_v5", func(r *stmt, us *legacyUserSettings) error {
		_, err := c.exec(ctx, `INSERT INTO user_settings (email, default_log, default_visibility, never_log_version) VALUES (?, ?, ?, ?)`,
			text(r.text(0)), boolPtrArg(us.DefaultLog), text(us.DefaultVisibility), num(r.int(1)))
		return err
	})
}

func copyEmails(ctx context.Context, c *conn) error {
	return eachLegacy(ctx, c, "SELECT id, data FROM emails_v5", func(r *stmt, le *legacyEmail) error {
		e := discreet.Email{
			ID: r.text(0), MessageID: le.MessageID, GmailMessageID: le.GmailMessageID, ThreadID: le.ThreadID,
			Subject: le.Subject, From: le.From, To: le.To, Cc: le.Cc, Date: le.Date, Direction: discreet.Direction(le.Direction),
			Snippet: le.Snippet, Body: le.Body, Owner: le.Owner, Team: le.Team, Visibility: discreet.Visibility(le.Visibility),
			Contacts: le.Contacts, Internal: le.Internal, Participants: le.Participants, Lenient: le.Lenient,
			Source: discreet.Source(le.Source), LoggedAt: le.LoggedAt,
		}
		// The terms it was indexed by, as they were: the index is the truth
		// a purge goes by, whatever the rules of the day would compute.
		terms, err := queryAll(ctx, c, firstText, "SELECT term FROM email_match WHERE email_id = ? ORDER BY term", text(e.ID))
		if err != nil {
			return err
		}
		a := emailArgs(e, terms)
		_, err = c.exec(ctx, insertEmail, a[:]...)
		return err
	})
}

func copyIntents(ctx context.Context, c *conn) error {
	return eachLegacy(ctx, c, "SELECT id, user, recipients, subject, created_at, expires_at, consumed, data FROM intents_v5",
		func(r *stmt, in *legacyIntent) error {
			_, err := c.exec(ctx, `INSERT INTO intents (id, user, recipients, recipient_list, subject, log, visibility,
				created_at, expires_at, consumed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				text(r.text(0)), text(r.text(1)), text(r.text(2)), listArg(in.Recipients), text(r.text(3)),
				flag(in.Log), text(in.Visibility), text(r.text(4)), text(r.text(5)), num(r.int(6)))
			return err
		})
}

func copyAudit(ctx context.Context, c *conn) error {
	return eachLegacy(ctx, c, "SELECT data FROM audit_v5", func(r *stmt, la *legacyAudit) error {
		a := auditArgs(discreet.AuditRecord{ID: la.ID, At: la.At, Actor: la.Actor, Action: la.Action, EmailID: la.EmailID,
			EmailOwner: la.EmailOwner, Target: la.Target, Count: la.Count, Detail: la.Detail})
		_, err := c.exec(ctx, insertAudit, a[:]...)
		return err
	})
}

func copyJobs(ctx context.Context, c *conn) error {
	return eachLegacy(ctx, c, "SELECT data FROM jobs_v5", func(r *stmt, lj *legacyJob) error {
		a := jobArgs(store.Job{ID: lj.ID, Kind: lj.Kind, Params: lj.Params, Checkpoint: lj.Checkpoint, Report: lj.Report,
			State: store.JobState(lj.State), Done: lj.Done, Total: lj.Total, Error: lj.Error, Failures: lj.Failures,
			StartedBy: lj.StartedBy, CreatedAt: lj.CreatedAt, UpdatedAt: lj.UpdatedAt, RunAfter: lj.RunAfter,
			Holder: lj.Holder, LeaseUntil: lj.LeaseUntil, Parts: lj.Parts})
		_, err := c.exec(ctx, insertJob, a[:]...)
		return err
	})
}
