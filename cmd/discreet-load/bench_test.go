package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/discreet-crm/discreet/store/sqlite"
)

// BenchmarkLogEmailHTTP is POST /v1/emails through the whole gateway
// in-process (no network, no client): allocs/op are the server's alone.
// Every fifth message is refused by the Never Log List, as in the load.
// cpu-µs/op is the process's CPU time (user and system, every goroutine:
// the store's writer and the GC included) per request; ns/op is wall time,
// which on disk is mostly waiting for fsync.
//
//	TMPDIR=/dev/shm go test -run='^$' -bench=HTTP -benchmem ./cmd/discreet-load
func BenchmarkLogEmailHTTP(b *testing.B) {
	benchHTTP(b, false)
}

// BenchmarkBareDecodeHTTP is the bare Echo handler the load compares with.
func BenchmarkBareDecodeHTTP(b *testing.B) {
	benchHTTP(b, true)
}

func benchHTTP(b *testing.B, bare bool) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h, svc := discreetHandler(st)
	if err := seedOrg(ctx, svc, st); err != nil {
		b.Fatal(err)
	}
	if bare {
		h = bareHandler(nil)
	}
	bodies := ingestBodies(b.Name(), 20000)
	b.ReportAllocs()
	i := 0
	cpu0 := cpuTime(b)
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/emails", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Dev-User", "anna@acme.example")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
		i++
	}
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(i), "cpu-µs/op")
}

// cpuTime is the CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
