package service

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/message"
	"github.com/discreet-crm/discreet/policy"
)

// MessageState is what the message card shows of an open message: the
// twin of ComposeState for mail already sent or received.
type MessageState struct {
	Subject string `json:"subject"`
	// Email is the logged copy the caller may read; nil when none is
	// logged or the caller may read none (alike, as LoggedCopy).
	Email *EmailView `json:"email,omitempty"`
	// Decision says why Log would not log the message now
	// (never_log_list, unreadable_participant, internal_only); nil when
	// it is logged or Log would log it.
	Decision *discreet.Decision `json:"decision,omitempty"`
	// Rule is the sensitivity rule that would force the email private
	// when logged; nil when none fires.
	Rule *discreet.SensitivityRule `json:"rule,omitempty"`
	// DefaultVisibility preselects the Log choice.
	DefaultVisibility discreet.Visibility `json:"defaultVisibility"`
	// Choices are the visibilities the caller may pick (the visibility
	// policy in force, or private only with a protected participant).
	Choices VisibilityChoices `json:"choices"`
	// Contacts are the message's external participants, in header order.
	Contacts []MessageContact `json:"contacts"`
}

// MessageContact is one external participant of an open message.
type MessageContact struct {
	Address string `json:"address"`
	// Contact is nil for an address nobody logged yet.
	Contact *ContactView `json:"contact,omitempty"`
	// Timeline is the first page of the contact's timeline as the caller
	// sees it; nil for a new contact.
	Timeline *TimelineView `json:"timeline,omitempty"`
}

// MessageTimeline is how many of each contact's newest emails the message
// card shows; "More" pages further. Two bound what opening a message
// reads whatever the contacts' size: per contact at most 2 entries and the
// hidden count's 2 counts (docs/PERFORMANCE.md).
const MessageTimeline = 2

// maxMessageContacts bounds the contacts a message card reads; a message
// to a hundred customers shows the first ones.
const maxMessageContacts = 10

// MessageState reads what the message card shows of raw (fetched from
// Gmail as gmailMessageID) for the caller, with the first MessageTimeline
// emails of each external participant's timeline. It reads the store in
// three waves of parallel reads: the settings and the logged copy; the
// Never Log version and the contacts; their timelines. Display names come
// from the instance's name cache when it has them (nameTTL).
func (s *Service) MessageState(ctx context.Context, actor discreet.User, raw []byte, gmailMessageID string) (MessageState, error) {
	if err := requireUser(actor); err != nil {
		return MessageState{}, err
	}
	msg, err := parse(raw)
	if err != nil {
		return MessageState{}, err
	}
	id, err := s.identify(ctx, msg, gmailMessageID, raw)
	if err != nil {
		return MessageState{}, err
	}

	// Wave 1: settings, and the two records LogEmail would meet first.
	var (
		org                 discreet.OrgSettings
		us                  discreet.UserSettings
		legacy, byID        discreet.Email
		legacyOK, byIDFound bool
		grants              policy.Grants
		lists               orgLists
		errs                [6]error
	)
	parallel(
		func() { org, errs[0] = s.store.OrgSettings(ctx) },
		// The org's lists for the decision below: their one document
		// carries the protected contacts' version, which the contacts'
		// access needs too, so nothing reads it apart.
		func() { lists, errs[4] = s.readOrgLists(ctx) },
		func() { grants, errs[5] = s.heldGrants(ctx, actor) },
		func() { us, errs[1] = s.store.UserSettings(ctx, actor.Email) },
		func() { legacy, legacyOK, errs[2] = s.legacyCopy(ctx, id) },
		func() { byID, byIDFound, errs[3] = s.maybeEmail(ctx, id.id) },
	)
	if err := errors.Join(errs[:]...); err != nil {
		return MessageState{}, err
	}
	prot := lists.prot
	grants.Protected = prot
	// A bad internal-domains setting fails the card, as it fails a log:
	// read leniently, colleagues would show as contacts.
	domains, err := policy.NewDomains(org.InternalDomains)
	if err != nil {
		return MessageState{}, discreet.Wrap(err, discreet.EInternal, "the org's internal domains are not valid")
	}
	choices := visibilityChoices(actor, org, us)
	if _, key, ok := prot.Covers(msg.Participants); ok {
		choices.Allowed, choices.Default = []discreet.Visibility{discreet.VisibilityPrivate}, discreet.VisibilityPrivate
		choices.Forced, choices.Protected = discreet.ForcedProtected, key
	}
	st := MessageState{Subject: msg.Subject, DefaultVisibility: choices.Default, Choices: choices, Contacts: []MessageContact{}}
	n := s.names()

	// The record LogEmail would meet first.
	first, found := byID, byIDFound
	if legacyOK {
		first, found = legacy, true
	}

	var external []string
	for _, p := range msg.Participants {
		if p.Err == nil && p.Address != "" && !domains.Covers(p.Address) && !slices.Contains(external, p.Address) &&
			len(external) < maxMessageContacts {
			external = append(external, p.Address)
		}
	}

	// Wave 2: what Log would decide (the Never Log version read) and the
	// contacts.
	contacts := make([]discreet.Contact, len(external))
	exists := make([]bool, len(external))
	cerrs := make([]error, len(external)+1)
	fns := []func(){}
	if !found {
		fns = append(fns, func() { st.Decision, st.Rule, cerrs[len(external)] = s.refusal(ctx, actor, org, us, msg, &lists) })
	}
	for i, a := range external {
		fns = append(fns, func() {
			c, err := s.store.Contact(ctx, a)
			switch {
			case err == nil:
				contacts[i], exists[i] = c, true
			case !isNotFound(err):
				cerrs[i] = err
			}
		})
	}
	parallel(fns...)
	if err := errors.Join(cerrs...); err != nil {
		return MessageState{}, err
	}

	// The logged copy, as LoggedCopy finds it: the first record, else the
	// caller's own. Its contacts' access comes from those just read.
	known := map[string]discreet.Contact{}
	for i, a := range external {
		if exists[i] {
			known[a] = contacts[i]
		}
	}
	if found {
		v, ok, err := s.readableCopy(ctx, n, actor, org, known, grants, first)
		if err != nil {
			return MessageState{}, err
		}
		if !ok {
			own, ownFound, err := s.maybeEmail(ctx, id.ownID(actor.Email))
			if err != nil {
				return MessageState{}, err
			}
			if ownFound {
				if v, ok, err = s.readableCopy(ctx, n, actor, org, known, grants, own); err != nil {
					return MessageState{}, err
				}
			}
		}
		if ok {
			st.Email = &v
		}
	}

	if found && st.Email == nil {
		// A record the caller may not read: the card offers Log, as for a
		// message nobody logged, so it says what Log would do.
		if st.Decision, st.Rule, err = s.refusal(ctx, actor, org, us, msg, &lists); err != nil {
			return MessageState{}, err
		}
	}

	// Wave 3: the timelines, and the names they and the contacts show.
	st.Contacts = make([]MessageContact, len(external))
	terrs := make([]error, len(external))
	fns = fns[:0]
	for i, a := range external {
		st.Contacts[i].Address = a
		if !exists[i] {
			continue
		}
		fns = append(fns, func() {
			c := contacts[i]
			cv := n.contactView(ctx, actor, c, policy.ContactAccessWith(actor, c, org, grants))
			st.Contacts[i].Contact = &cv
			tl, err := s.timeline(ctx, n, actor, org, grants, c, MessageTimeline, "")
			switch discreet.ErrorCode(err) {
			case "":
				st.Contacts[i].Timeline = &tl
			case discreet.ENotFound, discreet.EPermission:
			default:
				terrs[i] = err
			}
		})
	}
	parallel(fns...)
	if err := errors.Join(terrs...); err != nil {
		return MessageState{}, err
	}
	return st, nil
}

// refusal is the decision Log would take for msg when it refuses whatever
// the caller picks (never_log_list, sensitive_content,
// unreadable_participant, internal_only); nil when Log would log, with
// the sensitivity rule that would force it private, if one. l are the
// org's lists MessageState read.
func (s *Service) refusal(ctx context.Context, actor discreet.User, org discreet.OrgSettings, us discreet.UserSettings, msg *message.Message, l *orgLists) (*discreet.Decision, *discreet.SensitivityRule, error) {
	log := true // the rule a private rule names shows only on a decision to log
	d, _, err := s.decide(ctx, actor, org, us, msg.Participants, &log, "", contentOf(msg), l)
	if err != nil {
		return nil, nil, err
	}
	switch d.Reason {
	case discreet.ReasonNeverLogList, discreet.ReasonSensitiveContent, discreet.ReasonUnreadableParticipant, discreet.ReasonInternalOnly:
		return &d, nil, nil
	}
	return nil, d.Rule, nil
}

// readableCopy is e as the caller sees it, with its read audited, when the
// caller may read it.
func (s *Service) readableCopy(ctx context.Context, n *names, actor discreet.User, org discreet.OrgSettings, known map[string]discreet.Contact, g policy.Grants, e discreet.Email) (EmailView, bool, error) {
	ok, err := s.canReadKnowing(ctx, actor, org, known, g, e)
	if err != nil || !ok {
		return EmailView{}, false, err
	}
	if err := s.auditRead(ctx, actor, e, "email"); err != nil {
		return EmailView{}, false, err
	}
	return s.emailView(ctx, n, actor, e, true), true, nil
}

// parallel runs fns concurrently and waits for all of them.
func parallel(fns ...func()) {
	if len(fns) == 1 {
		fns[0]()
		return
	}
	var wg sync.WaitGroup
	for _, f := range fns {
		wg.Go(f)
	}
	wg.Wait()
}
