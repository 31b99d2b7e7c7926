package addon

import (
	"context"
	"errors"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
)

// Page sizes: the message card shows the newest few
// (service.MessageTimeline), "More" pages further.
const (
	moreTimeline = 10
	neverLogPage = 10
	// jobsPage is how many jobs the Jobs area lists per page.
	jobsPage = 10
)

func (h *handler) message(ctx context.Context, r *request) (Response, error) {
	m, err := h.messageModel(ctx, r, nil)
	if err != nil {
		return Response{}, err
	}
	return pushCard(r.v.messageCard(m)), nil
}

func (r *request) gmailTokens() service.GmailTokens {
	return service.GmailTokens{OAuthToken: r.ev.Authorization.UserOAuthToken, AccessToken: r.ev.Gmail.AccessToken}
}

// readOpenMessage fetches the open message with the event's tokens.
func (h *handler) readOpenMessage(ctx context.Context, r *request, id string) ([]byte, error) {
	if h.cfg.Gmail == nil {
		return nil, discreet.Errorf(discreet.EUnavailable, "no Gmail message source configured")
	}
	raw, err := h.cfg.Gmail.Raw(ctx, r.gmailTokens(), id)
	if err != nil {
		if discreet.ErrorCode(err) == discreet.ENotFound {
			return nil, err
		}
		return nil, errors.Join(errShown{r.v.t("Discreet cannot read this message right now. Try again in a moment.")}, err)
	}
	return raw, nil
}

// messageModel loads the message card: service.MessageState of the open
// message. decision is the outcome of a Log click, when there was one.
func (h *handler) messageModel(ctx context.Context, r *request, decision *discreet.Decision) (messageModel, error) {
	id := r.ev.messageID()
	if id == "" {
		return messageModel{}, errShown{r.v.t("Open a message to see its contacts.")}
	}
	raw, err := h.readOpenMessage(ctx, r, id)
	if err != nil {
		return messageModel{}, err
	}
	st, err := h.cfg.Service.MessageState(ctx, r.user, raw, id)
	if err != nil {
		return messageModel{}, err
	}
	m := messageModel{GmailMessageID: id, Subject: st.Subject, Email: st.Email, Decision: st.Decision, DefaultVisibility: st.DefaultVisibility}
	if decision != nil && m.Email == nil {
		m.Decision = decision
	}
	mine, decide, err := h.contactAccessRequests(ctx, r)
	if err != nil {
		return messageModel{}, err
	}
	for _, c := range st.Contacts {
		m.Contacts = append(m.Contacts, contactModel{Address: c.Address, Contact: c.Contact, Timeline: c.Timeline,
			Requests: mine[c.Address], Decide: decide[c.Address]})
	}
	return m, nil
}

func (h *handler) compose(ctx context.Context, r *request) (Response, error) {
	c, err := h.composeCard(ctx, r)
	if err != nil {
		return Response{}, err
	}
	return pushCard(c), nil
}

// draftRecipients are the draft's recipients from the Gmail context, or
// from the Save button's parameters when a callback lacks the context.
func (r *request) draftRecipients() (to, cc, bcc []string) {
	g := r.ev.Gmail
	if len(g.ToRecipients)+len(g.CcRecipients)+len(g.BccRecipients) > 0 {
		return g.ToRecipients, g.CcRecipients, g.BccRecipients
	}
	split := func(s string) []string {
		var out []string
		for _, a := range strings.Split(s, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
		return out
	}
	return split(r.ev.param("to")), split(r.ev.param("cc")), split(r.ev.param("bcc"))
}

func (h *handler) composeCard(ctx context.Context, r *request) (*Card, error) {
	to, cc, bcc := r.draftRecipients()
	m := composeModel{To: to, Cc: cc, Bcc: bcc}
	st, err := h.cfg.Service.ComposeState(ctx, r.user, m.recipients())
	if err != nil {
		return nil, err
	}
	m.State = st
	return r.v.composeCard(m), nil
}
