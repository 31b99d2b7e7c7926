// Package emulator runs Google Cloud emulators (Firestore, Pub/Sub) for
// tests, through the gcloud command-line tool.
//
// Each emulator runs in its own process group, led by gcloud, on a free
// 127.0.0.1 port and is stopped by killing the whole group: gcloud is a
// Python wrapper around a shell script around a Java server, and killing
// only the wrapper leaves Java running. A small watchdog shell also kills
// the group when the test binary dies without cleaning up (panic, timeout,
// SIGKILL): it reads a pipe only the test process holds and acts on EOF.
//
// Start-up takes several seconds, so a test package starts one emulator
// (see Shared, or Launch from TestMain) and gives each test its own project
// id (ProjectID): projects never see each other's data.
//
// Without gcloud (or Java) a test is skipped on a laptop, and fails in CI
// (env CI set): CI must never silently skip the real backend.
package emulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kind names an emulator gcloud can run.
type Kind string

const (
	Firestore Kind = "firestore"
	PubSub    Kind = "pubsub"
)

// EnvHost is the environment variable the Google client library of kind
// reads to find its emulator.
func (k Kind) EnvHost() string {
	switch k {
	case Firestore:
		return "FIRESTORE_EMULATOR_HOST"
	case PubSub:
		return "PUBSUB_EMULATOR_HOST"
	}
	return ""
}

// args are gcloud's arguments to start kind on hostPort, then extra.
func (k Kind) args(hostPort string, extra []string) ([]string, error) {
	var args []string
	switch k {
	case Firestore:
		args = []string{"emulators", "firestore", "start", "--host-port=" + hostPort}
	case PubSub:
		args = []string{"beta", "emulators", "pubsub", "start", "--host-port=" + hostPort}
	default:
		return nil, fmt.Errorf("emulator: unknown kind %q", k)
	}
	return append(args, extra...), nil
}

// ErrNotInstalled is wrapped by the error Launch returns when gcloud or
// Java is missing; Require skips on it outside CI.
var ErrNotInstalled = errors.New("emulator: not installed")

// StartTimeout bounds how long Launch waits for the emulator to answer.
var StartTimeout = 90 * time.Second

// Emulator is one running emulator.
type Emulator struct {
	Kind Kind
	// Host is host:port of the emulator's API, the value of Kind.EnvHost().
	Host string

	proc     *process
	stopOnce sync.Once
	stopErr  error
}

// Launch starts an emulator of kind and waits until it answers; extra
// arguments go to gcloud after the kind's own (e.g. "--rules=FILE" for
// Firestore). The caller must call Stop. An error wraps ErrNotInstalled
// when gcloud or Java is not on PATH, and says how to install them.
func Launch(ctx context.Context, kind Kind, extra ...string) (*Emulator, error) {
	if err := installed(kind); err != nil {
		return nil, err
	}
	var lastErr error
	// A free port may be taken between picking and binding it; try again
	// on a new one.
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		hostPort := net.JoinHostPort("127.0.0.1", port)
		args, err := kind.args(hostPort, extra)
		if err != nil {
			return nil, err
		}
		p, err := startProcess("gcloud", args)
		if err != nil {
			return nil, fmt.Errorf("emulator: starting gcloud %s: %w", strings.Join(args, " "), err)
		}
		if err := waitReady(ctx, hostPort, p); err != nil {
			p.kill()
			lastErr = fmt.Errorf("emulator: %s on %s did not start: %w\n--- emulator output (tail) ---\n%s", kind, hostPort, err, p.out.tail())
			if ctx.Err() != nil {
				return nil, lastErr
			}
			continue
		}
		return &Emulator{Kind: kind, Host: hostPort, proc: p}, nil
	}
	return nil, lastErr
}

// Stop kills the emulator's whole process group and waits for it to exit.
// It is safe to call more than once.
func (e *Emulator) Stop() error {
	if e == nil {
		return nil
	}
	e.stopOnce.Do(func() { e.stopErr = e.proc.kill() })
	return e.stopErr
}

// Output returns the tail of what the emulator printed, for diagnostics.
func (e *Emulator) Output() string { return e.proc.out.tail() }

// Reset deletes every document of a Firestore project on the emulator.
// Tests that use their own ProjectID need not call it.
func (e *Emulator) Reset(ctx context.Context, project string) error {
	if e.Kind != Firestore {
		return fmt.Errorf("emulator: reset is only supported for firestore, not %s", e.Kind)
	}
	url := "http://" + e.Host + "/emulator/v1/projects/" + project + "/databases/(default)/documents"
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("emulator: reset %s: %w", project, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("emulator: reset %s: %s", project, resp.Status)
	}
	return nil
}

// ProjectID returns a new project id ("test-" and 12 random hex digits), so
// each test on a shared emulator sees only its own data.
func ProjectID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "test-" + hex.EncodeToString(b[:])
}

// Start launches an emulator for one test and stops it when the test ends.
// It skips the test when gcloud is missing outside CI, and fails it in CI.
func Start(t testing.TB, kind Kind, extra ...string) *Emulator {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	e, err := Launch(ctx, kind, extra...)
	Require(t, err)
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Logf("emulator: stop: %v", err)
		}
	})
	return e
}

// StartFirestore launches a Firestore emulator for one test, points the
// Firestore client at it (t.Setenv FIRESTORE_EMULATOR_HOST) and returns
// its host:port.
func StartFirestore(t testing.TB) string {
	t.Helper()
	e := Start(t, Firestore)
	if tt, ok := t.(interface{ Setenv(k, v string) }); ok {
		tt.Setenv(Firestore.EnvHost(), e.Host)
	}
	return e.Host
}

// Require ends the test when err (from Launch) is not nil: a skip when the
// emulator is not installed and CI is unset, a failure otherwise.
func Require(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skipf("%v (skipped outside CI; set CI=true to make this a failure)", err)
	}
	t.Fatal(err)
}

// Shared is one emulator for a whole test package, started on first use
// and stopped from TestMain:
//
//	var firestoreEmulator = emulator.NewShared(emulator.Firestore)
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		firestoreEmulator.Stop()
//		os.Exit(code)
//	}
//
//	func TestX(t *testing.T) { host := firestoreEmulator.Host(t) … }
//
// Starting lazily means `go test -run` of tests that need no emulator does
// not pay for one.
type Shared struct {
	kind  Kind
	extra []string
	once  sync.Once
	emu   *Emulator
	err   error
}

// NewShared returns a Shared emulator of kind, not yet started; extra are
// passed to Launch.
func NewShared(kind Kind, extra ...string) *Shared { return &Shared{kind: kind, extra: extra} }

// Get returns the package's emulator, starting it on first call; it skips
// or fails t as Require does when it cannot start. Get also sets
// Kind.EnvHost() in the process environment, so clients created by the
// test find the emulator.
func (s *Shared) Get(t testing.TB) *Emulator {
	t.Helper()
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
		defer cancel()
		s.emu, s.err = Launch(ctx, s.kind, s.extra...)
		if s.err == nil {
			s.err = os.Setenv(s.kind.EnvHost(), s.emu.Host)
		}
	})
	Require(t, s.err)
	return s.emu
}

// Host is Get(t).Host.
func (s *Shared) Host(t testing.TB) string {
	t.Helper()
	return s.Get(t).Host
}

// Stop stops the emulator if it was started.
func (s *Shared) Stop() error {
	if s.emu == nil {
		return nil
	}
	return s.emu.Stop()
}

func installed(kind Kind) error {
	if _, err := exec.LookPath("gcloud"); err != nil {
		return fmt.Errorf("%w: the %s emulator needs the gcloud CLI on PATH, and it is not there; "+
			"install it with `apt-get install google-cloud-cli google-cloud-cli-%s-emulator openjdk-17-jre-headless` "+
			"(Debian, from Google's apt repository) or see https://cloud.google.com/sdk/docs/install, "+
			"then `gcloud components install %s-emulator` if gcloud is not from apt", ErrNotInstalled, kind, kind, componentName(kind))
	}
	if _, err := exec.LookPath("java"); err != nil {
		return fmt.Errorf("%w: the %s emulator runs on Java (17 or later), and `java` is not on PATH; "+
			"install it with `apt-get install openjdk-17-jre-headless`", ErrNotInstalled, kind)
	}
	return nil
}

func componentName(kind Kind) string {
	if kind == Firestore {
		return "cloud-firestore"
	}
	return string(kind)
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("emulator: finding a free port: %w", err)
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// waitReady polls the emulator's HTTP endpoint until it answers, the
// process exits or ctx ends.
func waitReady(ctx context.Context, hostPort string, p *process) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+hostPort+"/", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return fmt.Errorf("the emulator exited early (%v)", p.waitErr)
		case <-tick.C:
		}
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
