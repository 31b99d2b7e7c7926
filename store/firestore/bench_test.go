package firestore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/policy"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/firestore"
)

// The benchmarks run on the emulator, whose latency is a Java process on
// loopback, not production Firestore; they measure what the adapter asks
// of Firestore (documents per page, round trips) more than time. See
// docs/perf-store-firestore.md.

const benchEmails = 2000 // modest: the emulator logs a few hundred emails a second

var bench struct {
	once    sync.Once
	s       *firestore.Store
	r       *reads
	keys    []string
	visible int
}

const benchContact, benchViewer = "kunde@kunde.example", "anna@acme.com"

func benchStore(b *testing.B) {
	bench.once.Do(func() {
		bench.s, bench.r = openCounting(b)
		start := time.Now()
		bench.visible = seedTimeline(b, bench.s, benchContact, benchViewer, benchEmails)
		b.Logf("seeded %d emails (%d readable by the viewer) in %v", benchEmails, bench.visible, time.Since(start).Round(time.Millisecond))
		viewer := discreet.User{Email: benchViewer, Role: discreet.RoleRep, Teams: []string{"de"}}
		bench.keys = policy.ViewerAudience(viewer, discreet.DefaultOrgSettings(), discreet.AccessFull)
	})
	if bench.s == nil {
		b.Skip("no benchmark store")
	}
}

func percentile(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000
}

// BenchmarkTimelinePage pages through the viewer's 10% of a 2,000-email
// timeline, 20 entries a page, with the hidden count.
func BenchmarkTimelinePage(b *testing.B) {
	benchStore(b)
	ctx := context.Background()
	for _, all := range []bool{false, true} {
		b.Run(fmt.Sprintf("all=%v", all), func(b *testing.B) {
			q := store.TimelineQuery{Contact: benchContact, Keys: bench.keys, Limit: 20, CountHidden: true, All: all}
			took := make([]time.Duration, 0, b.N)
			bench.r.reset()
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				p, err := bench.s.Timeline(ctx, q)
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				q.Cursor = p.Next
			}
			b.StopTimer()
			b.ReportMetric(float64(bench.r.queryDocs.Load())/float64(b.N), "docs/page")
			b.ReportMetric(float64(bench.r.lookupDocs.Load())/float64(b.N), "lookups/page")
			b.ReportMetric(float64(bench.r.aggregations.Load())/float64(b.N), "aggs/page")
			b.ReportMetric(percentile(took, 0.50), "p50-ms")
			b.ReportMetric(percentile(took, 0.99), "p99-ms")
		})
	}
}

var benchSeq atomic.Int64

func benchEmail(contacts ...string) discreet.Email {
	n := benchSeq.Add(1)
	mid := fmt.Sprintf("<bench-%d-%d@mail.example>", time.Now().UnixNano(), n)
	now := time.Now().UTC().Truncate(time.Microsecond)
	return discreet.Email{
		ID: policy.LegacyEmailID(mid, ""), MessageID: mid, Subject: "Offer", From: "rep@acme.com", To: contacts,
		Date: now, Direction: discreet.Outbound, Snippet: "Dear customer", Body: "Dear customer,\n\nour offer.\n",
		Owner: "rep@acme.com", Team: "de", Visibility: discreet.VisibilityPublic, Contacts: contacts,
		Participants: append([]string{"rep@acme.com"}, contacts...), Source: discreet.SourceButton, LoggedAt: now,
	}
}

// BenchmarkLogEmail logs new emails, each onto one shared contact and one
// new one: sequentially, and from 8 goroutines at once.
func BenchmarkLogEmail(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		took := make([]time.Duration, 0, b.N)
		for i := range b.N {
			t0 := time.Now()
			if _, _, err := s.LogEmail(ctx, written(benchEmail("shared@kunde.example", fmt.Sprintf("c%d@new.example", i)))); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(t0))
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "emails/s")
		b.ReportMetric(percentile(took, 0.50), "p50-ms")
		b.ReportMetric(percentile(took, 0.99), "p99-ms")
	})
	b.Run("parallel8", func(b *testing.B) {
		b.SetParallelism(4) // 4 goroutines per GOMAXPROCS (2 here): 8 loggers
		var i atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := i.Add(1)
				if _, _, err := s.LogEmail(ctx, written(benchEmail("shared@kunde.example", fmt.Sprintf("p%d@new.example", n)))); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "emails/s")
	})
}

// written is e as the service hands it to LogEmail, with its audience.
func written(e discreet.Email) store.EmailWrite {
	return store.EmailWrite{Email: e, Audience: policy.EmailAudience(e)}
}
