package service_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/sqlite"
)

// flakyStore fails LogEmail as long as failures remain, as a store that
// is briefly unreachable would.
type flakyStore struct {
	store.Store
	failures atomic.Int32
}

func (f *flakyStore) LogEmail(ctx context.Context, e store.EmailWrite) (discreet.Email, bool, error) {
	if f.failures.Add(-1) >= 0 {
		return discreet.Email{}, false, discreet.Errorf(discreet.EUnavailable, "the store is not reachable")
	}
	return f.Store.LogEmail(ctx, e)
}

// A capture whose write fails leaves the rep's compose choice in place, so
// the redelivered notification logs as they chose and not as the defaults say.
func TestCaptureRetryKeepsTheIntent(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org := discreet.DefaultOrgSettings()
	org.InternalDomains = []string{"acme-ch.example"}
	if err := st.PutOrgSettings(ctx, org); err != nil {
		t.Fatal(err)
	}
	beat := discreet.User{Email: "beat@acme-ch.example", Name: "Beat Keller", Role: discreet.RoleRep}
	if err := st.PutUser(ctx, beat); err != nil {
		t.Fatal(err)
	}
	flaky := &flakyStore{Store: st}
	svc := service.New(service.Config{Store: flaky, Logger: slog.New(slog.DiscardHandler)})

	if _, err := svc.PutIntent(ctx, beat, service.IntentRequest{To: []string{kunde}, Subject: "Offer", Log: true, Visibility: discreet.VisibilityPrivate}); err != nil {
		t.Fatal(err)
	}
	sent := mail{From: beat.Email, To: []string{kunde}, Subject: "Offer"}.raw()
	flaky.failures.Store(1)
	if _, err := svc.CaptureSent(ctx, beat, sent, "gm-1"); discreet.ErrorCode(err) != discreet.EUnavailable {
		t.Fatalf("capture while the store fails: %v, want unavailable", err)
	}
	res, err := svc.CaptureSent(ctx, beat, sent, "gm-1")
	if err != nil || res.Email == nil || res.Email.Source != discreet.SourceCompose || res.Email.Visibility != discreet.VisibilityPrivate {
		t.Fatalf("retried capture = %+v %+v, %v; want logged private from the intent", res.Decision, res.Email, err)
	}
}
