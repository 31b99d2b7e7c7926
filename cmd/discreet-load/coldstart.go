package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// buildServer builds ./cmd/discreet once into dir and returns the binary.
func buildServer(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "discreet")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/discreet")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/discreet: %w\n%s", err, b)
	}
	return bin, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// coldStart is one start of the binary: exec to the first 200 of /healthz
// and of an authenticated /v1/me.
type coldStart struct {
	Healthz, Me time.Duration
}

// startOnce execs bin on dataDir and times it, then stops it with SIGTERM.
func startOnce(ctx context.Context, bin, dataDir string) (coldStart, error) {
	port, err := freePort()
	if err != nil {
		return coldStart{}, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(port), "DISCREET_ADDR=127.0.0.1", "DISCREET_DEV_AUTH=1",
		"DISCREET_DATA_DIR="+dataDir, "DISCREET_STORE=sqlite")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return coldStart{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	deadline := start.Add(30 * time.Second)
	var cs coldStart
	for cs.Healthz == 0 {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return cs, fmt.Errorf("no 200 from /healthz within 30s; server said:\n%s", stderr.String())
		}
		if resp, err := c.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				cs.Healthz = time.Since(start)
				break
			}
		}
		time.Sleep(time.Millisecond)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/me", nil)
	req.Header.Set("X-Dev-User", "anna@acme.example")
	resp, err := c.Do(req)
	if err != nil {
		return cs, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return cs, fmt.Errorf("/v1/me: %d", resp.StatusCode)
	}
	cs.Me = time.Since(start)
	return cs, nil
}

// coldStarts runs the binary runs times, each on a fresh empty directory
// under tmp (the demo org is loaded before the port opens), then runs
// times on the existing data directory.
func coldStarts(ctx context.Context, bin, tmp, existing string, runs int) (empty, full []coldStart, err error) {
	for i := range runs {
		dir := filepath.Join(tmp, fmt.Sprintf("cold-empty-%d", i))
		cs, err := startOnce(ctx, bin, dir)
		if err != nil {
			return nil, nil, fmt.Errorf("cold start on an empty directory: %w", err)
		}
		empty = append(empty, cs)
	}
	if existing == "" {
		return empty, nil, nil
	}
	for range runs {
		cs, err := startOnce(ctx, bin, existing)
		if err != nil {
			return nil, nil, fmt.Errorf("cold start on %s: %w", existing, err)
		}
		full = append(full, cs)
	}
	return empty, full, nil
}

func summarize(runs []coldStart, f func(coldStart) time.Duration) string {
	if len(runs) == 0 {
		return "-"
	}
	ds := make([]time.Duration, len(runs))
	for i, r := range runs {
		ds[i] = f(r)
	}
	slices.Sort(ds)
	return fmt.Sprintf("min %s, median %s, max %s", ms(ds[0]), ms(ds[len(ds)/2]), ms(ds[len(ds)-1]))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
