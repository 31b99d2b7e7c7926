package store

import (
	"slices"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
)

// EmailWrite is one logged email as the service decided it: the email,
// the audience keys its timeline entries carry, and the audit record
// written in the same commit (PHASE_B's shared LogEmail contract).
type EmailWrite struct {
	Email discreet.Email
	// Audience is policy.EmailAudience of Email, computed by the service:
	// who may read an email is no store's decision. Required.
	Audience []string
	// Audit, when set, is the log's record (ID and At set by the caller):
	// stored in the commit that creates the email, so a log that commits
	// is audited and a retried log (the email exists) writes none.
	Audit *discreet.AuditRecord
	// KeyedID says Email.ID is policy.EmailID of the email's identity,
	// never a legacy id (LegacyIDs). Only the service, which derives the
	// id, sets it; an email written without it may be under a legacy id,
	// and the store then answers MayHoldLegacyIDs with true.
	KeyedID bool
}

// Audience gives the audience keys of an email as it stands: the service
// passes policy.EmailAudience. SetVisibility applies it to the record it
// changes, inside its transaction, so the keys always belong to that
// record even when the email was deleted and logged again by someone
// else since the service read it.
type Audience func(discreet.Email) []string

// CheckAudience refuses a write without audience keys: every email is
// visible to someone (its owner), so none means the caller forgot them,
// and a store must not guess who may read an email. Keys without the one
// every email carries (policy.CarriedByEveryEmail) are refused too, so a
// store may answer that key from the timeline itself.
func CheckAudience(keys []string) error {
	if len(keys) == 0 {
		return discreet.FieldError("audience", "is required (policy.EmailAudience, computed by the service)")
	}
	if !slices.ContainsFunc(keys, policy.CarriedByEveryEmail) {
		return discreet.FieldError("audience", "must hold the key every email carries (policy.EmailAudience, computed by the service)")
	}
	return nil
}
