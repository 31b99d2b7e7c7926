package service_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// lostAck commits LogEmail but answers unavailable, as when the instance
// dies (or the network drops the answer) after the commit.
type lostAck struct {
	store.Store
	lose atomic.Int32
}

func (l *lostAck) LogEmail(ctx context.Context, w store.EmailWrite) (discreet.Email, bool, error) {
	e, created, err := l.Store.LogEmail(ctx, w)
	if err == nil && l.lose.Add(-1) >= 0 {
		return discreet.Email{}, false, discreet.Errorf(discreet.EUnavailable, "the answer was lost")
	}
	return e, created, err
}

// A log is audited in the email's own commit: a log retried after its
// commit (its answer lost) writes no second record, and one retried after
// a failed commit writes its one record then.
func TestLogAuditedOnceAcrossRetries(t *testing.T) {
	ctx := context.Background()
	st := &lostAck{Store: openStore(t)}
	s := newSeedWith(t, service.Config{Store: st})
	logRecords := func() int {
		all, _, err := st.Audit(ctx, store.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range all {
			if r.Action == discreet.AuditLog {
				n++
			}
		}
		return n
	}
	m := mail{From: s.anna.Email, To: []string{kunde}, Subject: "Angebot", MessageID: "<angebot-1@acme.example>"}
	st.lose.Store(1)
	if _, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: m.raw(), Visibility: discreet.VisibilityTeam}); discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("log whose answer was lost: %v", err)
	}
	if n := logRecords(); n != 1 {
		t.Fatalf("%d log records after the commit, want 1", n)
	}
	res, err := s.svc.LogEmail(ctx, s.anna, service.LogRequest{Raw: m.raw(), Visibility: discreet.VisibilityTeam})
	if err != nil || res.Created || res.Decision.Reason != discreet.ReasonAlreadyLogged {
		t.Fatalf("the retry: %+v, %v; want already logged", res.Decision, err)
	}
	if n := logRecords(); n != 1 {
		t.Fatalf("%d log records after the retry, want 1", n)
	}
}
