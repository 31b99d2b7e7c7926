package addon

import (
	chat "google.golang.org/api/chat/v1"
)

// The card and widget types are Google's own (google.golang.org/api/chat/v1
// GoogleAppsCardV1*): they are the Card v1 schema that Workspace add-ons
// render. The wrappers around a card (action, navigations, renderActions,
// hostAppAction) have no Go types upstream and are declared here.
type (
	Card    = chat.GoogleAppsCardV1Card
	Section = chat.GoogleAppsCardV1Section
	Widget  = chat.GoogleAppsCardV1Widget
)

// Response is the body of every add-on endpoint. A trigger (homepage,
// message, compose) answers with Action; a button callback answers with
// RenderActions.
type Response struct {
	Action        *Action        `json:"action,omitempty"`
	RenderActions *RenderActions `json:"renderActions,omitempty"`
}

// RenderActions is a callback's answer: card navigation and a toast, or an
// action the host app performs (e.g. edit the draft).
type RenderActions struct {
	Action        *Action        `json:"action,omitempty"`
	HostAppAction *HostAppAction `json:"hostAppAction,omitempty"`
}

// Action is a list of navigations applied in order and an optional toast.
type Action struct {
	Navigations  []Navigation  `json:"navigations,omitempty"`
	Notification *Notification `json:"notification,omitempty"`
}

// Navigation is one step on the card stack; exactly one field is set.
type Navigation struct {
	PushCard   *Card  `json:"pushCard,omitempty"`
	UpdateCard *Card  `json:"updateCard,omitempty"`
	Pop        bool   `json:"pop,omitempty"`
	PopToRoot  bool   `json:"popToRoot,omitempty"`
	PopToCard  string `json:"popToCard,omitempty"`
}

// Notification is a toast at the bottom of the side panel.
type Notification struct {
	Text string `json:"text"`
}

// HostAppAction is an action Gmail performs, e.g. editing the open draft.
type HostAppAction struct {
	GmailAction *GmailAction `json:"gmailAction,omitempty"`
}

// GmailAction edits the draft being composed.
type GmailAction struct {
	UpdateDraftActionMarkup *UpdateDraftActionMarkup `json:"updateDraftActionMarkup,omitempty"`
}

// UpdateDraftActionMarkup adds recipients to the draft.
type UpdateDraftActionMarkup struct {
	UpdateToRecipients  *Recipients `json:"updateToRecipients,omitempty"`
	UpdateCcRecipients  *Recipients `json:"updateCcRecipients,omitempty"`
	UpdateBccRecipients *Recipients `json:"updateBccRecipients,omitempty"`
}

// Recipients is a list of addresses for UpdateDraftActionMarkup.
type Recipients struct {
	ToRecipients  []Recipient `json:"toRecipients,omitempty"`
	CcRecipients  []Recipient `json:"ccRecipients,omitempty"`
	BccRecipients []Recipient `json:"bccRecipients,omitempty"`
}

// Recipient is one address.
type Recipient struct {
	Email string `json:"email"`
}

// pushCard is a trigger's answer: show card.
func pushCard(c *Card) Response {
	return Response{Action: &Action{Navigations: []Navigation{{PushCard: c}}}}
}

// render is a callback's answer: navigations and an optional toast.
func render(note string, navs ...Navigation) Response {
	a := &Action{Navigations: navs}
	if note != "" {
		a.Notification = &Notification{Text: note}
	}
	return Response{RenderActions: &RenderActions{Action: a}}
}
