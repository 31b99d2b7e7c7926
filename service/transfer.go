package service

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
)

// Custodian transfer (PRODUCT.md, "Access requests and sharing"): when a
// rep leaves, an admin names a colleague, and a job moves the rep's
// contacts and emails to them. Each email keeps its visibility and its
// team, and each contact its team, so nobody but the custodian gains
// anything: team members read what they read before, and the former
// owner keeps only what any participant keeps (the emails they were on as
// an internal participant: policy.EmailAudience gives them that key). The
// owner change recomputes each email's audience keys in the store's
// transaction that changes it (store.SetEmailOwner).

// JobTransfer is the job kind of a custodian transfer.
const JobTransfer = "user.transfer"

// transferBatch bounds one transfer step.
const transferBatch = 100

// TransferRequest is the body of POST /v1/users/{email}:transfer.
type TransferRequest struct {
	To string `json:"to"`
}

type transferParams struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// transferCheckpoint: phase 1 moves contacts, 2 emails, 3 audits. Each
// phase lists what the former owner still owns, so a phase run again, or
// a second transfer, finds only what is left.
type transferCheckpoint struct {
	Phase int `json:"phase"`
	// After is the listing's position in the phase: a contact or email
	// that could not move (unlogged since) is not met again.
	After    string `json:"after,omitempty"`
	Contacts int    `json:"contacts"`
	Emails   int    `json:"emails"`
}

type transferReport struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Contacts int    `json:"contacts"`
	Emails   int    `json:"emails"`
}

// TransferUser starts the custodian transfer of user from's contacts and
// emails to req.To (admin). Both must be users and differ. Running it
// again is harmless: the job finds nothing left to move.
func (s *Service) TransferUser(ctx context.Context, actor discreet.User, from string, req TransferRequest) (JobView, error) {
	if err := requireAdmin(actor, "transfer a user's contacts and emails"); err != nil {
		return JobView{}, err
	}
	fromAddr, err := policy.NormalizeAddress(from)
	if err != nil {
		return JobView{}, discreet.FieldError("email", "%v", err)
	}
	toAddr, err := policy.NormalizeAddress(req.To)
	if err != nil {
		return JobView{}, discreet.FieldError("to", "%v", err)
	}
	if fromAddr == toAddr {
		return JobView{}, discreet.FieldError("to", "name a colleague other than %s", fromAddr)
	}
	if _, err := s.store.User(ctx, fromAddr); isNotFound(err) {
		return JobView{}, discreet.Errorf(discreet.ENotFound, "there is no user %s", fromAddr)
	} else if err != nil {
		return JobView{}, err
	}
	if _, err := s.store.User(ctx, toAddr); isNotFound(err) {
		return JobView{}, discreet.FieldError("to", "there is no user %s", toAddr)
	} else if err != nil {
		return JobView{}, err
	}
	j, err := s.startJob(ctx, actor, JobTransfer, transferParams{From: fromAddr, To: toAddr},
		transferReport{From: fromAddr, To: toAddr}, 0, nil)
	if err != nil {
		return JobView{}, err
	}
	if err := s.audit(ctx, discreet.AuditRecord{Actor: actor.Email, Action: discreet.AuditTransfer, Target: fromAddr,
		Detail: map[string]string{"to": toAddr, "job": j.ID, "state": "started"}}); err != nil {
		return JobView{}, err
	}
	return j, nil
}

func (s *Service) transferStep(ctx context.Context, j *store.Job) (stepNext, error) {
	var p transferParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the transfer job's parameters cannot be read")
	}
	var cp transferCheckpoint
	if len(j.Checkpoint) > 0 {
		if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
			return stepNext{}, discreet.Wrap(err, discreet.EInvalid, "the transfer job's checkpoint cannot be read")
		}
	}
	if cp.Phase == 0 {
		cp.Phase = 1
	}
	defer func() {
		j.Checkpoint, _ = json.Marshal(cp)
		j.Report, _ = json.Marshal(transferReport{From: p.From, To: p.To, Contacts: cp.Contacts, Emails: cp.Emails})
		j.Done = cp.Contacts + cp.Emails
		j.Total = max(j.Total, j.Done)
	}()
	switch cp.Phase {
	case 1:
		addrs, err := s.store.OwnedContacts(ctx, p.From, cp.After, transferBatch)
		if err != nil {
			return stepNext{}, err
		}
		for _, a := range addrs {
			moved, err := s.transferContact(ctx, j, a, p)
			if err != nil {
				return stepNext{}, err
			}
			if moved {
				cp.Contacts++
			}
			cp.After = a
		}
		if len(addrs) < transferBatch {
			cp.Phase, cp.After = 2, ""
		}
		return stepNext{}, nil
	case 2:
		ids, err := s.store.OwnedEmails(ctx, p.From, cp.After, transferBatch)
		if err != nil {
			return stepNext{}, err
		}
		for _, id := range ids {
			moved, err := s.transferEmail(ctx, j, id, p)
			if err != nil {
				return stepNext{}, err
			}
			if moved {
				cp.Emails++
			}
			cp.After = id
		}
		if len(ids) < transferBatch {
			cp.Phase, cp.After = 3, ""
		}
		return stepNext{}, nil
	}
	err := s.auditOnce(ctx, j, discreet.AuditRecord{Actor: j.StartedBy, Action: discreet.AuditTransfer, Target: p.From, Count: cp.Emails,
		Detail: map[string]string{"to": p.To, "job": j.ID, "state": "done",
			"contacts": strconv.Itoa(cp.Contacts), "emails": strconv.Itoa(cp.Emails)}})
	return stepNext{finished: err == nil}, err
}

// transferContact gives a contact to the custodian, keeping its team (a
// new team would give the custodian's teammates full access to it).
func (s *Service) transferContact(ctx context.Context, j *store.Job, addr string, p transferParams) (bool, error) {
	c, err := s.store.Contact(ctx, addr)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if c.Owner != p.From {
		return false, nil
	}
	// The record first, under an id of the job and the contact: a step
	// run again writes it once, and no move is left unaudited.
	if err := s.appendOnce(ctx, discreet.AuditRecord{ID: "job-" + j.ID + "-c-" + addr, At: s.now(), Actor: j.StartedBy,
		Action: discreet.AuditOwner, Target: addr,
		Detail: map[string]string{"from": p.From, "to": p.To, "fromTeam": c.Team, "toTeam": c.Team, "job": j.ID}}); err != nil {
		return false, err
	}
	_, err = s.store.SetContactOwner(ctx, addr, p.To, c.Team)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// transferEmail gives an email to the custodian: visibility and team
// stay, the audience keys follow the owner. The record goes to the new
// owner's audit, which is where they look for their emails.
func (s *Service) transferEmail(ctx context.Context, j *store.Job, id string, p transferParams) (bool, error) {
	e, err := s.store.Email(ctx, id)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if e.Owner != p.From {
		return false, nil
	}
	if err := s.appendOnce(ctx, discreet.AuditRecord{ID: "job-" + j.ID + "-" + id, At: s.now(), Actor: j.StartedBy,
		Action: discreet.AuditTransferEmail, EmailID: id, EmailOwner: p.To,
		Detail: map[string]string{"from": p.From, "to": p.To, "job": j.ID}}); err != nil {
		return false, err
	}
	_, err = s.store.SetEmailOwner(ctx, id, p.To, policy.EmailAudience)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
