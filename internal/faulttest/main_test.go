// Package faulttest breaks Discreet on purpose: the server killed with
// SIGKILL mid-write, the Firestore emulator stopped mid-run, Gmail
// answering 429/500 or nothing, and hostile input (huge headers and
// bodies, a trickling client, deep JSON). Most tests run the real binary,
// built once from ./cmd/discreet, as a subprocess.
package faulttest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binDir  string
	binPath string
	binOnce sync.Once
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds ./cmd/discreet once per test run.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			binErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		if binDir, binErr = os.MkdirTemp("", "discreet-faulttest-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "discreet")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/discreet")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/discreet: %w\n%s", err, b)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is one running discreet binary.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	URL  string
	Addr string
	out  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs the binary with env (on top of dev sign-in on a free
// loopback port) and waits for /healthz. It is stopped at the end of the
// test unless killed before.
func startServer(t *testing.T, env ...string) *proc {
	t.Helper()
	port := freePort(t)
	p := &proc{t: t, Addr: "127.0.0.1:" + strconv.Itoa(port), out: &syncBuffer{}, done: make(chan struct{})}
	p.URL = "http://" + p.Addr
	p.cmd = exec.Command(binary(t))
	p.cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "DISCREET_ADDR=127.0.0.1", "DISCREET_DEV_AUTH=1")
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := c.Get(p.URL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("the server exited before answering /healthz:\n%s", p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 200 from /healthz within 30s:\n%s", p.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.kill()
	}
}

// call sends a request as user (X-Dev-User; "" for none) with a JSON body
// when body is not nil, and returns the status, headers and body.
func call(t *testing.T, c *http.Client, method, url, user string, body any) (int, http.Header, []byte, error) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("X-Dev-User", user)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// rawMessage is an RFC 5322 message, base64url as POST /v1/emails wants it.
func rawMessage(from, to, subject, messageID string) string {
	m := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n", from, to, subject, messageID)
	return base64.RawURLEncoding.EncodeToString([]byte(m))
}

// logResponse is the part of POST /v1/emails' answer the tests read.
type logResponse struct {
	Decision struct {
		Logged bool   `json:"logged"`
		Reason string `json:"reason"`
	} `json:"decision"`
	Email *struct {
		ID string `json:"id"`
	} `json:"email"`
}
