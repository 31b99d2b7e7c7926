package capture

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	gmailapi "google.golang.org/api/gmail/v1"

	"github.com/discreet-crm/discreet"
)

// Scope is what the delegation must grant in the Admin console: reading
// raw messages (gmail.metadata cannot return format=raw).
const Scope = gmailapi.GmailReadonlyScope

// Delegation returns Tokens that act as each user through a service
// account with domain-wide delegation (keyJSON is its JSON key).
func Delegation(keyJSON []byte) (Tokens, error) {
	base, err := google.JWTConfigFromJSON(keyJSON, Scope)
	if err != nil {
		return nil, fmt.Errorf("the service-account key is not usable: %w", err)
	}
	var sources sync.Map // user → oauth2.TokenSource (caches its token)
	return func(ctx context.Context, user string) (string, error) {
		ts, ok := sources.Load(user)
		if !ok {
			cfg := *base
			cfg.Subject = user
			// Background: the source outlives this request and is reused.
			ts, _ = sources.LoadOrStore(user, cfg.TokenSource(context.Background()))
		}
		tok, err := ts.(oauth2.TokenSource).Token()
		if err != nil {
			var re *oauth2.RetrieveError
			if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
				// unauthorized_client: delegation not granted; invalid_grant:
				// no such (or a suspended) user.
				return "", discreet.Wrap(err, discreet.EPermission, "domain-wide delegation does not reach %s's mailbox", user)
			}
			return "", discreet.Wrap(err, discreet.EUnavailable, "cannot get a Gmail token for %s", user)
		}
		return tok.AccessToken, nil
	}, nil
}

var topicName = regexp.MustCompile(`^projects/[^/]+/topics/[^/]+$`)

// ConfigFromEnv reads the deployment's part of Config:
//
//	DISCREET_GMAIL_DELEGATION_KEY  path of a service-account JSON key with
//	                               domain-wide delegation; unset: capture off
//	DISCREET_PUBSUB_TOPIC          projects/P/topics/T that watches publish to
//	DISCREET_PUSH_AUDIENCE         audience of the push subscription's token
//	DISCREET_PUSH_SA               the push subscription's service account
//	DISCREET_GMAIL_ENDPOINT        Gmail API base URL (tests: a fake)
//	GAE_ENV                        "standard" on App Engine: trust the cron header
//
// Errors name the variable at fault.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Topic:              strings.TrimSpace(getenv("DISCREET_PUBSUB_TOPIC")),
		PushAudience:       strings.TrimSpace(getenv("DISCREET_PUSH_AUDIENCE")),
		PushServiceAccount: strings.TrimSpace(getenv("DISCREET_PUSH_SA")),
		GmailEndpoint:      strings.TrimSpace(getenv("DISCREET_GMAIL_ENDPOINT")),
		TrustCronHeader:    getenv("GAE_ENV") == "standard",
	}
	if cfg.GmailEndpoint != "" {
		if u, err := url.Parse(cfg.GmailEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, fmt.Errorf("DISCREET_GMAIL_ENDPOINT: %q is not an http(s) URL", cfg.GmailEndpoint)
		}
	}
	keyPath := strings.TrimSpace(getenv("DISCREET_GMAIL_DELEGATION_KEY"))
	if keyPath == "" {
		cfg.Disabled = "DISCREET_GMAIL_DELEGATION_KEY is not set (no domain-wide delegation to read mailboxes)"
		return cfg, nil
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		return cfg, fmt.Errorf("DISCREET_GMAIL_DELEGATION_KEY: cannot read the key file: %v", err)
	}
	if cfg.Tokens, err = Delegation(key); err != nil {
		return cfg, fmt.Errorf("DISCREET_GMAIL_DELEGATION_KEY: %v", err)
	}
	switch {
	case cfg.Topic == "":
		return cfg, errors.New("DISCREET_PUBSUB_TOPIC: is required when DISCREET_GMAIL_DELEGATION_KEY is set (projects/P/topics/T)")
	case !topicName.MatchString(cfg.Topic):
		return cfg, fmt.Errorf("DISCREET_PUBSUB_TOPIC: %q is not of the form projects/P/topics/T", cfg.Topic)
	case cfg.PushAudience == "":
		return cfg, errors.New("DISCREET_PUSH_AUDIENCE: is required when DISCREET_GMAIL_DELEGATION_KEY is set (the push subscription's token audience)")
	case cfg.PushServiceAccount == "":
		return cfg, errors.New("DISCREET_PUSH_SA: is required when DISCREET_GMAIL_DELEGATION_KEY is set (the push subscription's service account)")
	}
	return cfg, nil
}
