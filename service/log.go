package service

import (
	"context"
	"errors"
	"slices"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/message"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/policy/sensitive"
	"github.com/discreet-crm/discreet/store"
)

// LogEmail runs the log decision for a message the caller took part in and
// logs it when permitted.
func (s *Service) LogEmail(ctx context.Context, actor discreet.User, req LogRequest) (LogResult, error) {
	if err := requireUser(actor); err != nil {
		return LogResult{}, err
	}
	if req.Visibility != "" && !req.Visibility.Valid() {
		return LogResult{}, discreet.FieldError("visibility", "must be private, team or public")
	}
	if req.Source == "" {
		req.Source = discreet.SourceButton
	}
	if req.Source != discreet.SourceButton && req.Source != discreet.SourceCompose && req.Source != discreet.SourceSync {
		return LogResult{}, discreet.FieldError("source", "must be button, compose or sync")
	}
	raw := req.Raw
	if len(raw) > 0 && req.GmailMessageID != "" {
		// Only the server sets GmailMessageID, when it fetched the message:
		// that is what tells a Gmail-delivered email from an upload.
		return LogResult{}, discreet.FieldError("raw", "give raw or gmailMessageId, not both")
	}
	if len(raw) == 0 {
		if req.GmailMessageID == "" {
			return LogResult{}, discreet.FieldError("raw", "give the raw message or a Gmail message id")
		}
		if s.cfg.Gmail == nil {
			return LogResult{}, discreet.Errorf(discreet.EUnavailable, "Gmail fetching is not configured")
		}
		var err error
		if raw, err = s.cfg.Gmail.Raw(ctx, req.Gmail, req.GmailMessageID); err != nil {
			if discreet.ErrorCode(err) == discreet.EInternal {
				return LogResult{}, discreet.Wrap(err, discreet.EUnavailable, "could not read the message from Gmail")
			}
			return LogResult{}, err
		}
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return LogResult{}, err
	}
	if len(req.Raw) > 0 {
		if err := mayUpload(actor, org); err != nil {
			return LogResult{}, err
		}
	}
	msg, err := parse(raw)
	if err != nil {
		return LogResult{}, err
	}
	return s.logMessage(ctx, actor, org, logInput{
		msg: msg, raw: raw, gmailID: req.GmailMessageID,
		toggle: req.Log, visibility: req.Visibility, source: req.Source,
	})
}

// CaptureSent logs a message the user sent, as their compose intent for it
// says (source compose) or, without one, as their defaults say (source
// sync). It takes the same path as LogEmail.
func (s *Service) CaptureSent(ctx context.Context, user discreet.User, raw []byte, gmailMessageID string) (LogResult, error) {
	if err := requireUser(user); err != nil {
		return LogResult{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return LogResult{}, err
	}
	msg, err := parse(raw)
	if err != nil {
		return LogResult{}, err
	}
	var recipients []string
	for _, f := range []string{"to", "cc", "bcc"} {
		recipients = append(recipients, msg.Addresses(f)...)
	}
	slices.Sort(recipients)
	recipients = slices.Compact(recipients)
	in := logInput{msg: msg, raw: raw, gmailID: gmailMessageID, source: discreet.SourceSync}
	var intent discreet.Intent
	if len(recipients) > 0 {
		intent, err = s.store.ConsumeIntent(ctx, user.Email, recipients, msg.Subject, s.now())
		switch {
		case err == nil:
			in.toggle, in.visibility, in.source = &intent.Log, intent.Visibility, discreet.SourceCompose
		case !isNotFound(err):
			return LogResult{}, err
		}
	}
	res, err := s.logMessage(ctx, user, org, in)
	if err != nil && intent.ID != "" {
		// The capture will be retried: it must find the rep's choice again,
		// not fall back to their defaults.
		if rerr := s.store.ReleaseIntent(context.WithoutCancel(ctx), intent.ID); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return res, err
}

// parse reads raw with as much body as any org may keep: the org's
// storeBodies and maxBodyBytes are applied when the email is stored, and
// the legacy identity compares stored bodies against it.
func parse(raw []byte) (*message.Message, error) {
	msg, err := message.Parse(raw, message.Options{MaxBodyBytes: MaxBodyBytesLimit, StoreBody: true})
	if err != nil {
		if discreet.ErrorCode(err) == discreet.EInternal {
			return nil, discreet.Wrap(err, discreet.EInvalid, "raw: the message could not be read")
		}
		return nil, err
	}
	return msg, nil
}

type logInput struct {
	msg        *message.Message
	raw        []byte
	gmailID    string
	toggle     *bool
	visibility discreet.Visibility
	source     discreet.Source
}

// logMessage is the one path from a parsed message to a logged email.
func (s *Service) logMessage(ctx context.Context, actor discreet.User, org discreet.OrgSettings, in logInput) (LogResult, error) {
	msg := in.msg
	if !slices.ContainsFunc(msg.Participants, func(p policy.Participant) bool { return p.Err == nil && p.Address == actor.Email }) {
		return LogResult{}, discreet.Errorf(discreet.EPermission, "you are not a participant of this message")
	}
	us, err := s.store.UserSettings(ctx, actor.Email)
	if err != nil {
		return LogResult{}, err
	}
	vis, err := s.chosenVisibility(actor, org, us, in.visibility, in.source == discreet.SourceButton)
	if err != nil {
		return LogResult{}, err
	}
	d, domains, err := s.decide(ctx, actor, org, us, msg.Participants, in.toggle, vis, contentOf(msg), nil)
	if err != nil {
		return LogResult{}, err
	}
	if !d.Logged {
		return LogResult{Decision: d}, nil
	}

	now := s.now()
	ident, err := s.identify(ctx, msg, in.gmailID, in.raw)
	if err != nil {
		return LogResult{}, err
	}
	date := policy.LogDate(msg.Date, now)
	from := msg.Addresses("from")
	e := discreet.Email{
		MessageID:      msg.MessageID,
		GmailMessageID: in.gmailID,
		Subject:        msg.Subject,
		To:             msg.Addresses("to"),
		Cc:             msg.Addresses("cc"),
		Date:           date,
		Direction:      policy.DirectionOf(fromParticipants(msg), domains),
		Snippet:        msg.Snippet,
		Body:           msg.BodyText,
		Owner:          actor.Email,
		Team:           actor.PrimaryTeam(),
		Visibility:     d.Visibility,
		Contacts:       d.Contacts,
		Internal:       d.Internal,
		Participants:   participantAddresses(msg.Participants),
		Lenient:        lenientKeys(msg.Participants),
		Source:         in.source,
		LoggedAt:       now,
	}
	if len(from) > 0 {
		e.From = from[0]
	} else {
		e.From = msg.From
	}
	if org.StoreBodies {
		limit := org.MaxBodyBytes
		if limit <= 0 {
			limit = message.DefaultMaxBodyBytes
		}
		limit = min(limit, store.MaxBodyBytes)
		if msg.BodyTruncated {
			// Parsing already stopped at MaxBodyBytesLimit: mark the cut.
			limit = min(limit, len(e.Body)-1)
		}
		e.Body = store.TruncateBody(e.Body, limit) // cut with a visible marker
	} else {
		// Metadata only: the snippet is body text too.
		e.Body, e.Snippet = "", ""
	}

	stored, created, err := s.logOnce(ctx, actor, org, e, ident)
	if err != nil {
		return LogResult{}, err
	}
	n := s.names()
	if created { // audited in the email's commit (emailWrite)
		v := s.emailView(ctx, n, actor, stored, true)
		return LogResult{Decision: d, Email: &v, Created: true}, nil
	}

	// Logged before: the record logOnce found, through the same read check
	// as Email(id). logOnce gave the caller a record of their own instead
	// of one they may not read, so this refuses only in the rare case of
	// their own record having passed out of their sight since.
	d.Reason = discreet.ReasonAlreadyLogged
	d.Visibility = ""
	d.Rule = nil // the record was logged as it was; a rule firing now changed nothing
	ok, err := s.canRead(ctx, actor, org, stored)
	if err != nil {
		return LogResult{}, err
	}
	if !ok {
		return LogResult{Decision: d}, nil
	}
	if err := s.auditRead(ctx, actor, stored, "log"); err != nil {
		return LogResult{}, err
	}
	d.Visibility = stored.Visibility
	v := s.emailView(ctx, n, actor, stored, true)
	return LogResult{Decision: d, Email: &v}, nil
}

func fromParticipants(msg *message.Message) []policy.Participant {
	var out []policy.Participant
	for _, p := range msg.Participants {
		if p.Field == "from" {
			out = append(out, p)
		}
	}
	return out
}

// participantAddresses lists every normalized address the email names.
func participantAddresses(ps []policy.Participant) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.Address != "" {
			out = append(out, p.Address)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// lenientKeys lists the lenient keys of the participants that did not read
// as addresses, so a later Never Log purge finds the email by them as the
// decision would have blocked it (policy.EmailIndexKeys).
func lenientKeys(ps []policy.Participant) []string {
	var out []string
	for _, p := range ps {
		if p.Address == "" {
			out = append(out, p.Lenient...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// decide is policy.Decide with the caller's lists, domains, protected
// contacts and defaults loaded, and the matched entry's id filled in.
// l are the org's lists when the caller read them already (orgLists);
// nil reads them.
func (s *Service) decide(ctx context.Context, actor discreet.User, org discreet.OrgSettings, us discreet.UserSettings,
	ps []policy.Participant, toggle *bool, vis discreet.Visibility, content sensitive.Message, l *orgLists) (discreet.Decision, *policy.Domains, error) {
	domains, err := policy.NewDomains(org.InternalDomains)
	if err != nil {
		return discreet.Decision{}, nil, discreet.Wrap(err, discreet.EInternal, "the org's internal domains are not valid")
	}
	if l == nil {
		read, err := s.readOrgLists(ctx)
		if err != nil {
			return discreet.Decision{}, nil, err
		}
		l = &read
	}
	view, prot := l.view, l.prot
	personal, err := s.personalNeverLog(ctx, actor.Email, us.NeverLogVersion)
	if err != nil {
		return discreet.Decision{}, nil, err
	}
	// The tombstones' version came with the Never Log version: no read
	// more for the decision unless it moved (erasure.go).
	erased, err := s.erased(ctx, view.head.Tombstones)
	if err != nil {
		return discreet.Decision{}, nil, err
	}
	// So did the rules' version: no read, and no scan, when none exist.
	rules, err := s.sensitivityRules(ctx, view.head.Rules)
	if err != nil {
		return discreet.Decision{}, nil, err
	}
	defLog, defVis := defaults(org, us)
	defVis = policy.VisibilityPolicyFor(actor, org.VisibilityPolicy).DefaultVisibility(defVis)
	d, orgList, err := s.decideNeverLog(ctx, view, policy.Input{
		Participants:      ps,
		Toggle:            toggle,
		DefaultLog:        defLog,
		Visibility:        vis,
		DefaultVisibility: defVis,
		Internal:          domains,
		Personal:          personal.list,
		Erased:            erased,
		Rules:             policy.Sensitivity{Scanner: rules, Message: content},
		Protected:         prot,
	})
	if err != nil {
		return discreet.Decision{}, nil, err
	}
	switch d.List {
	case "org":
		d.EntryID = orgList.byPattern[d.Entry].ID
	case "personal":
		d.EntryID = personal.byPattern[d.Entry].ID
	}
	return d, domains, nil
}

// defaults are the caller's Log default and visibility: their own setting,
// else the org's.
func defaults(org discreet.OrgSettings, us discreet.UserSettings) (bool, discreet.Visibility) {
	log := org.DefaultLog
	if us.DefaultLog != nil {
		log = *us.DefaultLog
	}
	vis := us.DefaultVisibility
	if !vis.Valid() {
		vis = org.DefaultVisibility
	}
	if !vis.Valid() {
		vis = discreet.VisibilityPublic
	}
	return log, vis
}
