//go:build unix

package emulator

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// process is an emulator's process group: gcloud leads it (gcloud itself
// calls setpgid(0, 0), so it must be the leader for one kill to reach the
// Java server it starts).
type process struct {
	cmd     *exec.Cmd
	out     *tailBuffer
	done    chan struct{}
	waitErr error

	// watchdog kills the group when its stdin, a pipe only the test
	// process holds, reaches EOF: the test binary died without Stop.
	watchdog *exec.Cmd
	pipe     *os.File
}

func startProcess(name string, args []string) (*process, error) {
	p := &process{out: &tailBuffer{max: 16 << 10}, done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// The output pipes stay open while any process of the group lives; do
	// not wait on them for long once the leader has exited.
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	pgid := p.cmd.Process.Pid
	if err := p.startWatchdog(pgid); err != nil {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
		return nil, err
	}
	return p, nil
}

func (p *process) startWatchdog(pgid int) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	wd := exec.Command("/bin/sh", "-c", `cat >/dev/null; kill -s KILL -- -"$1"`, "watchdog", strconv.Itoa(pgid))
	wd.Stdin = r
	wd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := wd.Start(); err != nil {
		w.Close()
		return err
	}
	p.watchdog, p.pipe = wd, w
	return nil
}

// kill sends SIGKILL to the whole process group (the gcloud wrapper, the
// emulator script and its Java server) and waits for the leader to exit.
func (p *process) kill() error {
	// The watchdog goes first, so it never signals a group id that the
	// system may hand out again once this group is gone.
	_ = p.watchdog.Process.Kill()
	_ = p.watchdog.Wait()
	p.pipe.Close()

	err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		err = nil // already gone
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		return errors.New("emulator: process group did not exit within 10s of SIGKILL")
	}
	return err
}
