package capture_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/capture"
	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/service"
)

// One Pub/Sub emulator serves the package; every test gets its own project.
var pubsubEmulator = emulator.NewShared(emulator.PubSub)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pubsubEmulator.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the Pub/Sub emulator:", err)
	}
	os.Exit(code)
}

func logRequest(m mail) service.LogRequest {
	return service.LogRequest{Raw: m.raw(), Source: discreet.SourceButton}
}

// flow is the production path end to end: Gmail (fake) notifies a real
// Pub/Sub topic (emulator), whose push subscription delivers to
// /v1/gmail/push through a proxy that adds the OIDC token Pub/Sub would.
type flow struct {
	*harness
	proxy     *pushProxy
	publisher *pubsub.Publisher
}

func newFlow(t *testing.T) *flow {
	t.Helper()
	pubsubEmulator.Get(t) // sets PUBSUB_EMULATOR_HOST
	project := emulator.ProjectID()
	topic := "projects/" + project + "/topics/gmail"
	h := newHarness(t, topic)
	f := &flow{harness: h, proxy: newPushProxy(t, h.api.URL)}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := pubsub.NewClient(ctx, project)
	must(t, err)
	t.Cleanup(func() { client.Close() })
	_, err = client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic})
	must(t, err)
	_, err = client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name:               "projects/" + project + "/subscriptions/gmail-push",
		Topic:              topic,
		PushConfig:         &pubsubpb.PushConfig{PushEndpoint: f.proxy.srv.URL + "/v1/gmail/push"},
		AckDeadlineSeconds: 30,
	})
	must(t, err)
	f.publisher = client.Publisher(topic)
	t.Cleanup(f.publisher.Stop)

	// The daily cron starts the watches: capture begins at the mailbox's
	// current history id.
	rep := h.renewAll(t)
	if rep.Renewed != 2 {
		t.Fatalf("RenewAll = %+v", rep)
	}
	return f
}

// notify publishes what Gmail publishes when user's mailbox reaches
// historyID, and waits until the service acknowledged n deliveries of it.
func (f *flow) notify(t *testing.T, user string, historyID uint64) {
	t.Helper()
	before := f.proxy.acked(historyID)
	f.publish(t, user, historyID)
	waitFor(t, fmt.Sprintf("the push of history %d to be acknowledged", historyID), func() bool {
		return f.proxy.acked(historyID) > before
	})
}

func (f *flow) publish(t *testing.T, user string, historyID uint64) {
	t.Helper()
	data := fmt.Sprintf(`{"emailAddress":%q,"historyId":%d}`, user, historyID)
	if _, err := f.publisher.Publish(t.Context(), &pubsub.Message{Data: []byte(data)}).Get(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestPubSubCapture(t *testing.T) {
	t.Run("intent on: logged with the chosen visibility", func(t *testing.T) {
		f := newFlow(t)
		f.intent(t, []string{customer}, "Quote", true, discreet.VisibilityTeam)
		m := mail{id: "m-on", to: []string{customer}, subject: "Quote"}
		f.notify(t, anna, f.send(anna, m))
		e, ok := f.logged(t, m)
		if !ok {
			t.Fatal("the sent message was not logged")
		}
		if e.Visibility != discreet.VisibilityTeam || e.Source != discreet.SourceCompose || e.Owner != anna || e.GmailMessageID != "m-on" {
			t.Fatalf("logged %+v, want team visibility from the compose intent, owned by anna", e)
		}
		if e.Uploaded() {
			t.Error("captured mail is marked uploaded; the server fetched it from Gmail")
		}
		if got, want := f.history(t, anna), f.gmail.HistoryID(anna); got != want {
			t.Fatalf("history id %d after capture, want %d", got, want)
		}
	})

	t.Run("intent off: not logged, not even on redelivery", func(t *testing.T) {
		f := newFlow(t)
		f.intent(t, []string{customer}, "Private matter", false, discreet.VisibilityPublic)
		m := mail{id: "m-off", to: []string{customer}, subject: "Private matter"}
		h := f.send(anna, m)
		f.notify(t, anna, h)
		if _, ok := f.logged(t, m); ok {
			t.Fatal("logged although the rep switched Log off")
		}
		// The intent is consumed; a late duplicate must not fall back to the
		// default (log) and capture it after all.
		f.notify(t, anna, h)
		if _, ok := f.logged(t, m); ok {
			t.Fatal("a redelivered notification logged a message the rep switched off")
		}
		if n := f.rawGets("m-off"); n != 1 {
			t.Fatalf("the message was read %d times, want once", n)
		}
	})

	t.Run("Never Log List beats the intent", func(t *testing.T) {
		f := newFlow(t)
		if _, err := f.svc.AddNeverLog(t.Context(), f.admin, service.AddNeverLogRequest{Pattern: "zurich-bank.example"}); err != nil {
			t.Fatal(err)
		}
		f.intent(t, []string{customer, "cfo@partner.example"}, "Merger", true, discreet.VisibilityPublic)
		m := mail{id: "m-never", to: []string{customer, "cfo@partner.example"}, subject: "Merger"}
		f.notify(t, anna, f.send(anna, m))
		if _, ok := f.logged(t, m); ok {
			t.Fatal("logged although a recipient is on the Never Log List")
		}
	})

	t.Run("no intent: the rep's defaults apply", func(t *testing.T) {
		f := newFlow(t)
		m := mail{id: "m-sync", to: []string{customer}, subject: "Follow-up"}
		f.notify(t, anna, f.send(anna, m))
		e, ok := f.logged(t, m)
		if !ok || e.Source != discreet.SourceSync || e.Visibility != discreet.VisibilityPublic {
			t.Fatalf("logged %v: %+v, want source sync with the org's default visibility", ok, e)
		}
	})

	t.Run("delivered twice: one record", func(t *testing.T) {
		f := newFlow(t)
		f.intent(t, []string{customer}, "Twice", true, discreet.VisibilityPrivate)
		m := mail{id: "m-twice", to: []string{customer}, subject: "Twice"}
		h := f.send(anna, m)
		f.publish(t, anna, h)
		f.publish(t, anna, h)
		waitFor(t, "both deliveries to be acknowledged", func() bool { return f.proxy.acked(h) >= 2 })
		e, ok := f.logged(t, m)
		if !ok || e.Visibility != discreet.VisibilityPrivate || e.Source != discreet.SourceCompose {
			t.Fatalf("logged %v: %+v, want private from the intent", ok, e)
		}
		if n := f.rawGets("m-twice"); n != 1 {
			t.Fatalf("the message was read %d times, want once", n)
		}
		rs, _, err := f.st.Audit(t.Context(), storeAuditAll())
		must(t, err)
		logs := 0
		for _, r := range rs {
			if r.Action == discreet.AuditLog && r.EmailID == e.ID {
				logs++
			}
		}
		if logs > 1 {
			t.Fatalf("%d log audit records, want at most one", logs)
		}
	})

	t.Run("Gmail 429 then success: logged once", func(t *testing.T) {
		f := newFlow(t)
		m := mail{id: "m-429", to: []string{customer}, subject: "Busy"}
		h := f.send(anna, m)
		f.gmail.FailNext(1, http.StatusTooManyRequests, "1")
		start := time.Now()
		f.notify(t, anna, h)
		if _, ok := f.logged(t, m); !ok {
			t.Fatal("not logged after Gmail recovered")
		}
		if time.Since(start) < time.Second {
			t.Fatal("Retry-After: 1 was not honoured")
		}
		throttled := 0
		for _, r := range f.gmail.Requests() {
			if r.Status == http.StatusTooManyRequests {
				throttled++
			}
		}
		if throttled != 1 || f.rawGets("m-429") != 1 {
			t.Fatalf("%d throttled requests and %d reads, want 1 and 1", throttled, f.rawGets("m-429"))
		}
	})

	t.Run("Gmail down: 503, Pub/Sub redelivers, then logged", func(t *testing.T) {
		f := newFlow(t)
		m := mail{id: "m-down", to: []string{customer}, subject: "Outage"}
		h := f.send(anna, m)
		before := f.history(t, anna)
		f.gmail.FailNext(4, http.StatusServiceUnavailable, "") // every retry of the first delivery
		f.notify(t, anna, h)
		if _, ok := f.logged(t, m); !ok {
			t.Fatal("not logged after redelivery")
		}
		statuses := f.proxy.statuses(h)
		if len(statuses) < 2 || statuses[0] != http.StatusServiceUnavailable {
			t.Fatalf("deliveries answered %v, want 503 first and a later success", statuses)
		}
		if f.history(t, anna) <= before {
			t.Fatal("history did not advance after the redelivered push")
		}
	})

	t.Run("history id expired: recent sent mail is read instead", func(t *testing.T) {
		f := newFlow(t)
		old := mail{id: "m-old", to: []string{customer}, subject: "Last month", date: time.Now().Add(-30 * 24 * time.Hour)}
		recent := mail{id: "m-recent", to: []string{customer}, subject: "Today"}
		f.intent(t, []string{customer}, "Today", true, discreet.VisibilityTeam)
		f.send(anna, old)
		h := f.send(anna, recent)
		f.gmail.SetHistoryFloor(anna, h+1) // everything we know is too old
		f.notify(t, anna, h)
		e, ok := f.logged(t, recent)
		if !ok || e.Visibility != discreet.VisibilityTeam {
			t.Fatalf("recent mail logged %v: %+v, want team from the intent", ok, e)
		}
		if _, ok := f.logged(t, old); ok {
			t.Fatal("the fallback backfilled mail older than the last capture")
		}
		if got := f.history(t, anna); got < h {
			t.Fatalf("history %d after the fallback, want at least %d", got, h)
		}
	})

	t.Run("out of order: history never moves back", func(t *testing.T) {
		f := newFlow(t)
		m1 := mail{id: "m-1", to: []string{customer}, subject: "One"}
		m2 := mail{id: "m-2", to: []string{customer}, subject: "Two"}
		h1 := f.send(anna, m1)
		h2 := f.send(anna, m2)
		f.notify(t, anna, h2)
		if f.history(t, anna) != h2 {
			t.Fatalf("history %d, want %d", f.history(t, anna), h2)
		}
		f.notify(t, anna, h1) // late
		if got := f.history(t, anna); got != h2 {
			t.Fatalf("a late notification moved history back to %d", got)
		}
		for _, m := range []mail{m1, m2} {
			if _, ok := f.logged(t, m); !ok {
				t.Fatalf("%s not logged", m.id)
			}
			if n := f.rawGets(m.id); n != 1 {
				t.Fatalf("%s read %d times, want once", m.id, n)
			}
		}
	})

	t.Run("first notification without a watch: no backfill", func(t *testing.T) {
		f := newFlow(t)
		ctx := t.Context()
		// A user provisioned after the last renewal has no history id yet.
		carla := discreet.User{Email: "carla@acme.example", Role: discreet.RoleRep, Teams: []string{"de"}, CreatedAt: time.Now().UTC()}
		must(t, f.st.PutUser(ctx, carla))
		f.gmail.SetToken("tok-"+carla.Email, carla.Email)
		m := mail{id: "m-carla", from: carla.Email, to: []string{customer}, subject: "Before"}
		h := f.gmail.AddMessage(carla.Email, m.id, m.raw(), "SENT")
		f.notify(t, carla.Email, h)
		if _, ok := f.logged(t, m); ok {
			t.Fatal("mail from before capture started was backfilled")
		}
		if got := f.history(t, carla.Email); got != h {
			t.Fatalf("history %d, want the notification's %d", got, h)
		}
	})
}

// Two instances handling the same notification at once capture each
// message once: the second finds the message claimed and answers 503, and
// its redelivery finds it done. Without claims it would log a message the
// rep switched off, with the defaults, after the first consumed the intent.
func TestTwoInstances(t *testing.T) {
	h := newHarness(t, "projects/p/topics/gmail")
	h.renewAll(t)
	other, err := capture.New(h.cfg)
	must(t, err)
	for i := range 5 {
		id := fmt.Sprintf("m-off-%d", i)
		h.intent(t, []string{customer}, id, false, discreet.VisibilityPublic)
		m := mail{id: id, to: []string{customer}, subject: id}
		n := capture.Notification{EmailAddress: anna, HistoryID: h.send(anna, m)}
		var wg sync.WaitGroup
		for _, c := range []*capture.Capture{h.cap, other} {
			wg.Go(func() {
				for range 100 {
					if err := c.Notify(t.Context(), n); err == nil {
						return
					} else if discreet.ErrorCode(err) != discreet.EUnavailable {
						t.Errorf("Notify: %v", err)
						return
					}
					time.Sleep(20 * time.Millisecond) // as Pub/Sub redelivers
				}
				t.Error("Notify never finished")
			})
		}
		wg.Wait()
		if _, ok := h.logged(t, m); ok {
			t.Fatalf("%s: logged although the rep switched Log off", id)
		}
		if n := h.rawGets(id); n != 1 {
			t.Fatalf("%s read %d times, want once", id, n)
		}
	}
}
