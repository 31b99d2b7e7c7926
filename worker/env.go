package worker

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Env is the deployment's choice of job driver, read by EnvConfig.
type Env struct {
	// Driver is "embedded" or "pubsub".
	Driver string
	// Topic, PushAudience and PushServiceAccount configure "pubsub".
	Topic              string
	PushAudience       string
	PushServiceAccount string
	// Lease is how long a job stays with an instance that stopped renewing
	// its lease (0: the service's default).
	Lease time.Duration
}

var topicName = regexp.MustCompile(`^projects/[^/]+/topics/[^/]+$`)

// EnvConfig reads:
//
//	DISCREET_JOBS                embedded (default) or pubsub
//	DISCREET_JOBS_TOPIC          projects/P/topics/T whose push subscription
//	                             delivers to /v1/jobs:run (pubsub)
//	DISCREET_JOBS_PUSH_AUDIENCE  audience of that subscription's token (pubsub)
//	DISCREET_JOBS_PUSH_SA        that subscription's service account (pubsub)
//	DISCREET_JOB_LEASE           how long a job stays with an instance that
//	                             died before another takes it over (default 1m)
//
// Errors name the variable at fault.
func EnvConfig(getenv func(string) string) (Env, error) {
	c := Env{
		Driver:             strings.TrimSpace(getenv("DISCREET_JOBS")),
		Topic:              strings.TrimSpace(getenv("DISCREET_JOBS_TOPIC")),
		PushAudience:       strings.TrimSpace(getenv("DISCREET_JOBS_PUSH_AUDIENCE")),
		PushServiceAccount: strings.TrimSpace(getenv("DISCREET_JOBS_PUSH_SA")),
	}
	if v := strings.TrimSpace(getenv("DISCREET_JOB_LEASE")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			return c, fmt.Errorf("DISCREET_JOB_LEASE: %q is not a duration between 1s and 1h (like 1m)", v)
		}
		c.Lease = d
	}
	switch c.Driver {
	case "", "embedded":
		c.Driver = "embedded"
		return c, nil
	case "pubsub":
	default:
		return c, fmt.Errorf("DISCREET_JOBS: %q is not a job driver; use embedded or pubsub", c.Driver)
	}
	switch {
	case !topicName.MatchString(c.Topic):
		return c, fmt.Errorf("DISCREET_JOBS_TOPIC: %q is not of the form projects/P/topics/T (required when DISCREET_JOBS=pubsub)", c.Topic)
	case c.PushAudience == "":
		return c, fmt.Errorf("DISCREET_JOBS_PUSH_AUDIENCE: is required when DISCREET_JOBS=pubsub (the push subscription's token audience)")
	case c.PushServiceAccount == "":
		return c, fmt.Errorf("DISCREET_JOBS_PUSH_SA: is required when DISCREET_JOBS=pubsub (the push subscription's service account)")
	}
	return c, nil
}

// ProjectOf is the project of a topic name projects/P/topics/T.
func ProjectOf(topic string) string {
	p := strings.TrimPrefix(topic, "projects/")
	p, _, _ = strings.Cut(p, "/")
	return p
}
