package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// limits bound every measured phase in requests and in time.
type limits struct {
	Requests    int
	Duration    time.Duration
	Concurrency int
}

// result is what one phase measured.
type result struct {
	Name     string
	N        int
	Elapsed  time.Duration
	Lat      []time.Duration // sorted
	Status   map[int]int
	Errors   int
	FirstErr string
	Mallocs  uint64 // whole process (client and in-process server)
}

func (r result) pct(p float64) time.Duration {
	if len(r.Lat) == 0 {
		return 0
	}
	return r.Lat[int(p*float64(len(r.Lat)-1))]
}

func (r result) perSec() float64 { return float64(r.N) / r.Elapsed.Seconds() }

func (r result) allocsPerReq() float64 {
	if r.N == 0 {
		return 0
	}
	return float64(r.Mallocs) / float64(r.N)
}

// drive calls do from lim.Concurrency workers until lim.Requests calls were
// made or lim.Duration passed, whichever is first. do gets the request
// number and its worker's number and returns the HTTP status.
func drive(ctx context.Context, name string, lim limits, do func(ctx context.Context, i, worker int) (int, error)) result {
	ctx, cancel := context.WithTimeout(ctx, lim.Duration)
	defer cancel()
	var (
		next   atomic.Int64
		mu     sync.Mutex
		res    = result{Name: name, Status: map[int]int{}}
		wg     sync.WaitGroup
		perLat = make([][]time.Duration, lim.Concurrency)
	)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for w := range lim.Concurrency {
		wg.Go(func() {
			lat := make([]time.Duration, 0, lim.Requests/lim.Concurrency+1)
			for {
				i := int(next.Add(1) - 1)
				if i >= lim.Requests || ctx.Err() != nil {
					break
				}
				t := time.Now()
				status, err := do(ctx, i, w)
				d := time.Since(t)
				if ctx.Err() != nil && err != nil {
					break // the phase's time ran out mid-request: not a failure
				}
				mu.Lock()
				res.Status[status]++
				if err != nil {
					res.Errors++
					if res.FirstErr == "" {
						res.FirstErr = err.Error()
					}
				}
				mu.Unlock()
				lat = append(lat, d)
			}
			perLat[w] = lat
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	runtime.ReadMemStats(&after)
	res.Mallocs = after.Mallocs - before.Mallocs
	for _, l := range perLat {
		res.Lat = append(res.Lat, l...)
	}
	slices.Sort(res.Lat)
	res.N = len(res.Lat)
	return res
}

// client is a keep-alive HTTP client with one idle connection per worker.
func client(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        concurrency * 2,
			MaxIdleConnsPerHost: concurrency * 2,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// ingestBodies returns n POST /v1/emails bodies: distinct messages from
// Anna to one of fifty customers, every fifth also to the Never Log domain
// (so it is refused with reason never_log_list).
func ingestBodies(run string, n int) [][]byte {
	out := make([][]byte, n)
	date := time.Now().UTC().Format(time.RFC1123Z)
	for i := range n {
		to := fmt.Sprintf("buyer%d@customer%d.example", i%50, i%5)
		if i%5 == 4 {
			to += ", payroll@hr-partner.example"
		}
		raw := fmt.Sprintf("From: Anna Schmidt <anna@acme.example>\r\nTo: %s\r\nSubject: Order %d: delivery dates\r\n"+
			"Message-ID: <load-%s-%d@acme.example>\r\nDate: %s\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n\r\nthe order %d ships next week; invoice attached.\r\n\r\nAnna\r\n",
			to, i, run, i, date, i)
		b, _ := json.Marshal(map[string]any{"raw": base64.RawURLEncoding.EncodeToString([]byte(raw)), "visibility": "team"})
		out[i] = b
	}
	return out
}

// postEmail sends body as Anna and checks the answer: 201 logged, or 200
// not logged because of the Never Log List.
func postEmail(ctx context.Context, c *http.Client, base string, body []byte, blocked bool) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/emails", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Dev-User", "anna@acme.example")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	want := http.StatusCreated
	if blocked {
		want = http.StatusOK
	}
	if resp.StatusCode != want {
		return resp.StatusCode, fmt.Errorf("POST /v1/emails: %d, want %d: %.200s", resp.StatusCode, want, b)
	}
	return resp.StatusCode, nil
}

// timelineReader follows a contact's timeline as Viewer: each worker reads
// up to pages pages by cursor, then starts again at the first.
type timelineReader struct {
	c       *http.Client
	base    string
	contact string
	pages   int
	minSeen atomic.Int64 // the fewest items a full page had (0 is a bug)
	cursors []string
	count   []int
}

func newTimelineReader(c *http.Client, base, contact string, workers, pages int) *timelineReader {
	r := &timelineReader{c: c, base: base, contact: contact, pages: pages,
		cursors: make([]string, workers), count: make([]int, workers)}
	r.minSeen.Store(1 << 30)
	return r
}

func (r *timelineReader) read(ctx context.Context, _, w int) (int, error) {
	u := r.base + "/v1/contacts/" + url.PathEscape(r.contact) + "/timeline?limit=20"
	if r.cursors[w] != "" {
		u += "&cursor=" + url.QueryEscape(r.cursors[w])
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Dev-User", Viewer)
	resp, err := r.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("GET timeline: %d: %.200s", resp.StatusCode, b)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
		Next  string            `json:"nextCursor"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		return resp.StatusCode, err
	}
	if page.Next != "" && int64(len(page.Items)) < r.minSeen.Load() {
		r.minSeen.Store(int64(len(page.Items)))
	}
	r.count[w]++
	r.cursors[w] = page.Next
	if r.count[w] >= r.pages {
		r.cursors[w], r.count[w] = "", 0
	}
	return resp.StatusCode, nil
}

// firstPage returns the body of the viewer's first timeline page, for the
// bare handler to answer with.
func firstPage(ctx context.Context, c *http.Client, base, contact string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/contacts/"+url.PathEscape(contact)+"/timeline?limit=20", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Dev-User", Viewer)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("first timeline page: %d: %.300s", resp.StatusCode, b)
	}
	return b, err
}
