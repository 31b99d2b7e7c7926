package store

import "github.com/discreet-crm/discreet"

// EmailWrite is one logged email as the service decided it: the email,
// the audience keys its timeline entries carry, and the audit record
// written in the same commit (PHASE_B's shared LogEmail contract).
type EmailWrite struct {
	Email discreet.Email
	// Audience is policy.EmailAudience of Email; nil has the store compute
	// it (until the service computes it and hands it over).
	Audience []string
	// Audit, when set, is the log's record (ID and At set by the caller):
	// stored in the commit that creates the email, so a log that commits
	// is audited and a retried log (the email exists) writes none.
	Audit *discreet.AuditRecord
}
