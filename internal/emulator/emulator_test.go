//go:build unix

package emulator

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// groupGone waits until no process of group pgid is left.
func groupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Kill(-pgid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still alive (kill -0: %v)", pgid, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The watchdog kills the group when the test process lets go of the pipe,
// as it does when it dies without running Stop.
func TestWatchdogKillsGroupOnEOF(t *testing.T) {
	p, err := startProcess("sleep", []string{"300"})
	if err != nil {
		t.Fatal(err)
	}
	pgid := p.cmd.Process.Pid
	if err := syscall.Kill(-pgid, 0); err != nil {
		t.Fatalf("group not running: %v", err)
	}
	p.pipe.Close()
	groupGone(t, pgid)
	<-p.done
	_ = p.watchdog.Wait()
}

func TestKillStopsWholeGroup(t *testing.T) {
	p, err := startProcess("sh", []string{"-c", "sleep 300 & sleep 300"})
	if err != nil {
		t.Fatal(err)
	}
	pgid := p.cmd.Process.Pid
	if err := p.kill(); err != nil {
		t.Fatal(err)
	}
	groupGone(t, pgid)
}

func TestFirestoreStartStop(t *testing.T) {
	e := Start(t, Firestore)
	resp, err := http.Get("http://" + e.Host + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Ok") {
		t.Errorf("GET / = %q, want Ok", body)
	}
	if err := e.Reset(context.Background(), ProjectID()); err != nil {
		t.Errorf("Reset: %v", err)
	}
	pgid := e.proc.cmd.Process.Pid
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	groupGone(t, pgid) // the Java server too, not only the gcloud wrapper
	if err := e.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestPubSubStartStop(t *testing.T) {
	e := Start(t, PubSub)
	resp, err := http.Get("http://" + e.Host + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Letting go of the watchdog's pipe, as a dying test binary does, takes
	// the Java server down with gcloud.
	pgid := e.proc.cmd.Process.Pid
	e.proc.pipe.Close()
	groupGone(t, pgid)
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestProjectIDUnique(t *testing.T) {
	a, b := ProjectID(), ProjectID()
	if a == b || !strings.HasPrefix(a, "test-") {
		t.Errorf("ProjectID() = %q, %q", a, b)
	}
}
