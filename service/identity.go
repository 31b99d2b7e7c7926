package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/message"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// emailIDKey caches the store's email-id key. The store makes it once and
// never changes it, so one read per instance serves for good; a failed
// read is retried on the next call.
type emailIDKey struct {
	mu  sync.Mutex
	key []byte
}

func (s *Service) emailIDKey(ctx context.Context) ([]byte, error) {
	c := &s.idKey
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key == nil {
		key, err := s.store.EmailIDKey(ctx)
		if err != nil {
			return nil, err
		}
		c.key = key
	}
	return c.key, nil
}

// identity is how one message is found among logged emails.
type identity struct {
	key    string // policy.IdentityKey: Message-ID and content fingerprint
	id     string // the store id of key
	secret []byte
	// legacyID is where the message would have been stored before content
	// fingerprints; legacy is what that record must hold to be this email.
	legacyID string
	legacy   policy.LegacyContent
}

// ownID is the id of actor's own record of the email (policy.OwnCopyKey).
func (id identity) ownID(actor string) string {
	return policy.EmailID(id.secret, policy.OwnCopyKey(id.key, actor))
}

// identify computes msg's identity. gmailID is the Gmail message id the
// server fetched it by ("" for uploaded bytes), raw the message itself.
func (s *Service) identify(ctx context.Context, msg *message.Message, gmailID string, raw []byte) (identity, error) {
	secret, err := s.emailIDKey(ctx)
	if err != nil {
		return identity{}, err
	}
	key := policy.IdentityKey(msg.MessageID, gmailID, msg.Content().Fingerprint())
	legacyGmailID := gmailID
	if msg.MessageID == "" && gmailID == "" {
		// Before fingerprints the content was the identity of a message
		// with neither id.
		sum := sha256.Sum256(raw)
		legacyGmailID = "sha256:" + hex.EncodeToString(sum[:])
	}
	return identity{
		key: key, id: policy.EmailID(secret, key), secret: secret,
		legacyID: policy.LegacyEmailID(msg.MessageID, legacyGmailID), legacy: msg.LegacyContent(),
	}, nil
}

// legacyCopy returns the email stored under the legacy id when it holds
// this message's content; a record there with other content is another
// email that reused the Message-ID.
func (s *Service) legacyCopy(ctx context.Context, id identity) (discreet.Email, bool, error) {
	// A store that proves it holds no email under a legacy id spares the
	// read (store.LegacyIDs): a log then costs one read less.
	if may, err := s.store.MayHoldLegacyIDs(ctx); err != nil || !may {
		return discreet.Email{}, false, err
	}
	e, err := s.store.Email(ctx, id.legacyID)
	if isNotFound(err) {
		return discreet.Email{}, false, nil
	}
	if err != nil {
		return discreet.Email{}, false, err
	}
	return e, policy.SameAsLegacy(e, id.legacy), nil
}

// logOnce stores e as the email id names, or returns the record that
// already holds it, with created saying which.
//
// The record is the one logged first with the same Message-ID and content
// (a legacy one included). When the caller may not read that record, they
// get a record of their own instead (id.ownID), created like any first
// log: answering already_logged, or anything else that differs from a
// first log, would tell them that an email they may not read exists. Ids
// are keyed hashes (policy.EmailID), so the caller cannot tell their own
// record's id from the one a first log would have had either. Only
// callers who are not internal participants of that record get here
// (colleagues in From, To and Cc, part of the content, are internal
// participants of every record of it): a colleague named only in Bcc,
// Reply-To, Sender or a Resent- field, say of a forged copy, or a user
// provisioned outside the internal domains. Their record holds what they
// uploaded or Gmail gave them and never widens who reads the first one.
func (s *Service) logOnce(ctx context.Context, actor discreet.User, org discreet.OrgSettings, e discreet.Email, id identity) (discreet.Email, bool, error) {
	stored, found, err := s.legacyCopy(ctx, id)
	if err != nil {
		return discreet.Email{}, false, err
	}
	if !found {
		var created bool
		if stored, created, err = s.store.LogEmail(ctx, s.emailWrite(actor, e, id.id)); err != nil || created {
			return stored, created, err
		}
	}
	ok, err := s.canRead(ctx, actor, org, stored)
	if err != nil || ok {
		return stored, false, err
	}
	return s.store.LogEmail(ctx, s.emailWrite(actor, e, id.ownID(actor.Email)))
}

// emailWrite is e stored as id, with its audience keys and the record
// that audits its log: written in the email's own commit, so a retried log
// (the email exists) writes none and a committed one always has it.
func (s *Service) emailWrite(actor discreet.User, e discreet.Email, id string) store.EmailWrite {
	e.ID = id
	return store.EmailWrite{Email: e, Audience: policy.EmailAudience(e), KeyedID: true, Audit: &discreet.AuditRecord{
		ID: s.cfg.NewID(), At: s.now(), Actor: actor.Email, Action: discreet.AuditLog, EmailID: id, EmailOwner: e.Owner,
		Detail: map[string]string{"visibility": string(e.Visibility), "source": string(e.Source)},
	}}
}

// LoggedCopy returns the logged email that raw (fetched from Gmail as
// gmailMessageID, or "" for uploaded bytes) is a copy of, as the caller
// sees it: the record LogEmail would answer already_logged with. It is
// not_found when none is logged or the caller may read none, alike. Reads
// of private and team emails by non-owners are audited.
func (s *Service) LoggedCopy(ctx context.Context, actor discreet.User, raw []byte, gmailMessageID string) (EmailView, error) {
	if err := requireUser(actor); err != nil {
		return EmailView{}, err
	}
	org, err := s.store.OrgSettings(ctx)
	if err != nil {
		return EmailView{}, err
	}
	msg, err := parse(raw)
	if err != nil {
		return EmailView{}, err
	}
	id, err := s.identify(ctx, msg, gmailMessageID, raw)
	if err != nil {
		return EmailView{}, err
	}
	// The record LogEmail would meet first (a legacy one or the one under
	// id.id), then the caller's own, as logOnce tries them.
	e, found, err := s.legacyCopy(ctx, id)
	if err == nil && !found {
		e, found, err = s.maybeEmail(ctx, id.id)
	}
	if err != nil {
		return EmailView{}, err
	}
	g, err := s.grantsOf(ctx, actor)
	if err != nil {
		return EmailView{}, err
	}
	for _, next := range []string{"", id.ownID(actor.Email)} {
		if next != "" {
			if e, found, err = s.maybeEmail(ctx, next); err != nil {
				return EmailView{}, err
			}
		}
		if !found {
			continue
		}
		v, ok, err := s.readableCopy(ctx, s.names(), actor, org, nil, g, e)
		if err != nil || ok {
			return v, err
		}
	}
	return EmailView{}, errEmailNotFound
}

// maybeEmail loads a stored email; found is false when there is none.
func (s *Service) maybeEmail(ctx context.Context, id string) (discreet.Email, bool, error) {
	e, err := s.store.Email(ctx, id)
	if isNotFound(err) {
		return discreet.Email{}, false, nil
	}
	return e, err == nil, err
}
