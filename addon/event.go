package addon

import (
	"strings"
)

// Event is the JSON Google posts to every add-on endpoint (see ADDON.md).
// Unknown fields are ignored: Google adds fields over time.
type Event struct {
	Common        CommonEvent        `json:"commonEventObject"`
	Authorization AuthorizationEvent `json:"authorizationEventObject"`
	Gmail         GmailEvent         `json:"gmail"`
}

// CommonEvent is what every host app sends.
type CommonEvent struct {
	HostApp    string               `json:"hostApp,omitempty"`
	Platform   string               `json:"platform,omitempty"`
	UserLocale string               `json:"userLocale,omitempty"`
	TimeZone   TimeZone             `json:"timeZone"`
	FormInputs map[string]FormInput `json:"formInputs,omitempty"`
	Parameters map[string]string    `json:"parameters,omitempty"`
}

// TimeZone is the user's zone; Offset in milliseconds.
type TimeZone struct {
	ID     string `json:"id,omitempty"`
	Offset int64  `json:"offset,omitempty"`
}

// FormInput is the value of one named widget.
type FormInput struct {
	StringInputs *StringInputs `json:"stringInputs,omitempty"`
}

// StringInputs holds a widget's values (several for CHECK_BOX/MULTI_SELECT).
type StringInputs struct {
	Value []string `json:"value"`
}

// AuthorizationEvent carries the user's tokens.
type AuthorizationEvent struct {
	UserOAuthToken string `json:"userOAuthToken,omitempty"`
	UserIDToken    string `json:"userIdToken,omitempty"`
	SystemIDToken  string `json:"systemIdToken,omitempty"`
}

// GmailEvent is the open message or the draft's recipients.
type GmailEvent struct {
	MessageID     string   `json:"messageId,omitempty"`
	ThreadID      string   `json:"threadId,omitempty"`
	AccessToken   string   `json:"accessToken,omitempty"`
	ToRecipients  []string `json:"toRecipients,omitempty"`
	CcRecipients  []string `json:"ccRecipients,omitempty"`
	BccRecipients []string `json:"bccRecipients,omitempty"`
}

// param returns an action parameter, "" when absent.
func (e *Event) param(name string) string { return strings.TrimSpace(e.Common.Parameters[name]) }

// input returns the first value of a form input, "" when absent.
func (e *Event) input(name string) string {
	fi, ok := e.Common.FormInputs[name]
	if !ok || fi.StringInputs == nil || len(fi.StringInputs.Value) == 0 {
		return ""
	}
	return fi.StringInputs.Value[0]
}

// has reports whether a form input was sent; a switch that is off is not.
func (e *Event) has(name string) bool {
	return e.input(name) != ""
}

// messageID is the open message: from the Gmail context, else from the
// action parameters the message card put on its buttons.
func (e *Event) messageID() string {
	if e.Gmail.MessageID != "" {
		return e.Gmail.MessageID
	}
	return e.param("messageId")
}
