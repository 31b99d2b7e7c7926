package service

import (
	"context"
	"time"

	"github.com/discreet-crm/discreet"
)

// ContactView is a contact as one viewer may see it. With Access "stub" only
// Email, Access, Owner, OwnerName, Team and TeamName are set: the stub
// reveals existence and ownership, nothing else.
type ContactView struct {
	Email     string          `json:"email"`
	Access    discreet.Access `json:"access"`
	Owner     string          `json:"owner"`
	OwnerName string          `json:"ownerName"`
	Team      string          `json:"team"`
	TeamName  string          `json:"teamName"`
	// Full access only.
	Name      string     `json:"name,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
	// CanManage: the viewer may change its fields or owner.
	CanManage bool `json:"canManage,omitempty"`
}

// EmailView is a logged email the viewer may read.
type EmailView struct {
	discreet.Email
	// Uploaded: logged from bytes a caller uploaded, not fetched from
	// Gmail by the server (discreet.Email.Uploaded), so what it claims
	// about its sender and delivery is only the uploader's word.
	Uploaded  bool   `json:"uploaded"`
	OwnerName string `json:"ownerName"`
	// CanManage: the viewer may change its visibility or unlog it.
	CanManage bool `json:"canManage"`
	// Shares are who else may read it; only for those who manage it.
	Shares []discreet.Share `json:"shares,omitempty"`
}

// TimelineItem is one email on a timeline: the email when the viewer may
// read it, else (hiddenEmails=stubs) only its date and owner.
type TimelineItem struct {
	Visible bool `json:"visible"`
	// EmailID names a hidden row (hiddenEmails=stubs) so that its viewer
	// may request access to it; the row shows no more than before.
	EmailID   string     `json:"emailId,omitempty"`
	Date      time.Time  `json:"date"`
	Owner     string     `json:"owner"`
	OwnerName string     `json:"ownerName"`
	Email     *EmailView `json:"email,omitempty"`
}

// HiddenSummary is what hiddenEmails=count shows: "3 more emails you can't
// see, owned by Beat Keller" (the contact's owner).
type HiddenSummary struct {
	Count int `json:"count"`
	// AtLeast: Count is a lower bound (a contact with more emails than the
	// store counts; store.TimelinePage.HiddenAtLeast).
	AtLeast   bool   `json:"atLeast,omitempty"`
	Owner     string `json:"owner"`
	OwnerName string `json:"ownerName"`
}

// TimelineView is one page of a contact's timeline for one viewer.
type TimelineView struct {
	Contact ContactView    `json:"contact"`
	Items   []TimelineItem `json:"items"`
	Hidden  *HiddenSummary `json:"hidden,omitempty"`
	Next    string         `json:"nextCursor,omitempty"`
}

// LogRequest asks to log one message.
type LogRequest struct {
	// Raw is the RFC 5322 message; or GmailMessageID with Gmail tokens.
	Raw            []byte
	GmailMessageID string
	Gmail          GmailTokens
	// Log is the rep's toggle (nil: their default); Visibility "" their default.
	Log        *bool
	Visibility discreet.Visibility
	Source     discreet.Source
}

// GmailTokens are the caller's credentials for reading one message.
type GmailTokens struct {
	OAuthToken  string // Authorization: Bearer …
	AccessToken string // X-Goog-Gmail-Access-Token (add-on current message)
}

// LogResult is the outcome of logging: the decision always, the email when
// it is (or already was) logged. Created is true only for a new record.
type LogResult struct {
	Decision discreet.Decision `json:"decision"`
	Email    *EmailView        `json:"email,omitempty"`
	Created  bool              `json:"-"`
}

// CheckResult says whether one address is blocked by a Never Log List.
type CheckResult struct {
	Address    string `json:"address"`
	Normalized string `json:"normalized,omitempty"`
	Blocked    bool   `json:"blocked"`
	Entry      string `json:"entry,omitempty"`
	EntryID    string `json:"entryId,omitempty"`
	List       string `json:"list,omitempty"` // "org" or "personal"
	Error      string `json:"error,omitempty"`
}

// AddNeverLogRequest adds one pattern to a Never Log List.
type AddNeverLogRequest struct {
	Pattern       string `json:"pattern"`
	Note          string `json:"note"`
	PurgeExisting bool   `json:"purgeExisting"`
}

// NeverLogAdded is the new entry, how many logged emails it already covers,
// and, when asked to purge them, the purge job.
type NeverLogAdded struct {
	Entry    discreet.NeverLogEntry `json:"entry"`
	Matching int                    `json:"matching"`
	Purge    *JobView               `json:"purge,omitempty"`
}

// LineError is one bad line of an import.
type LineError struct {
	Line    int    `json:"line"`
	Text    string `json:"text"`
	Message string `json:"message"`
}

// ImportResult is the outcome of an all-or-nothing import.
type ImportResult struct {
	Added      int         `json:"added"`
	Duplicates int         `json:"duplicates"`
	Errors     []LineError `json:"errors,omitempty"`
	// Job adds the entries of a large import; Added is then 0 and the
	// job's report says how many it added.
	Job *JobView `json:"job,omitempty"`
}

// PurgeResult reports a dry run (how many logged emails match), or the
// job that purges them.
type PurgeResult struct {
	Entry    discreet.NeverLogEntry `json:"entry"`
	DryRun   bool                   `json:"dryRun"`
	Matching int                    `json:"matching"`
	Job      *JobView               `json:"job,omitempty"`
}

// IntentRequest is a compose choice.
type IntentRequest struct {
	To         []string            `json:"to"`
	Cc         []string            `json:"cc"`
	Bcc        []string            `json:"bcc"`
	Subject    string              `json:"subject"`
	Log        bool                `json:"log"`
	Visibility discreet.Visibility `json:"visibility"`
}

// IntentResult is a stored compose choice. Blocked, as on the compose card,
// names the recipient and the Never Log entry that turned Log off.
type IntentResult struct {
	discreet.Intent
	Blocked *CheckResult `json:"blocked,omitempty"`
}

// ComposeState is what the compose card shows for a draft's recipients:
// the Log default, and the first Never Log match, if any.
type ComposeState struct {
	Log        bool                `json:"log"`
	Visibility discreet.Visibility `json:"visibility"`
	// Choices are the visibilities the card may offer (visibility policy,
	// protected recipients).
	Choices  VisibilityChoices `json:"choices"`
	Blocked  *CheckResult      `json:"blocked,omitempty"`
	Contacts []ContactView     `json:"contacts"`
	// Rules are the sensitivity rules the sent message will be checked
	// against (the draft's text is not sent to the add-on, so none can
	// fire yet); keyword rules without their keyword (rules.go).
	Rules []discreet.SensitivityRule `json:"rules,omitempty"`
}

// Me is the caller with their settings.
type Me struct {
	User     discreet.User         `json:"user"`
	Teams    []discreet.Team       `json:"teams"`
	Settings discreet.UserSettings `json:"settings"`
	Org      discreet.OrgSettings  `json:"org"`
}

// MySettings are a user's settings and personal Never Log entries.
type MySettings struct {
	DefaultLog        *bool                    `json:"defaultLog"`
	DefaultVisibility discreet.Visibility      `json:"defaultVisibility,omitempty"`
	NeverLog          []discreet.NeverLogEntry `json:"neverLog"`
}

// Page is one page of a listing.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"nextCursor,omitempty"`
}

// MessageSource reads raw RFC 5322 messages from Gmail.
type MessageSource interface {
	// Raw returns the message id of the caller's mailbox as RFC 5322 bytes.
	Raw(ctx context.Context, tokens GmailTokens, id string) ([]byte, error)
}
