package faulttest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// firestoreEmulator is a Firestore emulator this test starts and stops on
// one port. internal/emulator picks a new port per start, and this test
// needs the emulator back where the server expects it, so it runs gcloud
// the same way: in its own process group, stopped by killing the group.
type firestoreEmulator struct {
	t    *testing.T
	host string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

func requireGcloud(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"gcloud", "java"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "" {
				t.Skipf("%s is not on PATH (skipped outside CI; CI must have the Firestore emulator)", tool)
			}
			t.Fatalf("%s is not on PATH; CI needs the Firestore emulator", tool)
		}
	}
}

func (e *firestoreEmulator) start() {
	e.t.Helper()
	e.out = &syncBuffer{}
	e.done = make(chan struct{})
	e.cmd = exec.Command("gcloud", "emulators", "firestore", "start", "--host-port="+e.host)
	e.cmd.Stdout, e.cmd.Stderr = e.out, e.out
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	e.cmd.WaitDelay = 5 * time.Second
	if err := e.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := e.done
	cmd := e.cmd
	go func() { _ = cmd.Wait(); close(done) }()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if resp, err := c.Get("http://" + e.host + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			e.t.Fatalf("the Firestore emulator exited:\n%s", e.out.String())
		default:
		}
		if time.Now().After(deadline) {
			e.stop()
			e.t.Fatalf("the Firestore emulator did not answer within 90s:\n%s", e.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop kills the emulator's whole process group (gcloud, its shell script
// and the Java server) and waits for gcloud to exit.
func (e *firestoreEmulator) stop() {
	if e.cmd == nil {
		return
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.done
	e.cmd = nil
}

// TestFirestoreOutageAndRecovery stops the Firestore emulator under a
// running server: requests answer 503 with Retry-After and /readyz fails;
// when the emulator is back on the same port the same server process
// serves again.
func TestFirestoreOutageAndRecovery(t *testing.T) {
	requireGcloud(t)
	emu := &firestoreEmulator{t: t, host: "127.0.0.1:" + strconv.Itoa(freePort(t))}
	emu.start()
	t.Cleanup(emu.stop)

	const admin = "admin@acme.example"
	srv := startServer(t, "DISCREET_STORE=firestore", "GOOGLE_CLOUD_PROJECT=faulttest-outage",
		"FIRESTORE_EMULATOR_HOST="+emu.host, "DISCREET_BOOTSTRAP_ADMINS="+admin)
	c := &http.Client{Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()

	n := 0
	logOne := func() (int, http.Header, []byte) {
		t.Helper()
		n++
		body := map[string]any{"raw": rawMessage(admin, "buyer@outage-customer.example", "Outage", fmt.Sprintf("outage-%d-%d@acme.example", time.Now().UnixNano(), n))}
		status, h, b, err := call(t, c, http.MethodPost, srv.URL+"/v1/emails", admin, body)
		if err != nil {
			t.Fatalf("POST /v1/emails: %v", err)
		}
		return status, h, b
	}
	setup := func() {
		t.Helper()
		status, _, b, err := call(t, c, http.MethodPut, srv.URL+"/v1/settings/org", admin, map[string]any{
			"internalDomains": []string{"acme.example"}, "defaultLog": true, "defaultVisibility": "public",
			"contactAccess": map[string]string{"admin": "all", "manager": "team", "rep": "team"},
			"hiddenEmails":  "count", "storeBodies": true, "maxBodyBytes": 65536,
		})
		if err != nil || status != http.StatusOK {
			t.Fatalf("PUT /v1/settings/org: %d %s %v", status, b, err)
		}
	}
	setup()
	if status, _, b := logOne(); status != http.StatusCreated {
		t.Fatalf("before the outage: %d %s", status, b)
	}

	emu.stop()
	status, h, b, err := call(t, c, http.MethodGet, srv.URL+"/readyz", "", nil)
	if err != nil || status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Errorf("/readyz during the outage: %d (Retry-After %q) %s %v; want 503", status, h.Get("Retry-After"), b, err)
	}
	// A request that needs the store must fail fast with 503, not hang: the
	// client gives it 15 s.
	short := &http.Client{Timeout: 15 * time.Second}
	start := time.Now()
	body := map[string]any{"raw": rawMessage(admin, "buyer@outage-customer.example", "Outage", fmt.Sprintf("outage-down-%d@acme.example", time.Now().UnixNano()))}
	status, h, b, err = call(t, short, http.MethodPost, srv.URL+"/v1/emails", admin, body)
	took := time.Since(start).Round(time.Millisecond)
	short.CloseIdleConnections()
	switch {
	case err != nil:
		t.Errorf("POST /v1/emails during a Firestore outage got no answer within %v (%v); want 503 at the request deadline", took, err)
	case status != http.StatusServiceUnavailable || h.Get("Retry-After") == "":
		t.Errorf("POST /v1/emails during the outage: %d (Retry-After %q) after %v: %s; want 503 with Retry-After", status, h.Get("Retry-After"), took, b)
	case !bytes.Contains(b, []byte(`"code":"unavailable"`)):
		t.Errorf("POST /v1/emails during the outage: problem %s, want code unavailable", b)
	default:
		t.Logf("during the outage POST /v1/emails answered 503 after %v", took)
	}

	emu.start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, _, _, err := call(t, c, http.MethodGet, srv.URL+"/readyz", "", nil)
		if err == nil && status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 30s after the emulator came back", status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The emulator keeps data in memory: it came back empty, as after a
	// disaster; the server must serve it without a restart.
	setup()
	if status, _, b := logOne(); status != http.StatusCreated {
		t.Fatalf("after the emulator came back: %d %s, want 201", status, b)
	}
	select {
	case <-srv.done:
		t.Fatal("the server exited during the outage")
	default:
	}
}
