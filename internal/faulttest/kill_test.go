package faulttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestKill9DuringLogging kills the server with SIGKILL while 2000 logging
// requests are in flight, restarts it on the same data directory, and
// checks that every acknowledged email survived, exactly once.
func TestKill9DuringLogging(t *testing.T) {
	dataDir := t.TempDir()
	env := []string{"DISCREET_DATA_DIR=" + dataDir, "DISCREET_STORE=sqlite"}
	srv := startServer(t, env...)

	const (
		total    = 2000
		workers  = 64
		contacts = 10
		killAt   = 300 // acknowledgements before the kill
	)
	run := fmt.Sprint(time.Now().UnixNano())
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer c.CloseIdleConnections()
	var (
		mu      sync.Mutex
		acked   = map[string]string{} // email id → contact
		next    atomic.Int64
		nacked  atomic.Int64
		killed  = make(chan struct{})
		once    sync.Once
		wg      sync.WaitGroup
		refused atomic.Int64
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= total {
					return
				}
				contact := fmt.Sprintf("buyer%d@kill-customer.example", i%contacts)
				body := map[string]any{"raw": rawMessage("anna@acme.example", contact, fmt.Sprintf("Order %d", i), fmt.Sprintf("kill-%s-%d@acme.example", run, i))}
				status, _, b, err := call(t, c, http.MethodPost, srv.URL+"/v1/emails", "anna@acme.example", body)
				if err != nil {
					refused.Add(1)
					continue // the server is gone: not acknowledged
				}
				if status != http.StatusCreated && status != http.StatusOK {
					t.Errorf("POST /v1/emails: %d %s", status, b)
					continue
				}
				var res logResponse
				if err := json.Unmarshal(b, &res); err != nil || res.Email == nil || !res.Decision.Logged {
					t.Errorf("POST /v1/emails: %d but not logged: %s", status, b)
					continue
				}
				mu.Lock()
				acked[res.Email.ID] = contact
				mu.Unlock()
				if nacked.Add(1) == killAt {
					once.Do(func() {
						srv.kill()
						close(killed)
					})
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("all %d requests were answered before the kill; log more", total)
	}
	t.Logf("acknowledged %d of %d before and during the kill; %d requests got no answer", len(acked), total, refused.Load())
	if refused.Load() == 0 {
		t.Fatal("no request failed: the kill did not happen during the load")
	}

	srv = startServer(t, env...)
	for id := range acked {
		status, _, b, err := call(t, c, http.MethodGet, srv.URL+"/v1/emails/"+url.PathEscape(id), "anna@acme.example", nil)
		if err != nil || status != http.StatusOK {
			t.Errorf("acknowledged email %s after the restart: %d %s %v", id, status, b, err)
		}
	}
	seen := map[string]int{}
	for i := range contacts {
		contact := fmt.Sprintf("buyer%d@kill-customer.example", i)
		cursor := ""
		for {
			u := srv.URL + "/v1/contacts/" + url.PathEscape(contact) + "/timeline?limit=100"
			if cursor != "" {
				u += "&cursor=" + url.QueryEscape(cursor)
			}
			status, _, b, err := call(t, c, http.MethodGet, u, "anna@acme.example", nil)
			if err != nil || status != http.StatusOK {
				t.Fatalf("timeline of %s: %d %s %v", contact, status, b, err)
			}
			var page struct {
				Items []struct {
					Email *struct {
						ID       string   `json:"id"`
						Contacts []string `json:"contacts"`
					} `json:"email"`
				} `json:"items"`
				Next string `json:"nextCursor"`
			}
			if err := json.Unmarshal(b, &page); err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				if it.Email == nil {
					t.Fatalf("timeline of %s shows an email Anna logged as hidden", contact)
				}
				seen[it.Email.ID]++
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("email %s is on the timelines %d times", id, n)
		}
	}
	for id, contact := range acked {
		if seen[id] != 1 {
			t.Errorf("acknowledged email %s is missing from the timeline of %s", id, contact)
		}
	}
}
