package addon

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"net/mail"
	"strings"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/service"
)

// Page sizes: the message card shows the newest few, "More" pages further.
const (
	cardTimeline = 5
	moreTimeline = 10
	neverLogPage = 10
	// homeJobs is how many recent jobs the admin homepage shows.
	homeJobs = 3
)

func (h *handler) homepage(ctx context.Context, r *request) (Response, error) {
	c, err := h.homeCard(ctx, r, homeForm{}, "")
	if err != nil {
		return Response{}, err
	}
	return pushCard(c), nil
}

// homeCard loads the homepage. Whether the admin sections show is the
// service's answer to NeverLog, not a role check here.
func (h *handler) homeCard(ctx context.Context, r *request, form homeForm, cursor string) (*Card, error) {
	svc := h.cfg.Service
	me, err := svc.Me(ctx, r.user)
	if err != nil {
		return nil, err
	}
	mine, err := svc.MySettings(ctx, r.user)
	if err != nil {
		return nil, err
	}
	m := homeModel{User: me.User, Me: me, Mine: mine, Form: form}
	page, err := svc.NeverLog(ctx, r.user, neverLogPage, cursor)
	switch discreet.ErrorCode(err) {
	case "":
		org, err := svc.OrgSettings(ctx, r.user)
		if err != nil {
			return nil, err
		}
		jobs, err := svc.Jobs(ctx, r.user, homeJobs, "")
		if err != nil {
			return nil, err
		}
		m.Admin = &adminModel{Org: org, NeverLog: page, Jobs: jobs.Items}
	case discreet.EPermission, discreet.ENotFound:
	default:
		return nil, err
	}
	return r.v.homeCard(m), nil
}

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

// openMessage is what the card needs of the open message's headers.
type openMessage struct {
	raw       []byte
	subject   string
	addresses []string // every participant, normalized, once
}

// readOpenMessage fetches the open message with the event's tokens and
// reads its headers.
func (h *handler) readOpenMessage(ctx context.Context, r *request, id string) (openMessage, error) {
	if h.cfg.Gmail == nil {
		return openMessage{}, discreet.Errorf(discreet.EUnavailable, "no Gmail message source configured")
	}
	raw, err := h.cfg.Gmail.Raw(ctx, r.gmailTokens(), id)
	if err != nil {
		if discreet.ErrorCode(err) == discreet.ENotFound {
			return openMessage{}, err
		}
		return openMessage{}, errors.Join(errShown{r.v.t("Discreet cannot read this message right now. Try again in a moment.")}, err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return openMessage{}, discreet.Wrap(err, discreet.EInvalid, "the open message has no readable header")
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	om := openMessage{raw: raw, subject: subject}
	seen := map[string]bool{}
	for _, pt := range policy.Participants(msg.Header.Get) {
		if pt.Address != "" && !seen[pt.Address] {
			seen[pt.Address] = true
			om.addresses = append(om.addresses, pt.Address)
		}
	}
	return om, nil
}

// messageModel loads the message card: the open email's state and its
// external participants as the service shows them to this user. decision
// is the outcome of a Log click, when there was one.
func (h *handler) messageModel(ctx context.Context, r *request, decision *discreet.Decision) (messageModel, error) {
	svc := h.cfg.Service
	id := r.ev.messageID()
	if id == "" {
		return messageModel{}, errShown{r.v.t("Open a message to see its contacts.")}
	}
	om, err := h.readOpenMessage(ctx, r, id)
	if err != nil {
		return messageModel{}, err
	}
	me, err := svc.Me(ctx, r.user)
	if err != nil {
		return messageModel{}, err
	}
	m := messageModel{GmailMessageID: id, Subject: om.subject, Decision: decision, DefaultVisibility: me.Org.DefaultVisibility}
	if me.Settings.DefaultVisibility.Valid() {
		m.DefaultVisibility = me.Settings.DefaultVisibility
	}

	ev, err := svc.LoggedCopy(ctx, r.user, om.raw, id)
	switch discreet.ErrorCode(err) {
	case "":
		m.Email = &ev
	case discreet.ENotFound:
	default:
		return messageModel{}, err
	}

	// Internal addresses are never contacts; which ones are internal is
	// the org's setting, read with the policy's own matcher.
	internal, _ := policy.NewDomains(me.Org.InternalDomains)
	var external []string
	for _, a := range om.addresses {
		if !internal.Covers(a) {
			external = append(external, a)
		}
	}
	if m.Email == nil && m.Decision == nil {
		checks, err := svc.CheckNeverLog(ctx, r.user, om.addresses)
		if err != nil {
			return messageModel{}, err
		}
		for _, c := range checks {
			if c.Blocked {
				m.Decision = &discreet.Decision{Reason: discreet.ReasonNeverLogList, Entry: c.Entry, EntryID: c.EntryID, List: c.List, Address: c.Normalized}
				if m.Decision.Address == "" {
					m.Decision.Address = c.Address
				}
				break
			}
		}
		if m.Decision == nil && len(external) == 0 {
			m.Decision = &discreet.Decision{Reason: discreet.ReasonInternalOnly}
		}
	}

	for _, a := range external {
		cm := contactModel{Address: a}
		cv, err := svc.Contact(ctx, r.user, a)
		switch discreet.ErrorCode(err) {
		case "":
			cm.Contact = &cv
			tl, err := svc.Timeline(ctx, r.user, a, cardTimeline, "")
			if err == nil {
				cm.Timeline = &tl
			} else if c := discreet.ErrorCode(err); c != discreet.ENotFound && c != discreet.EPermission {
				return messageModel{}, err
			}
		case discreet.ENotFound:
		default:
			return messageModel{}, err
		}
		m.Contacts = append(m.Contacts, cm)
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
