package firestore

import (
	"context"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// emailDoc is emails/{id}, and without body, participants and match terms
// the summary a timeline entry carries.
type emailDoc struct {
	ID             string   `firestore:"id"`
	MessageID      string   `firestore:"messageId"`
	GmailMessageID string   `firestore:"gmailMessageId"`
	ThreadID       string   `firestore:"threadId"`
	Subject        string   `firestore:"subject"`
	From           string   `firestore:"from"`
	To             []string `firestore:"to"`
	Cc             []string `firestore:"cc"`
	Date           string   `firestore:"date"`
	Direction      string   `firestore:"direction"`
	Snippet        string   `firestore:"snippet"`
	Body           string   `firestore:"body,omitempty"`
	Owner          string   `firestore:"owner"`
	Team           string   `firestore:"team"`
	Visibility     string   `firestore:"visibility"`
	Contacts       []string `firestore:"contacts"`
	Internal       []string `firestore:"internal"`
	Participants   []string `firestore:"participants,omitempty"`
	Lenient        []string `firestore:"lenient,omitempty"`
	Source         string   `firestore:"source"`
	LoggedAt       string   `firestore:"loggedAt"`
	SortKey        string   `firestore:"sortKey"`
	// MatchAddresses and MatchDomains are policy.EmailIndexKeys: every
	// address key the email has (participants, contacts, colleagues, owner,
	// lenient keys) and every domain suffix of them. A Never Log entry finds
	// the emails it covers with one array-contains query. Documents written
	// before lenient keys existed hold the same keys for the same fields.
	MatchAddresses []string `firestore:"matchAddresses,omitempty"`
	MatchDomains   []string `firestore:"matchDomains,omitempty"`
	// Shares are the email's shares (access.go), kept in the summary too:
	// a timeline page decides whether each is in force without another
	// read. ShareExpiry is their soonest expiry ("" none), for the sweep.
	Shares      []shareDoc `firestore:"shares,omitempty"`
	ShareExpiry string     `firestore:"shareExpiry,omitempty"`
}

func toEmailDoc(e discreet.Email) emailDoc {
	d := emailDoc{
		ID: e.ID, MessageID: e.MessageID, GmailMessageID: e.GmailMessageID, ThreadID: e.ThreadID,
		Subject: e.Subject, From: e.From, To: e.To, Cc: e.Cc, Date: ts(e.Date),
		Direction: string(e.Direction), Snippet: e.Snippet, Body: e.Body,
		Owner: e.Owner, Team: e.Team, Visibility: string(e.Visibility),
		Contacts: e.Contacts, Internal: e.Internal, Participants: e.Participants, Lenient: e.Lenient,
		Source: string(e.Source), LoggedAt: ts(e.LoggedAt), SortKey: store.SortKey(e.Date, e.ID),
	}
	k := policy.EmailIndexKeys(e)
	d.MatchAddresses, d.MatchDomains = k.Addresses, k.Domains
	d.Shares, d.ShareExpiry = toShareDocs(e.Shares), shareExpiry(e.Shares)
	return d
}

func (d emailDoc) email() discreet.Email {
	return discreet.Email{
		ID: d.ID, MessageID: d.MessageID, GmailMessageID: d.GmailMessageID, ThreadID: d.ThreadID,
		Subject: d.Subject, From: d.From, To: d.To, Cc: d.Cc, Date: parseTS(d.Date),
		Direction: discreet.Direction(d.Direction), Snippet: d.Snippet, Body: d.Body,
		Owner: d.Owner, Team: d.Team, Visibility: discreet.Visibility(d.Visibility),
		Contacts: d.Contacts, Internal: d.Internal, Participants: d.Participants, Lenient: d.Lenient,
		Source: discreet.Source(d.Source), LoggedAt: parseTS(d.LoggedAt), Shares: fromShareDocs(d.Shares),
	}
}

// summary is what a timeline page shows of an email: no body (up to the
// org's size cap, and a page reads tens of entries), no purge terms.
func (d emailDoc) summary() emailDoc {
	d.Body, d.Participants, d.Lenient, d.MatchAddresses, d.MatchDomains = "", nil, nil, nil, nil
	return d
}

// timelineDoc is contacts/{contact}/timeline/{emailID}: one entry, with
// what a page needs so that a page of N reads N documents.
type timelineDoc struct {
	EmailID string `firestore:"emailId"`
	SortKey string `firestore:"sortKey"`
	Date    string `firestore:"date"`
	Owner   string `firestore:"owner"`
	// Audience is policy.EmailAudience of the email; a viewer reads the
	// entry when it shares a key with theirs (array-contains-any).
	Audience []string `firestore:"audience"`
	Summary  emailDoc `firestore:"summary"`
}

func newTimelineDoc(e discreet.Email, d emailDoc, audience []string) timelineDoc {
	return timelineDoc{
		EmailID: e.ID, SortKey: d.SortKey, Date: d.Date, Owner: e.Owner,
		Audience: audience, Summary: d.summary(),
	}
}

func (s *Store) emailRef(id string) (*firestore.DocumentRef, error) {
	did, err := docID("id", id)
	if err != nil {
		return nil, err
	}
	return s.c.Collection(colEmails).Doc(did), nil
}

func (s *Store) timelineRef(contact, emailID string) *firestore.DocumentRef {
	return s.c.Collection(colContacts).Doc(mustDocID(contact)).Collection(colTimeline).Doc(mustDocID(emailID))
}

func unique(l []string) []string {
	seen := make(map[string]bool, len(l))
	out := make([]string, 0, len(l))
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// LogEmail stores a new email without a read-write transaction:
//
//  1. read emails/{id}: an email logged before is returned as it is;
//  2. read the contacts (outside any transaction);
//  3. commit atomically: Create emails/{id}, Create each missing contact
//     (owner e.Owner, team e.Team), Create one timeline entry per contact,
//     and Create audit/{w.Audit.ID}. An existing contact is not written:
//     its count of emails is computed when needed (a bounded COUNT, see
//     Timeline), so a contact on every email (a shared alias) is no
//     document every log writes;
//  4. make sure the contacts it found still exist (ensureContacts).
//
// Create's precondition makes the commit fail with AlreadyExists when the
// email or a contact appeared since the reads. If the email did, it is
// returned (created=false): of concurrent loggers of one email exactly one
// commits, with its audit record, and its owner owns the new contacts. If
// only a contact did, another email created it, and the steps run again.
//
// A read-write transaction would be the textbook shape, but Firestore locks
// what a transaction reads: fifty loggers of one email, or loggers of
// emails to one busy contact, wait on each other's locks and retry with
// back-off (on the emulator the first commit took over a minute).
func (s *Store) LogEmail(ctx context.Context, w store.EmailWrite) (discreet.Email, bool, error) {
	e := w.Email
	if !e.Visibility.Valid() {
		return e, false, discreet.FieldError("visibility", "must be private, team or public")
	}
	if err := store.CheckAudience(w.Audience); err != nil {
		return e, false, err
	}
	ref, err := s.emailRef(e.ID)
	if err != nil {
		return e, false, err
	}
	var auditRef *firestore.DocumentRef
	if w.Audit != nil {
		id, err := docID("audit.id", w.Audit.ID)
		if err != nil {
			return e, false, err
		}
		auditRef = s.c.Collection(colAudit).Doc(id)
	}
	// A document holds 1 MiB: the body is cut, with a marker, well below.
	e.Body = store.TruncateBody(e.Body, store.MaxBodyBytes)
	contacts := unique(e.Contacts)
	if 2+2*len(contacts) > maxWrites {
		return e, false, discreet.Errorf(discreet.ETooLarge, "an email can land on at most %d contacts", (maxWrites-2)/2)
	}
	contactRefs := make([]*firestore.DocumentRef, len(contacts))
	for i, c := range contacts {
		if contactRefs[i], err = s.contactRef(c); err != nil {
			return e, false, err
		}
	}
	createdAt := e.LoggedAt
	if createdAt.IsZero() {
		createdAt = time.Now()
	}
	doc := toEmailDoc(e)
	entry := newTimelineDoc(e, doc, w.Audience)

	for attempt := 0; ; attempt++ {
		if stored, err := s.Email(ctx, e.ID); err == nil {
			return stored, false, s.ensureContacts(ctx, stored, createdAt)
		} else if discreet.ErrorCode(err) != discreet.ENotFound {
			return e, false, err
		}
		snaps, err := s.c.GetAll(ctx, contactRefs)
		if err != nil {
			return e, false, wrap(err, "cannot read the email's contacts")
		}
		err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
			if err := tx.Create(ref, doc); err != nil {
				return err
			}
			for i, c := range contacts {
				if !snaps[i].Exists() {
					if err := tx.Create(contactRefs[i], newContactDoc(c, e.Owner, e.Team, ts(createdAt))); err != nil {
						return err
					}
				}
				if err := tx.Create(s.timelineRef(c, e.ID), entry); err != nil {
					return err
				}
			}
			if auditRef != nil {
				return tx.Create(auditRef, newAuditDoc(*w.Audit))
			}
			return nil
		})
		if err == nil {
			return e, true, s.ensureContacts(ctx, e, createdAt)
		}
		// NotFound: a purge deleted a contact, left with no email, since
		// it was read; the next round creates it again.
		if c := status.Code(err); c != codes.AlreadyExists && c != codes.NotFound || attempt == maxTxAttempts {
			return e, false, wrap(err, "cannot log the email")
		}
		if auditRef != nil {
			// Not the email nor a contact but the audit id: a caller's bug
			// that no retry mends.
			if _, err := s.Email(ctx, e.ID); discreet.ErrorCode(err) == discreet.ENotFound {
				if _, aerr := auditRef.Get(ctx); aerr == nil {
					return e, false, discreet.Errorf(discreet.EConflict, "the log's audit record id %q is taken", w.Audit.ID)
				}
			}
		}
	}
}

// ensureContacts creates any contact of e that does not exist (owned by
// e's owner) while e does. A purge deletes a contact it leaves without
// emails; one that ran between LogEmail's read of the contacts and its
// commit would leave e on the timeline of a contact that is gone. The
// repair is a transaction that reads e: a purge deleting e (and the
// contact with it) either commits first, and nothing is created, or waits
// for the contact to exist and then sees it emptied. It runs only when a
// contact is missing; otherwise ensureContacts costs a read per contact.
func (s *Store) ensureContacts(ctx context.Context, e discreet.Email, createdAt time.Time) error {
	contacts := unique(e.Contacts)
	refs := make([]*firestore.DocumentRef, len(contacts))
	for i, c := range contacts {
		ref, err := s.contactRef(c)
		if err != nil {
			return err
		}
		refs[i] = ref
	}
	snaps, err := s.c.GetAll(ctx, refs)
	if err != nil {
		return wrap(err, "cannot read the email's contacts")
	}
	var missing []int
	for i, snap := range snaps {
		if !snap.Exists() {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	ref, err := s.emailRef(e.ID)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		if _, err := getEmail(tx, ref); err != nil {
			if discreet.ErrorCode(err) == discreet.ENotFound {
				return nil // purged meanwhile: so are its contacts
			}
			return err
		}
		now, err := tx.GetAll(refs)
		if err != nil {
			return err
		}
		for _, i := range missing {
			if !now[i].Exists() {
				if err := tx.Create(refs[i], newContactDoc(contacts[i], e.Owner, e.Team, ts(createdAt))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return wrap(err, "cannot restore the email's contact")
}

func (s *Store) Email(ctx context.Context, id string) (discreet.Email, error) {
	ref, err := s.emailRef(id)
	if err != nil {
		return discreet.Email{}, err
	}
	d, err := getDoc[emailDoc](ctx, ref, "email")
	if err != nil {
		return discreet.Email{}, err
	}
	return d.email(), nil
}

// getEmail reads an email inside a transaction; not_found when absent.
func getEmail(tx *firestore.Transaction, ref *firestore.DocumentRef) (emailDoc, error) {
	return txDoc[emailDoc](tx, ref, "email")
}

// SetVisibility rewrites the email and every timeline entry of it, with
// the new audience keys, in one transaction.
func (s *Store) SetVisibility(ctx context.Context, id string, v discreet.Visibility, audienceOf store.Audience) (discreet.Email, error) {
	if !v.Valid() {
		return discreet.Email{}, discreet.FieldError("visibility", "must be private, team or public")
	}
	return s.rewriteEmail(ctx, id, audienceOf, "cannot change the email's visibility",
		func(e *discreet.Email) (email, entry []firestore.Update, ok bool, err error) {
			e.Visibility = v
			return []firestore.Update{{Path: "visibility", Value: string(v)}},
				[]firestore.Update{{Path: "summary.visibility", Value: string(v)}}, true, nil
		})
}

// rewriteEmail changes an email and every timeline entry of it in one
// transaction, their audience recomputed with audienceOf: change edits e
// and gives the updates of the email's document and of each entry (beside
// the audience), or ok false when there is nothing to change. what names
// a failure.
func (s *Store) rewriteEmail(ctx context.Context, id string, audienceOf store.Audience, what string,
	change func(e *discreet.Email) (email, entry []firestore.Update, ok bool, err error)) (discreet.Email, error) {
	if audienceOf == nil {
		return discreet.Email{}, store.CheckAudience(nil)
	}
	ref, err := s.emailRef(id)
	if err != nil {
		return discreet.Email{}, err
	}
	var e discreet.Email
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		d, err := getEmail(tx, ref)
		if err != nil {
			return err
		}
		e = d.email()
		email, entry, ok, err := change(&e)
		if err != nil || !ok {
			return err
		}
		audience := audienceOf(e)
		if err := store.CheckAudience(audience); err != nil {
			return err
		}
		if err := tx.Update(ref, email); err != nil {
			return err
		}
		entry = append(entry, firestore.Update{Path: "audience", Value: audience})
		for _, c := range unique(e.Contacts) {
			if err := tx.Update(s.timelineRef(c, e.ID), entry); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return discreet.Email{}, wrap(err, what)
	}
	return e, nil
}

func (s *Store) DeleteEmail(ctx context.Context, id string) error {
	ref, err := s.emailRef(id)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		d, err := getEmail(tx, ref)
		if err != nil {
			return err
		}
		return s.deleteEmails(tx, []emailDoc{d}, nil)
	})
	return wrap(err, "cannot delete the email")
}

// deleteEmails deletes emails and their timeline entries inside tx. A
// contact in drop, one the transaction found left with no email, is
// deleted too.
func (s *Store) deleteEmails(tx *firestore.Transaction, docs []emailDoc, drop map[string]bool) error {
	dropped := map[string]bool{}
	for _, d := range docs {
		ref, err := s.emailRef(d.ID)
		if err != nil {
			return err
		}
		if err := tx.Delete(ref); err != nil {
			return err
		}
		for _, c := range unique(d.Contacts) {
			if err := tx.Delete(s.timelineRef(c, d.ID)); err != nil {
				return err
			}
			if drop[c] && !dropped[c] {
				dropped[c] = true
				cr, err := s.contactRef(c)
				if err != nil {
					return err
				}
				if err := tx.Delete(cr); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// emptied reads, inside tx and before any write, the timelines of docs'
// contacts and returns the contacts the deletion of docs leaves with no
// email. Contacts keep no counter (a hot document on a shared alias), so it
// reads at most one entry more than docs put on each contact.
func (s *Store) emptied(tx *firestore.Transaction, docs []emailDoc) (map[string]bool, error) {
	going := map[string]map[string]bool{}
	var order []string
	for _, d := range docs {
		for _, c := range unique(d.Contacts) {
			if going[c] == nil {
				going[c] = map[string]bool{}
				order = append(order, c)
			}
			going[c][mustDocID(d.ID)] = true
		}
	}
	drop := map[string]bool{}
	for _, c := range order {
		cr, err := s.contactRef(c)
		if err != nil {
			return nil, err
		}
		snaps, err := tx.Documents(cr.Collection(colTimeline).Select().Limit(len(going[c]) + 1)).GetAll()
		if err != nil {
			return nil, err
		}
		left := false
		for _, snap := range snaps {
			if !going[c][snap.Ref.ID] {
				left = true
				break
			}
		}
		if !left {
			drop[c] = true
		}
	}
	return drop, nil
}

// deleteWrites is how many writes deleteEmails makes for docs.
func deleteWrites(docs []emailDoc) int {
	n := 0
	contacts := map[string]bool{}
	for _, d := range docs {
		for _, c := range unique(d.Contacts) {
			contacts[c] = true
		}
		n += 1 + len(unique(d.Contacts))
	}
	// Each contact the deletion leaves empty is deleted too.
	return n + len(contacts)
}
