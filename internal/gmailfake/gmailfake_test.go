package gmailfake_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"slices"
	"testing"

	"go.uber.org/goleak"
	gmailapi "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/discreet-crm/discreet/internal/gmailfake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bearer adds a fixed Authorization header, as the add-on's token would.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// api is the official Gmail client pointed at the fake, so the fake is
// checked against what the real client sends and expects.
func api(t *testing.T, fake *gmailfake.Server, token string) *gmailapi.Service {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	svc, err := gmailapi.NewService(context.Background(),
		option.WithHTTPClient(&http.Client{Transport: bearer{token, tr}}),
		option.WithEndpoint(fake.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func code(err error) int {
	var g *googleapi.Error
	if errors.As(err, &g) {
		return g.Code
	}
	return 0
}

func TestMessagesGet(t *testing.T) {
	fake := gmailfake.New(t, "../../testdata/mail")
	svc := api(t, fake, gmailfake.DefaultToken)

	m, err := svc.Users.Messages.Get("me", "reply-chain").Format("raw").Do()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.URLEncoding.DecodeString(m.Raw)
	want, _ := os.ReadFile("../../testdata/mail/reply-chain.eml")
	if err != nil || string(raw) != string(want) {
		t.Fatalf("raw differs from the fixture (err %v)", err)
	}
	if m.Id != "reply-chain" || m.ThreadId == "" || m.Snippet == "" || m.InternalDate != 1772703000000 || m.HistoryId == 0 {
		t.Errorf("message = %+v", m)
	}

	m, err = svc.Users.Messages.Get("me", "idn").Format("metadata").MetadataHeaders("Subject", "From").Do()
	if err != nil {
		t.Fatal(err)
	}
	if m.Raw != "" || m.Payload == nil || len(m.Payload.Headers) != 2 || m.Payload.Headers[0].Name != "From" {
		t.Errorf("metadata = %+v", m.Payload)
	}

	if _, err := svc.Users.Messages.Get("me", "../go.mod").Do(); code(err) != http.StatusNotFound {
		t.Errorf("path escape: err = %v, want 404", err)
	}
	if _, err := api(t, fake, "nobody").Users.Messages.Get("me", "idn").Do(); code(err) != http.StatusUnauthorized {
		t.Errorf("unknown token: err = %v, want 401", err)
	}
	if _, err := svc.Users.Messages.Get("beat@acme-ch.example", "idn").Do(); code(err) != http.StatusForbidden {
		t.Errorf("other user's mailbox: err = %v, want 403", err)
	}
}

// Replies share the thread of the message they answer.
func TestThreads(t *testing.T) {
	fake := gmailfake.New(t, "")
	fake.AddMessage(gmailfake.DefaultUser, "a", []byte("From: x@y.example\nMessage-ID: <root@y.example>\n\nhi\n"))
	fake.AddMessage(gmailfake.DefaultUser, "b", []byte("From: z@y.example\nMessage-ID: <r2@y.example>\nReferences: <root@y.example>\n\nre\n"))
	svc := api(t, fake, gmailfake.DefaultToken)
	a, err1 := svc.Users.Messages.Get("me", "a").Do()
	b, err2 := svc.Users.Messages.Get("me", "b").Do()
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if a.ThreadId != b.ThreadId {
		t.Errorf("thread ids %q, %q differ", a.ThreadId, b.ThreadId)
	}
}

func TestFailuresAndRequests(t *testing.T) {
	fake := gmailfake.New(t, "../../testdata/mail")
	svc := api(t, fake, gmailfake.DefaultToken)
	fake.FailNext(1, http.StatusTooManyRequests, "7")
	fake.FailNext(1, http.StatusInternalServerError, "")
	_, err := svc.Users.Messages.Get("me", "idn").Do()
	var g *googleapi.Error
	if !errors.As(err, &g) || g.Code != 429 || g.Header.Get("Retry-After") != "7" {
		t.Fatalf("first: %v", err)
	}
	if _, err := svc.Users.Messages.Get("me", "idn").Do(); code(err) != 500 {
		t.Fatalf("second: %v", err)
	}
	if _, err := svc.Users.Messages.Get("me", "idn").Do(); err != nil {
		t.Fatalf("third: %v", err)
	}
	var statuses []int
	for _, r := range fake.Requests() {
		statuses = append(statuses, r.Status)
		if r.User != gmailfake.DefaultUser {
			t.Errorf("request user = %q", r.User)
		}
	}
	if !slices.Equal(statuses, []int{429, 500, 200}) {
		t.Errorf("statuses = %v", statuses)
	}
}

func TestSentCapture(t *testing.T) {
	fake := gmailfake.New(t, "")
	const beat = "beat@acme-ch.example"
	fake.SetToken("beat-token", beat)
	svc := api(t, fake, "beat-token")

	w, err := svc.Users.Watch("me", &gmailapi.WatchRequest{TopicName: "projects/p/topics/gmail", LabelIds: []string{"SENT"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	start := w.HistoryId
	if start == 0 || w.Expiration == 0 {
		t.Fatalf("watch = %+v", w)
	}
	fake.AddMessage(beat, "in1", []byte("From: kunde@zurich-bank.example\n\nhi\n"), "INBOX")
	fake.AddMessage(beat, "sent1", []byte("From: beat@acme-ch.example\nTo: kunde@zurich-bank.example\n\nOfferte\n"), "SENT")
	last := fake.AddMessage(beat, "sent2", []byte("From: beat@acme-ch.example\nTo: einkauf@berlin-tools.example\n\nAngebot\n"), "SENT")

	h, err := svc.Users.History.List("me").StartHistoryId(start).HistoryTypes("messageAdded").LabelId("SENT").Do()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range h.History {
		for _, a := range r.MessagesAdded {
			ids = append(ids, a.Message.Id)
		}
	}
	if !slices.Equal(ids, []string{"sent1", "sent2"}) || h.HistoryId != last {
		t.Errorf("history = %v (historyId %d, want %d)", ids, h.HistoryId, last)
	}

	// Paging.
	h, err = svc.Users.History.List("me").StartHistoryId(start).LabelId("SENT").MaxResults(1).Do()
	if err != nil || len(h.History) != 1 || h.NextPageToken == "" {
		t.Fatalf("page 1 = %+v, %v", h, err)
	}
	h, err = svc.Users.History.List("me").StartHistoryId(start).LabelId("SENT").MaxResults(1).PageToken(h.NextPageToken).Do()
	if err != nil || len(h.History) != 1 || h.History[0].MessagesAdded[0].Message.Id != "sent2" {
		t.Fatalf("page 2 = %+v, %v", h, err)
	}

	fake.SetHistoryFloor(beat, last)
	if _, err := svc.Users.History.List("me").StartHistoryId(start).Do(); code(err) != http.StatusNotFound {
		t.Errorf("expired history: err = %v, want 404", err)
	}

	l, err := svc.Users.Messages.List("me").LabelIds("SENT").Do()
	if err != nil || len(l.Messages) != 2 || l.Messages[0].Id != "sent2" {
		t.Fatalf("list = %+v, %v", l, err)
	}
	l, err = svc.Users.Messages.List("me").LabelIds("SENT").Q("berlin-tools").MaxResults(10).Do()
	if err != nil || len(l.Messages) != 1 || l.Messages[0].Id != "sent2" {
		t.Fatalf("list q = %+v, %v", l, err)
	}
	l, err = svc.Users.Messages.List("me").MaxResults(2).Do()
	if err != nil || len(l.Messages) != 2 || l.NextPageToken == "" {
		t.Fatalf("list paged = %+v, %v", l, err)
	}
}
