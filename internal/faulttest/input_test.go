package faulttest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// These tests send hostile input to the binary as cmd/discreet builds it,
// so they check its http.Server settings, not a copy of them.

// TestOversizedHeaders: more than 64 KiB of headers is refused with 431
// before any handler runs.
func TestOversizedHeaders(t *testing.T) {
	srv := startServer(t, "DISCREET_DATA_DIR="+t.TempDir())
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/me", nil)
	req.Header.Set("X-Dev-User", "anna@acme.example")
	req.Header.Set("X-Padding", strings.Repeat("a", 80<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("80 KiB of headers: %d, want 431", resp.StatusCode)
	}
}

// TestOversizedBody: a body over DISCREET_MAX_BODY (1 MiB by default) is a
// 413 problem, whether its Content-Length says so or it is chunked.
func TestOversizedBody(t *testing.T) {
	srv := startServer(t, "DISCREET_DATA_DIR="+t.TempDir())
	body := []byte(`{"raw":"` + strings.Repeat("A", 2<<20) + `"}`)
	for _, chunked := range []bool{false, true} {
		var r io.Reader = bytes.NewReader(body)
		if chunked {
			r = io.MultiReader(bytes.NewReader(body)) // no length known: sent chunked
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/emails", r)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Dev-User", "anna@acme.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(b, []byte(`"code":"too_large"`)) {
			t.Errorf("2 MiB body (chunked=%v): %d %.200s, want 413 too_large", chunked, resp.StatusCode, b)
		}
	}
}

// TestDeeplyNestedJSON: deep nesting is a 400 naming the offset, not a
// stack blow-up or a slow parse, at any depth that fits in the body limit.
func TestDeeplyNestedJSON(t *testing.T) {
	srv := startServer(t, "DISCREET_DATA_DIR="+t.TempDir())
	for _, depth := range []int{17, 1000, 500_000} {
		body := `{"raw":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		for _, path := range []string{"/v1/emails", "/v1/never-log:check"} {
			start := time.Now()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Dev-User", "anna@acme.example")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("depth %d %s: %v", depth, path, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("nested deeper")) {
				t.Errorf("depth %d %s: %d %.200s, want 400 about nesting", depth, path, resp.StatusCode, b)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("depth %d %s took %v", depth, path, took)
			}
		}
	}
	// The server is still there.
	if status, _, b, err := call(t, http.DefaultClient, http.MethodGet, srv.URL+"/healthz", "", nil); err != nil || status != http.StatusOK {
		t.Fatalf("/healthz after deep JSON: %d %s %v", status, b, err)
	}
}

// TestSlowloris: a client that trickles its headers is cut off by the
// server's ReadHeaderTimeout (10 s in cmd/discreet), while a normal client
// is served meanwhile.
func TestSlowloris(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ReadHeaderTimeout (10 s)")
	}
	srv := startServer(t, "DISCREET_DATA_DIR="+t.TempDir())
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n", srv.Addr); err != nil {
		t.Fatal(err)
	}
	closed := make(chan time.Duration, 1)
	go func() {
		// The server answers (408 or nothing) and closes; reading sees EOF.
		_, _ = io.Copy(io.Discard, bufio.NewReader(conn))
		closed <- time.Since(start)
	}()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case took := <-closed:
			if took < 9*time.Second {
				t.Fatalf("cut off after %v, before ReadHeaderTimeout: the test is not trickling", took)
			}
			t.Logf("trickling client cut off after %v", took.Round(10*time.Millisecond))
			return
		case <-tick.C:
			if time.Since(start) > 20*time.Second {
				t.Fatal("a client trickling headers still holds its connection after 20 s")
			}
			// One more header byte; errors mean the server closed: wait for the reader.
			_, _ = conn.Write([]byte("X"))
			if i == 4 {
				if status, _, _, err := call(t, http.DefaultClient, http.MethodGet, srv.URL+"/healthz", "", nil); err != nil || status != http.StatusOK {
					t.Errorf("a normal client during the trickle: %d %v", status, err)
				}
			}
		}
	}
}
