// Package capture logs the mail reps send from Gmail itself, not through the
// add-on's Log button: a Gmail watch (users.watch on the SENT label)
// publishes to Pub/Sub, Pub/Sub pushes each notification to
// POST /v1/gmail/push, and capture reads the mailbox's new SENT messages
// by domain-wide delegation and hands each to service.CaptureSent, which
// applies the rep's compose intent and the Never Log List exactly as the
// REST API does. POST /v1/gmail/watch:renew (App Engine cron, or an admin)
// starts the service's watch renewal job, which renews every watch in
// batches through the job queue (WatchMailbox); a user is watched as soon
// as they are provisioned.
//
// Notifications may come twice, out of order, or to two instances at once:
// the stored history id only moves forward, and only after the messages
// before it are durably captured; every message is claimed in the store
// before it is captured, so it is captured once.
package capture

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/auth"
	"github.com/discreet-crm/discreet/service"
	"github.com/discreet-crm/discreet/store"
)

// Tokens returns an OAuth access token for user's own mailbox;
// DelegatedTokens makes them by keyless domain-wide delegation.
type Tokens func(ctx context.Context, user string) (string, error)

// Defaults of Config.
const (
	DefaultFallbackMessages = 50
	DefaultLease            = 2 * time.Minute
	// claimsKept is how long a captured message is remembered; Gmail
	// history older than a week is gone, so nothing replays it later.
	claimsKept = 30 * 24 * time.Hour
)

// Config wires sent-mail capture; cmd/discreet fills the deployment's part
// (Tokens, Topic, push identity, TrustCronHeader, GmailEndpoint) from its
// configuration.
type Config struct {
	Service *service.Service
	Store   store.Store
	// Tokens reads mailboxes on the server's behalf; nil disables capture
	// (the add-on's Log button does not need it).
	Tokens Tokens
	// Disabled says why Tokens is nil, for the start-up log and Status.
	Disabled string
	// GmailEndpoint is the Gmail API base URL ("" is Google's); tests point
	// it at internal/gmailfake. HTTPClient must add no credentials.
	GmailEndpoint string
	HTTPClient    *http.Client
	// Topic is the Pub/Sub topic users.watch publishes to
	// (projects/P/topics/T).
	Topic string

	// Verifier checks the bearer tokens of both routes. Pub/Sub's push
	// token must be issued for PushAudience to PushServiceAccount.
	Verifier           auth.Verifier
	PushAudience       string
	PushServiceAccount string
	// Audiences are those of the REST API (DISCREET_AUDIENCE): an admin
	// may call watch:renew with their own ID token.
	Audiences []string
	// TrustCronHeader accepts "X-Appengine-Cron: true" as the cron's
	// authentication. Only App Engine strips that header from outside
	// requests, so set it only there (GAE_ENV=standard).
	TrustCronHeader bool

	// FallbackMessages bounds the recent SENT messages read when the stored
	// history id has expired; Lease is how long a message claim lasts.
	FallbackMessages int
	Lease            time.Duration
	// Attempts, BaseDelay and MaxWait bound Gmail retries on 429 and 5xx
	// (Retry-After is honoured); Sleep is replaced in tests.
	Attempts  int
	BaseDelay time.Duration
	MaxWait   time.Duration
	Sleep     func(ctx context.Context, d time.Duration) error

	Logger *slog.Logger
	Now    func() time.Time
}

// Capture serves the Gmail push and watch-renewal endpoints.
type Capture struct {
	cfg   Config
	log   *slog.Logger
	gmail *mailbox // nil when disabled
	locks [64]sync.Mutex
}

// Status says whether capture runs; /readyz shows it.
type Status struct {
	Enabled bool   `json:"enabled"`
	Detail  string `json:"detail"`
}

// New returns capture as configured, and logs whether it is on.
func New(cfg Config) (*Capture, error) {
	if cfg.Service == nil || cfg.Store == nil {
		return nil, errors.New("capture: Config.Service and Config.Store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FallbackMessages <= 0 {
		cfg.FallbackMessages = DefaultFallbackMessages
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	cfg.PushServiceAccount = strings.ToLower(strings.TrimSpace(cfg.PushServiceAccount))
	c := &Capture{cfg: cfg, log: cfg.Logger}
	if cfg.Tokens == nil {
		if c.cfg.Disabled == "" {
			c.cfg.Disabled = "no mailbox access is configured (DISCREET_GMAIL_DELEGATION_SA)"
		}
		c.log.Warn("sent-mail capture is disabled: " + c.cfg.Disabled + "; the add-on's Log button still works")
		return c, nil
	}
	switch {
	case cfg.Topic == "":
		return nil, errors.New("capture: Config.Topic (DISCREET_PUBSUB_TOPIC) is required when capture is on")
	case cfg.Verifier == nil:
		return nil, errors.New("capture: Config.Verifier is required when capture is on")
	case cfg.PushAudience == "" || cfg.PushServiceAccount == "":
		return nil, errors.New("capture: Config.PushAudience and PushServiceAccount (DISCREET_PUSH_AUDIENCE, DISCREET_PUSH_SA) are required when capture is on")
	}
	m, err := newMailbox(cfg)
	if err != nil {
		return nil, err
	}
	c.gmail = m
	// The service's watch jobs (nightly renewal, a user just provisioned)
	// renew through this capture.
	cfg.Service.SetMailboxWatcher(c)
	c.log.Info("sent-mail capture is on", "topic", cfg.Topic, "pushServiceAccount", cfg.PushServiceAccount)
	return c, nil
}

// Status reports whether capture is on and, if not, why.
func (c *Capture) Status() Status {
	if c.gmail == nil {
		return Status{Enabled: false, Detail: "sent-mail capture is disabled: " + c.cfg.Disabled}
	}
	return Status{Enabled: true, Detail: "sent-mail capture is on (topic " + c.cfg.Topic + ")"}
}

func (c *Capture) now() time.Time { return c.cfg.Now().UTC() }

// lock serializes the work on one mailbox within this instance, so two
// notifications for it do not read the same history twice; across
// instances the store's message claims keep capture single.
func (c *Capture) lock(user string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(user))
	m := &c.locks[h.Sum32()%uint32(len(c.locks))]
	m.Lock()
	return m.Unlock
}

// unavailable is the error that makes Pub/Sub (or cron) try again.
func unavailable(err error, retryAfter time.Duration, format string, args ...any) error {
	e := discreet.Wrap(err, discreet.EUnavailable, format, args...)
	var de *discreet.Error
	if errors.As(err, &de) && de.RetryAfter > retryAfter {
		retryAfter = de.RetryAfter
	}
	e.RetryAfter = retryAfter
	return e
}
