package service

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/policy/sensitive"
)

// maxComposeRecipients bounds one compose card's recipients.
const maxComposeRecipients = 500

// maxComposeContacts bounds the contacts a compose card looks up.
const maxComposeContacts = 50

// ComposeState tells the compose card the Log default for these
// recipients and the first Never Log match.
func (s *Service) ComposeState(ctx context.Context, actor discreet.User, recipients []string) (ComposeState, error) {
	if err := requireUser(actor); err != nil {
		return ComposeState{}, err
	}
	if len(recipients) > maxComposeRecipients {
		return ComposeState{}, discreet.FieldError("recipients", "at most %d recipients", maxComposeRecipients)
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return ComposeState{}, err
	}
	us, err := s.store.UserSettings(ctx, actor.Email)
	if err != nil {
		return ComposeState{}, err
	}
	ps := []policy.Participant{{Field: "from", Raw: actor.Email, Address: actor.Email}}
	given := []string{actor.Email} // the recipient text each participant came from
	for _, r := range recipients {
		for _, p := range policy.ParseAddressList("to", r) {
			ps, given = append(ps, p), append(given, r)
		}
	}
	// Log on, as the card would send it: the decision then says whether
	// a protected recipient makes the email private. A draft's text is
	// not sent to the add-on (draftAccess METADATA): the rules read it
	// when the sent message is captured.
	// The org's lists (for the decision) and the caller's grants (a contact
	// grant shows the contact in full here too) at once; the lists carry
	// the protected set the contacts' access needs.
	var (
		lists      orgLists
		g          policy.Grants
		lerr, gerr error
	)
	parallel(
		func() { lists, lerr = s.readOrgLists(ctx) },
		func() { g, gerr = s.heldGrants(ctx, actor) },
	)
	if err := errors.Join(lerr, gerr); err != nil {
		return ComposeState{}, err
	}
	g.Protected = lists.prot
	yes := true
	d, domains, err := s.decide(ctx, actor, org, us, ps, &yes, "", sensitive.Message{}, &lists)
	if err != nil {
		return ComposeState{}, err
	}
	defLog, _ := defaults(org, us)
	choices := visibilityChoices(actor, org, us)
	st := ComposeState{Log: defLog, Visibility: choices.Default, Choices: choices, Contacts: []ContactView{}, Rules: s.composeRules()}
	if d.VisibilityForced != "" {
		st.Visibility, st.Choices.Allowed, st.Choices.Forced, st.Choices.Protected = d.Visibility, []discreet.Visibility{d.Visibility}, d.VisibilityForced, d.Protected
	}
	if d.Reason == discreet.ReasonNeverLogList {
		st.Log = false
		raw := d.Address
		if i := slices.IndexFunc(ps, func(p policy.Participant) bool {
			return p.Address == d.Address || p.Address == "" && slices.Contains(p.Lenient, d.Address)
		}); i >= 0 {
			raw = given[i]
		}
		st.Blocked = &CheckResult{Address: raw, Normalized: d.Address, Blocked: true, Entry: d.Entry, EntryID: d.EntryID, List: d.List}
	}
	n := s.names()
	var seen []string
	for _, p := range ps[1:] {
		if p.Err != nil || p.Address == "" || domains.Covers(p.Address) || slices.Contains(seen, p.Address) {
			continue
		}
		if seen = append(seen, p.Address); len(seen) > maxComposeContacts {
			break
		}
		c, err := s.store.Contact(ctx, p.Address)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return ComposeState{}, err
		}
		st.Contacts = append(st.Contacts, n.contactView(ctx, actor, c, policy.ContactAccessWith(actor, c, org, g)))
	}
	return st, nil
}

// intentLifetime is how long a compose choice waits for its sent message.
const intentLifetime = 24 * time.Hour

const maxSubjectLen = 2000

// PutIntent stores a compose choice for the sent-mail capture. A
// recipient on a Never Log List answers as the compose card does: the
// intent is kept with Log off (the List beats the switch) and Blocked names
// the recipient and the entry.
func (s *Service) PutIntent(ctx context.Context, actor discreet.User, req IntentRequest) (IntentResult, error) {
	if err := requireUser(actor); err != nil {
		return IntentResult{}, err
	}
	var ps []policy.Participant
	var given, fields []string // per participant: the recipient text and its field
	var bad error
	for _, f := range []struct {
		name  string
		addrs []string
	}{{"to", req.To}, {"cc", req.Cc}, {"bcc", req.Bcc}} {
		if len(ps)+len(f.addrs) > maxComposeRecipients {
			return IntentResult{}, discreet.FieldError("to", "at most %d recipients", maxComposeRecipients)
		}
		for _, a := range f.addrs {
			got := policy.ParseAddressList(f.name, a)
			if len(got) == 0 && bad == nil {
				bad = discreet.FieldError(f.name, "%q holds no address", a)
			}
			for _, p := range got {
				ps, given, fields = append(ps, p), append(given, a), append(fields, f.name)
			}
		}
	}
	if len(ps) > maxComposeRecipients {
		return IntentResult{}, discreet.FieldError("to", "at most %d recipients", maxComposeRecipients)
	}
	// The List is asked before any recipient is refused as malformed: a
	// listed address in an odd spelling is a block, not a typo.
	org, err := s.exactOrgNeverLog(ctx)
	if err != nil {
		return IntentResult{}, err
	}
	us, err := s.store.UserSettings(ctx, actor.Email)
	if err != nil {
		return IntentResult{}, err
	}
	personal, err := s.personalNeverLog(ctx, actor.Email, us.NeverLogVersion)
	if err != nil {
		return IntentResult{}, err
	}
	m, entry, isBlocked := blocked(org, personal, ps)
	var recipients []string
	for i, p := range ps {
		switch {
		case p.Address != "":
			recipients = append(recipients, p.Address)
		case !isBlocked && bad == nil:
			bad = discreet.FieldError(fields[i], "%v", p.Err)
		}
	}
	if bad != nil && !isBlocked {
		return IntentResult{}, bad
	}
	if len(recipients) == 0 && !isBlocked {
		return IntentResult{}, discreet.FieldError("to", "name at least one recipient")
	}
	slices.Sort(recipients)
	recipients = slices.Compact(recipients)
	if recipients == nil {
		recipients = []string{} // a blocked send with no readable recipient
	}
	if len(req.Subject) > maxSubjectLen {
		return IntentResult{}, discreet.FieldError("subject", "at most %d bytes", maxSubjectLen)
	}
	if req.Visibility != "" && !req.Visibility.Valid() {
		return IntentResult{}, discreet.FieldError("visibility", "must be private, team or public")
	}
	orgSettings, err := s.store.OrgSettings(ctx)
	if err != nil {
		return IntentResult{}, err
	}
	vis, err := s.chosenVisibility(actor, orgSettings, us, req.Visibility, true)
	if err != nil {
		return IntentResult{}, err
	}
	now := s.now()
	in := discreet.Intent{
		ID:         s.cfg.NewID(),
		User:       actor.Email,
		Recipients: recipients,
		Subject:    req.Subject,
		Log:        req.Log,
		Visibility: vis,
		CreatedAt:  now,
		ExpiresAt:  now.Add(intentLifetime),
	}
	res := IntentResult{Intent: in}
	if isBlocked {
		res.Log = false
		res.Blocked = &CheckResult{Address: given[m.Participant], Normalized: m.Key, Blocked: true, Entry: entry.Pattern, EntryID: entry.ID, List: m.List}
	}
	if err := s.store.PutIntent(ctx, res.Intent); err != nil {
		return IntentResult{}, err
	}
	return res, nil
}
