package capture

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"

	gmailapi "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/gmail"
)

// mailbox reads users' mailboxes with the server's delegated tokens.
type mailbox struct {
	svc    *gmailapi.Service
	tokens Tokens
	retry  gmail.Retry
}

func newMailbox(cfg Config) (*mailbox, error) {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	svc, err := gmail.NewService(cfg.GmailEndpoint, hc)
	if err != nil {
		return nil, err
	}
	// A push handler has until Pub/Sub's ack deadline, so it retries as
	// briefly as the Log button and lets Pub/Sub redeliver after longer
	// outages.
	retry := gmail.Retry{Attempts: cfg.Attempts, BaseDelay: cfg.BaseDelay, MaxWait: cfg.MaxWait, Sleep: cfg.Sleep}
	return &mailbox{svc: svc, tokens: cfg.Tokens, retry: retry}, nil
}

// caller is what every generated Gmail call offers.
type caller interface {
	Header() http.Header
}

// do runs one Gmail call for user with their delegated token, retrying as
// gmail.Do does. Errors: not_found (Gmail's 404), permission_denied (the
// mailbox refuses the server), invalid_argument (400), rate_limited or
// unavailable with RetryAfter once the retries are spent.
func do[T any](ctx context.Context, m *mailbox, user string, call caller, run func() (T, error)) (T, error) {
	// One token serves all attempts: it lives an hour, the retries seconds.
	token, err := m.tokens(ctx, user)
	if err != nil {
		var zero T
		return zero, err
	}
	call.Header().Set("Authorization", "Bearer "+token)
	return gmail.Do(ctx, m.retry, run, final)
}

// final is the domain error for a Gmail answer that retrying cannot fix.
func final(gerr *googleapi.Error) error {
	switch gerr.Code {
	case http.StatusNotFound:
		return discreet.Wrap(gerr, discreet.ENotFound, "Gmail has no such entity")
	case http.StatusUnauthorized, http.StatusForbidden:
		return discreet.Wrap(gerr, discreet.EPermission, "Gmail refused the server's access to the mailbox")
	case http.StatusBadRequest, http.StatusPreconditionFailed:
		return discreet.Wrap(gerr, discreet.EInvalid, "Gmail rejected the request")
	}
	return discreet.Wrap(gerr, discreet.EUnavailable, "Gmail answered %d", gerr.Code)
}

// sentSince lists the ids of SENT messages added after startHistoryID,
// oldest first, and the mailbox's history id at the time.
func (m *mailbox) sentSince(ctx context.Context, user string, startHistoryID uint64) ([]string, uint64, error) {
	var ids []string
	seen := map[string]bool{}
	var latest uint64
	page := ""
	for {
		call := m.svc.Users.History.List(user).StartHistoryId(startHistoryID).
			HistoryTypes("messageAdded").LabelId("SENT").MaxResults(500).Context(ctx)
		if page != "" {
			call.PageToken(page)
		}
		resp, err := do(ctx, m, user, call, func() (*gmailapi.ListHistoryResponse, error) { return call.Do() })
		if err != nil {
			return nil, 0, err
		}
		latest = max(latest, resp.HistoryId)
		for _, h := range resp.History {
			for _, a := range h.MessagesAdded {
				if a.Message == nil || a.Message.Id == "" || seen[a.Message.Id] || !sent(a.Message.LabelIds) {
					continue
				}
				seen[a.Message.Id] = true
				ids = append(ids, a.Message.Id)
			}
		}
		if resp.NextPageToken == "" {
			return ids, latest, nil
		}
		page = resp.NextPageToken
	}
}

// sent reports whether labels mark a sent message (labels are absent in
// some answers; the query asked for SENT already).
func sent(labels []string) bool {
	return len(labels) == 0 || slices.Contains(labels, "SENT") && !slices.Contains(labels, "DRAFT")
}

// recentSent lists at most limit SENT message ids received by Gmail at or
// after since, oldest first, and the largest history id among them.
func (m *mailbox) recentSent(ctx context.Context, user string, since time.Time, limit int) ([]string, uint64, error) {
	call := m.svc.Users.Messages.List(user).LabelIds("SENT").MaxResults(int64(limit)).Context(ctx)
	resp, err := do(ctx, m, user, call, func() (*gmailapi.ListMessagesResponse, error) { return call.Do() })
	if err != nil {
		return nil, 0, err
	}
	var ids []string
	var latest uint64
	for _, ref := range resp.Messages { // newest first
		get := m.svc.Users.Messages.Get(user, ref.Id).Format("minimal").Context(ctx)
		msg, err := do(ctx, m, user, get, func() (*gmailapi.Message, error) { return get.Do() })
		if discreet.ErrorCode(err) == discreet.ENotFound {
			continue // deleted since
		}
		if err != nil {
			return nil, 0, err
		}
		if time.UnixMilli(msg.InternalDate).Before(since) {
			break
		}
		latest = max(latest, msg.HistoryId)
		ids = append(ids, ref.Id)
	}
	slices.Reverse(ids)
	return ids, latest, nil
}

// raw reads one message as RFC 5322 bytes.
func (m *mailbox) raw(ctx context.Context, user, id string) ([]byte, error) {
	call := m.svc.Users.Messages.Get(user, id).Format("raw").Context(ctx)
	msg, err := do(ctx, m, user, call, func() (*gmailapi.Message, error) { return call.Do() })
	if err != nil {
		return nil, err
	}
	s := strings.TrimRight(strings.TrimSpace(msg.Raw), "=")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, discreet.Wrap(err, discreet.EInvalid, "Gmail returned message %s without readable content", id)
	}
	return b, nil
}

// watch starts or renews the user's watch on SENT.
func (m *mailbox) watch(ctx context.Context, user, topic string) (uint64, time.Time, error) {
	call := m.svc.Users.Watch(user, &gmailapi.WatchRequest{
		TopicName: topic, LabelIds: []string{"SENT"}, LabelFilterBehavior: "include",
	}).Context(ctx)
	resp, err := do(ctx, m, user, call, func() (*gmailapi.WatchResponse, error) { return call.Do() })
	if err != nil {
		return 0, time.Time{}, err
	}
	return resp.HistoryId, time.UnixMilli(resp.Expiration).UTC(), nil
}
