package service

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/message"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// errEmailNotFound is the one answer for an email that does not exist and
// for one the caller may not read, so the two cannot be told apart.
var errEmailNotFound = discreet.Errorf(discreet.ENotFound, "there is no logged email with this id")

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
	d, domains, err := s.decide(ctx, actor, org, us, msg.Participants, in.toggle, in.visibility)
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

// decide is policy.Decide with the caller's lists, domains and defaults
// loaded, and the matched entry's id filled in.
func (s *Service) decide(ctx context.Context, actor discreet.User, org discreet.OrgSettings, us discreet.UserSettings,
	ps []policy.Participant, toggle *bool, vis discreet.Visibility) (discreet.Decision, *policy.Domains, error) {
	domains, err := policy.NewDomains(org.InternalDomains)
	if err != nil {
		return discreet.Decision{}, nil, discreet.Wrap(err, discreet.EInternal, "the org's internal domains are not valid")
	}
	// The tombstones are read beside the Never Log List: no round trip
	// more for the decision (erasure.go).
	var erased *policy.Tombstones
	var errErased error
	erasedRead := make(chan struct{})
	go func() {
		defer close(erasedRead)
		erased, errErased = s.erased(ctx)
	}()
	defer func() { <-erasedRead }()
	view, err := s.orgNeverLog(ctx)
	if err != nil {
		return discreet.Decision{}, nil, err
	}
	personal, err := s.personalNeverLog(ctx, actor.Email, us.NeverLogVersion)
	if err != nil {
		return discreet.Decision{}, nil, err
	}
	<-erasedRead
	if errErased != nil {
		return discreet.Decision{}, nil, errErased
	}
	defLog, defVis := defaults(org, us)
	d, orgList, err := s.decideNeverLog(ctx, view, policy.Input{
		Participants:      ps,
		Toggle:            toggle,
		DefaultLog:        defLog,
		Visibility:        vis,
		DefaultVisibility: defVis,
		Internal:          domains,
		Personal:          personal.list,
		Erased:            erased,
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

// canRead is policy.CanReadEmail with the caller's access to each of the
// email's contacts loaded from the store.
func (s *Service) canRead(ctx context.Context, actor discreet.User, org discreet.OrgSettings, e discreet.Email) (bool, error) {
	return s.canReadKnowing(ctx, actor, org, nil, e)
}

// canReadKnowing is canRead with some contacts already read (known).
func (s *Service) canReadKnowing(ctx context.Context, actor discreet.User, org discreet.OrgSettings, known map[string]discreet.Contact, e discreet.Email) (bool, error) {
	var loadErr error
	seen := map[string]discreet.Access{}
	ok := policy.CanReadEmail(actor, e, org, func(addr string) discreet.Access {
		if a, ok := seen[addr]; ok {
			return a
		}
		if c, ok := known[addr]; ok {
			seen[addr] = policy.ContactAccess(actor, c, org)
			return seen[addr]
		}
		a := discreet.AccessStub
		c, err := s.store.Contact(ctx, addr)
		switch {
		case err == nil:
			a = policy.ContactAccess(actor, c, org)
		case !isNotFound(err) && loadErr == nil:
			loadErr = err
		}
		seen[addr] = a
		return a
	})
	if !ok && loadErr != nil {
		return false, loadErr // a store outage is not "you may not read it"
	}
	return ok, nil
}

// readableEmail loads an email the caller may read; not_found otherwise.
func (s *Service) readableEmail(ctx context.Context, actor discreet.User, id string) (discreet.Email, discreet.OrgSettings, error) {
	if err := requireUser(actor); err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	if id == "" {
		return discreet.Email{}, discreet.OrgSettings{}, errEmailNotFound
	}
	e, err := s.store.Email(ctx, id)
	if isNotFound(err) {
		return discreet.Email{}, discreet.OrgSettings{}, errEmailNotFound
	}
	if err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	ok, err := s.canRead(ctx, actor, org, e)
	if err != nil {
		return discreet.Email{}, discreet.OrgSettings{}, err
	}
	if !ok {
		return discreet.Email{}, discreet.OrgSettings{}, errEmailNotFound
	}
	return e, org, nil
}

// manageableEmail loads an email for a change. Admins manage every email,
// so they get it whether or not they may read it (readable says which);
// anyone else gets only emails they may read, not_found otherwise.
func (s *Service) manageableEmail(ctx context.Context, actor discreet.User, id string) (discreet.Email, bool, error) {
	if actor.Role != discreet.RoleAdmin {
		e, _, err := s.readableEmail(ctx, actor, id)
		return e, err == nil, err
	}
	if err := requireUser(actor); err != nil {
		return discreet.Email{}, false, err
	}
	e, err := s.store.Email(ctx, id)
	if isNotFound(err) || id == "" {
		return discreet.Email{}, false, errEmailNotFound
	}
	if err != nil {
		return discreet.Email{}, false, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return discreet.Email{}, false, err
	}
	readable, err := s.canRead(ctx, actor, org, e)
	return e, readable, err
}

// Email returns a logged email the caller may read; not_found otherwise.
// Reads of private and team emails by non-owners are audited.
func (s *Service) Email(ctx context.Context, actor discreet.User, id string) (EmailView, error) {
	e, _, err := s.readableEmail(ctx, actor, id)
	if err != nil {
		return EmailView{}, err
	}
	if err := s.auditRead(ctx, actor, e, "email"); err != nil {
		return EmailView{}, err
	}
	return s.emailView(ctx, s.names(), actor, e, true), nil
}

func (s *Service) emailView(ctx context.Context, n *names, actor discreet.User, e discreet.Email, withBody bool) EmailView {
	if !withBody {
		e.Body = ""
	}
	return EmailView{Email: e, Uploaded: e.Uploaded(), OwnerName: n.user(ctx, e.Owner), CanManage: policy.CanManageEmail(actor, e)}
}

// SetVisibility changes an email's visibility (owner, admin).
func (s *Service) SetVisibility(ctx context.Context, actor discreet.User, id string, v discreet.Visibility) (EmailView, error) {
	if !v.Valid() {
		return EmailView{}, discreet.FieldError("visibility", "must be private, team or public")
	}
	e, readable, err := s.manageableEmail(ctx, actor, id)
	if err != nil {
		return EmailView{}, err
	}
	if !policy.CanManageEmail(actor, e) {
		return EmailView{}, discreet.Errorf(discreet.EPermission, "only the owner of this email or an admin may change its visibility")
	}
	if !readable {
		// Widening a private email would let the admin read what the org
		// said admins may not (adminsReadPrivate is off).
		return EmailView{}, discreet.Errorf(discreet.EPermission, "this email is private: admins may change its visibility only when adminsReadPrivate is on; they may unlog it")
	}
	if e.Visibility != v {
		prev := e.Visibility
		if e, err = s.store.SetVisibility(ctx, id, v); err != nil {
			return EmailView{}, err
		}
		if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditVisibility, EmailID: e.ID, EmailOwner: e.Owner,
			Detail: map[string]string{"from": string(prev), "to": string(v)}}); err != nil {
			return EmailView{}, err
		}
	}
	return s.emailView(ctx, s.names(), actor, e, true), nil
}

// Unlog deletes a logged email (owner, admin).
func (s *Service) Unlog(ctx context.Context, actor discreet.User, id string) error {
	e, _, err := s.manageableEmail(ctx, actor, id)
	if err != nil {
		return err
	}
	if !policy.CanManageEmail(actor, e) {
		return discreet.Errorf(discreet.EPermission, "only the owner of this email or an admin may unlog it")
	}
	if err := s.store.DeleteEmail(ctx, id); err != nil && !isNotFound(err) {
		return err
	}
	return s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditUnlog, EmailID: e.ID, EmailOwner: e.Owner})
}

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
	d, domains, err := s.decide(ctx, actor, org, us, ps, nil, "")
	if err != nil {
		return ComposeState{}, err
	}
	defLog, defVis := defaults(org, us)
	st := ComposeState{Log: defLog, Visibility: defVis, Contacts: []ContactView{}}
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
		st.Contacts = append(st.Contacts, n.contactView(ctx, actor, c, policy.ContactAccess(actor, c, org)))
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
	vis := req.Visibility
	if vis == "" {
		org, err := s.store.OrgSettings(ctx)
		if err != nil {
			return IntentResult{}, err
		}
		_, vis = defaults(org, us)
	}
	if !vis.Valid() {
		return IntentResult{}, discreet.FieldError("visibility", "must be private, team or public")
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
