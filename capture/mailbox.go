package capture

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	gmailapi "google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/discreet-crm/discreet"
)

// Gmail retry defaults: a push handler has until Pub/Sub's ack deadline,
// so retry briefly and let Pub/Sub redeliver after a longer outage.
const (
	defaultAttempts  = 4
	defaultBaseDelay = 250 * time.Millisecond
	defaultMaxWait   = 10 * time.Second
)

// mailbox reads users' mailboxes with the server's delegated tokens.
type mailbox struct {
	svc                *gmailapi.Service
	tokens             Tokens
	attempts           int
	baseDelay, maxWait time.Duration
	sleep              func(ctx context.Context, d time.Duration) error
}

func newMailbox(cfg Config) (*mailbox, error) {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if ep := cfg.GmailEndpoint; ep != "" {
		if !strings.HasSuffix(ep, "/") {
			ep += "/"
		}
		opts = append(opts, option.WithEndpoint(ep))
	}
	svc, err := gmailapi.NewService(context.Background(), opts...)
	if err != nil {
		return nil, err
	}
	m := &mailbox{svc: svc, tokens: cfg.Tokens, attempts: cfg.Attempts, baseDelay: cfg.BaseDelay, maxWait: cfg.MaxWait, sleep: cfg.Sleep}
	if m.attempts <= 0 {
		m.attempts = defaultAttempts
	}
	if m.baseDelay <= 0 {
		m.baseDelay = defaultBaseDelay
	}
	if m.maxWait <= 0 {
		m.maxWait = defaultMaxWait
	}
	if m.sleep == nil {
		m.sleep = sleep
	}
	return m, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// caller is what every generated Gmail call offers.
type caller interface {
	Header() http.Header
}

// do runs one Gmail call for user with their delegated token, retrying
// 429, 5xx, Gmail's 403 quota errors and network errors with backoff (at
// least Retry-After). Errors: not_found (Gmail's 404), permission_denied
// (the mailbox refuses the server), invalid_argument (400),
// rate_limited/unavailable with RetryAfter once the retries are spent.
func do[T any](ctx context.Context, m *mailbox, user string, call caller, run func() (T, error)) (T, error) {
	var zero T
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		token, err := m.tokens(ctx, user)
		if err != nil {
			return zero, err
		}
		call.Header().Set("Authorization", "Bearer "+token)
		out, err := run()
		if err == nil {
			return out, nil
		}
		if ctx.Err() != nil {
			return zero, unavailable(errors.Join(ctx.Err(), err), time.Second, "Gmail did not answer in time")
		}
		retryAfter, final := classify(err)
		if final != nil {
			return zero, final
		}
		delay := max(m.backoff(attempt), retryAfter)
		if attempt >= m.attempts || waited+delay > m.maxWait {
			return zero, giveUp(err, max(delay, time.Second))
		}
		if err := m.sleep(ctx, delay); err != nil {
			return zero, unavailable(err, time.Second, "Gmail did not answer in time")
		}
		waited += delay
	}
}

func (m *mailbox) backoff(attempt int) time.Duration {
	d := m.baseDelay << min(attempt-1, 16)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func classify(err error) (time.Duration, error) {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		var de *discreet.Error
		if errors.As(err, &de) {
			return 0, err
		}
		return 0, nil // network trouble: retry
	}
	switch {
	case gerr.Code == http.StatusTooManyRequests || gerr.Code >= 500 || gerr.Code == http.StatusForbidden && quota(gerr):
		return retryAfter(gerr.Header), nil
	case gerr.Code == http.StatusNotFound:
		return 0, discreet.Wrap(err, discreet.ENotFound, "Gmail has no such entity")
	case gerr.Code == http.StatusUnauthorized || gerr.Code == http.StatusForbidden:
		return 0, discreet.Wrap(err, discreet.EPermission, "Gmail refused the server's access to the mailbox")
	case gerr.Code == http.StatusBadRequest || gerr.Code == http.StatusPreconditionFailed:
		return 0, discreet.Wrap(err, discreet.EInvalid, "Gmail rejected the request")
	}
	return 0, discreet.Wrap(err, discreet.EUnavailable, "Gmail answered %d", gerr.Code)
}

// quota reports Gmail's quota errors, which come as 403.
func quota(e *googleapi.Error) bool {
	return slices.ContainsFunc(e.Errors, func(it googleapi.ErrorItem) bool {
		switch it.Reason {
		case "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded":
			return true
		}
		return false
	})
}

func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func giveUp(err error, retryAfter time.Duration) error {
	retryAfter = retryAfter.Round(time.Second)
	var gerr *googleapi.Error
	if errors.As(err, &gerr) && (gerr.Code == http.StatusTooManyRequests || gerr.Code == http.StatusForbidden) {
		return &discreet.Error{Code: discreet.ERateLimited, RetryAfter: retryAfter, Err: err,
			Message: "Gmail is limiting requests for this mailbox; try again shortly"}
	}
	return &discreet.Error{Code: discreet.EUnavailable, RetryAfter: retryAfter, Err: err,
		Message: "Gmail is not answering; try again shortly"}
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
