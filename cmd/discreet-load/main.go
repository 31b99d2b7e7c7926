// Command discreet-load measures Discreet on this machine: logging emails
// (POST /v1/emails, one in five refused by the Never Log List) and reading
// a 100k-email timeline of which the viewer may read 1%, each next to a bare
// Echo handler doing the same JSON work (the HTTP ceiling here), on the
// embedded store and on the Firestore emulator; and the binary's cold
// start to the first 200.
//
// It starts everything itself on loopback, refuses any other target, and
// stops by itself: every phase is bounded by -requests and -duration, the
// whole run by -timeout.
//
//	go run ./cmd/discreet-load                       # embedded store
//	go run ./cmd/discreet-load -store both           # and the Firestore emulator
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/discreet-crm/discreet/internal/emulator"
	"github.com/discreet-crm/discreet/store"
	"github.com/discreet-crm/discreet/store/firestore"
	"github.com/discreet-crm/discreet/store/sqlite"
)

type options struct {
	lim           limits
	store         string
	seed          int
	firestoreSeed int
	coldRuns      int
	timeout       time.Duration
	tmp           string
	dataParent    string
	cpuProfile    string
	ingestProfile string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "discreet-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out, progress io.Writer) error {
	fs := flag.NewFlagSet("discreet-load", flag.ContinueOnError)
	var o options
	fs.DurationVar(&o.lim.Duration, "duration", 10*time.Second, "longest time of each measured phase")
	fs.IntVar(&o.lim.Requests, "requests", 20000, "most requests of each measured phase")
	fs.IntVar(&o.lim.Concurrency, "concurrency", 32, "concurrent clients")
	fs.StringVar(&o.store, "store", "sqlite", "sqlite, firestore or both")
	fs.IntVar(&o.seed, "seed", 100_000, "emails on the big timeline (embedded store)")
	fs.IntVar(&o.firestoreSeed, "firestore-seed", 2000, "emails on the big timeline (Firestore emulator)")
	fs.IntVar(&o.coldRuns, "coldstart-runs", 5, "cold starts per data directory (0 skips)")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "longest time of the whole run, seeding included")
	fs.StringVar(&o.dataParent, "datadir", "", "directory under which the embedded store's data dir is made (default: the temp dir; /dev/shm shows the cost without fsync)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the discreet timeline phase (embedded store) to this file")
	fs.StringVar(&o.ingestProfile, "ingestprofile", "", "write a CPU profile of the discreet ingest phase (embedded store) to this file")
	target := fs.String("target", "", "not supported beyond a check: the tool starts its own servers; any non-loopback URL is refused")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target != "" {
		if err := requireLoopback(*target); err != nil {
			return err
		}
		return errors.New("-target: the tool measures the servers it starts itself; drop the flag")
	}
	if o.lim.Requests < 1 || o.lim.Concurrency < 1 || o.lim.Duration <= 0 || o.seed < 100 || o.firestoreSeed < 100 {
		return errors.New("-requests, -concurrency and -duration must be positive, -seed and -firestore-seed at least 100")
	}
	if o.store != "sqlite" && o.store != "firestore" && o.store != "both" {
		return fmt.Errorf("-store %q: use sqlite, firestore or both", o.store)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	tmp, err := os.MkdirTemp("", "discreet-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	o.tmp = tmp

	fmt.Fprintf(out, "# discreet-load %s\n\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(out, "machine: %s\n", machine())
	fmt.Fprintf(out, "flags: -duration %s -requests %d -concurrency %d -store %s -seed %d -firestore-seed %d\n\n",
		o.lim.Duration, o.lim.Requests, o.lim.Concurrency, o.store, o.seed, o.firestoreSeed)

	if o.store != "firestore" {
		if err := runSQLite(ctx, o, out, progress); err != nil {
			return fmt.Errorf("embedded store: %w", err)
		}
	}
	if o.store != "sqlite" {
		if err := runFirestore(ctx, o, out, progress); err != nil {
			return fmt.Errorf("firestore emulator: %w", err)
		}
	}
	return nil
}

func runSQLite(ctx context.Context, o options, out, progress io.Writer) error {
	// Seed on tmpfs when there is one (no fsync per email), then copy the
	// closed database to a directory on disk, where the server runs.
	seedDir := filepath.Join(o.tmp, "seed")
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "discreet-load-seed-"); err == nil {
			seedDir = d
			defer os.RemoveAll(d)
		}
	}
	dataDir := filepath.Join(o.tmp, "data")
	if o.dataParent != "" {
		d, err := os.MkdirTemp(o.dataParent, "discreet-load-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dataDir = d
	}
	start := time.Now()
	st, err := sqlite.Open(ctx, seedDir)
	if err != nil {
		return err
	}
	_, svc := discreetHandler(st)
	if err := seedOrg(ctx, svc, st); err != nil {
		st.Close()
		return fmt.Errorf("seeding the demo org: %w", err)
	}
	fmt.Fprintf(progress, "seeding %d emails through store.LogEmail in %s\n", o.seed, seedDir)
	if err := seedBig(ctx, st, o.seed, 4, progress); err != nil {
		st.Close()
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	if err := copyDB(seedDir, dataDir); err != nil {
		return err
	}
	fmt.Fprintf(out, "## embedded store (SQLite, data dir: %s)\n\nseeded %d emails on %s (store.LogEmail from 4 goroutines on %s, then copied to disk) in %s\n\n",
		dataDir, o.seed, BigContact, seedDir, time.Since(start).Round(time.Millisecond))

	st2, err := sqlite.Open(ctx, dataDir)
	if err != nil {
		return err
	}
	if err := measure(ctx, o, st2, out, progress); err != nil {
		st2.Close()
		return err
	}
	if err := st2.Close(); err != nil {
		return err
	}

	if o.coldRuns > 0 {
		fmt.Fprintf(progress, "building ./cmd/discreet for the cold starts\n")
		bin, err := buildServer(ctx, o.tmp)
		if err != nil {
			return err
		}
		empty, full, err := coldStarts(ctx, bin, o.tmp, dataDir, o.coldRuns)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "### cold start: exec of the built binary → first 200 (%d runs each)\n\n", o.coldRuns)
		fmt.Fprintf(out, "| data dir | /healthz | /v1/me (dev sign-in) |\n|---|---|---|\n")
		fmt.Fprintf(out, "| empty (demo org loaded before listening) | %s | %s |\n", summarize(empty, func(c coldStart) time.Duration { return c.Healthz }), summarize(empty, func(c coldStart) time.Duration { return c.Me }))
		fmt.Fprintf(out, "| existing, %d emails + this run's ingest | %s | %s |\n\n", o.seed, summarize(full, func(c coldStart) time.Duration { return c.Healthz }), summarize(full, func(c coldStart) time.Duration { return c.Me }))
	}
	return nil
}

func runFirestore(ctx context.Context, o options, out, progress io.Writer) error {
	host := os.Getenv("FIRESTORE_EMULATOR_HOST")
	if host == "" {
		fmt.Fprintf(progress, "starting the Firestore emulator (gcloud)\n")
		e, err := emulator.Launch(ctx, emulator.Firestore)
		if err != nil {
			return err
		}
		defer e.Stop()
		host = e.Host
		os.Setenv("FIRESTORE_EMULATOR_HOST", host)
		defer os.Unsetenv("FIRESTORE_EMULATOR_HOST")
	}
	if err := requireLoopback("http://" + host); err != nil {
		return err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	project := "load-" + hex.EncodeToString(b[:])
	start := time.Now()
	st, err := firestore.New(ctx, project)
	if err != nil {
		return err
	}
	defer st.Close()
	_, svc := discreetHandler(st)
	if err := seedOrg(ctx, svc, st); err != nil {
		return fmt.Errorf("seeding the demo org: %w", err)
	}
	fmt.Fprintf(progress, "seeding %d emails through store.LogEmail on the emulator\n", o.firestoreSeed)
	if err := seedBig(ctx, st, o.firestoreSeed, 32, progress); err != nil {
		return err
	}
	fmt.Fprintf(out, "## Firestore emulator (%s, project %s)\n\nseeded %d emails on %s (store.LogEmail from 32 goroutines; smaller than the embedded store's %d: the emulator is an in-memory Java test server, not Firestore) in %s\n\n",
		host, project, o.firestoreSeed, BigContact, o.seed, time.Since(start).Round(time.Millisecond))
	o.cpuProfile, o.ingestProfile = "", "" // profiles cover the embedded store only
	return measure(ctx, o, st, out, progress)
}

// measure serves st and a bare handler side by side and drives both.
func measure(ctx context.Context, o options, st store.Store, out, progress io.Writer) error {
	h, _ := discreetHandler(st)
	srv, err := serve(h)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := requireLoopback(srv.URL); err != nil {
		return err
	}
	c := client(o.lim.Concurrency)
	page, err := firstPage(ctx, c, srv.URL, BigContact)
	if err != nil {
		return err
	}
	bare, err := serve(bareHandler(page))
	if err != nil {
		return err
	}
	defer bare.Close()
	if err := requireLoopback(bare.URL); err != nil {
		return err
	}

	var b [4]byte
	_, _ = rand.Read(b[:])
	bodies := ingestBodies(hex.EncodeToString(b[:]), o.lim.Requests)
	warm := min(200, len(bodies))
	for i := range warm { // warm connections and caches; not measured
		if _, err := postEmail(ctx, c, bare.URL, bodies[i], false); err != nil {
			return err
		}
	}

	fmt.Fprintf(progress, "ingest: bare handler\n")
	rBare := drive(ctx, "POST /v1/emails — bare Echo decode", o.lim, func(ctx context.Context, i, _ int) (int, error) {
		return postEmail(ctx, c, bare.URL, bodies[i], false)
	})
	fmt.Fprintf(progress, "ingest: discreet\n")
	stop, err := startProfile(o.ingestProfile)
	if err != nil {
		return err
	}
	rLog := drive(ctx, "POST /v1/emails — discreet", o.lim, func(ctx context.Context, i, _ int) (int, error) {
		return postEmail(ctx, c, srv.URL, bodies[i], i%5 == 4)
	})
	if err := stop(); err != nil {
		return err
	}

	tr := newTimelineReader(c, srv.URL, BigContact, o.lim.Concurrency, 5)
	trBare := newTimelineReader(c, bare.URL, BigContact, o.lim.Concurrency, 1)
	fmt.Fprintf(progress, "timeline: bare handler\n")
	tBare := drive(ctx, "GET timeline — bare Echo, canned page", o.lim, trBare.read)
	fmt.Fprintf(progress, "timeline: discreet\n")
	if stop, err = startProfile(o.cpuProfile); err != nil {
		return err
	}
	tReal := drive(ctx, "GET timeline?limit=20 — discreet", o.lim, tr.read)
	if err := stop(); err != nil {
		return err
	}

	fmt.Fprintf(out, "| phase | requests | errors | statuses | p50 | p99 | max | req/s | allocs/req (process) |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range []result{rBare, rLog, tBare, tReal} {
		fmt.Fprintf(out, "| %s | %d | %d | %s | %s | %s | %s | %.0f | %.0f |\n",
			r.Name, r.N, r.Errors, statuses(r.Status), ms(r.pct(0.50)), ms(r.pct(0.99)), ms(r.pct(1)), r.perSec(), r.allocsPerReq())
	}
	logged := float64(rLog.Status[201]) / rLog.Elapsed.Seconds()
	fmt.Fprintf(out, "\nlogged emails/s (201s only): %.0f; discreet ingest is %.1f%% of the bare handler's req/s; timeline is %.1f%% of the bare handler's req/s\n",
		logged, 100*rLog.perSec()/rBare.perSec(), 100*tReal.perSec()/tBare.perSec())
	fewest := "n/a (no page had a next cursor)"
	if n := tr.minSeen.Load(); n < 1<<30 {
		fewest = fmt.Sprint(n)
	}
	fmt.Fprintf(out, "timeline pages followed up to 5 deep by cursor; fewest items on a page with a next cursor: %s\n", fewest)
	for _, r := range []result{rBare, rLog, tBare, tReal} {
		if r.FirstErr != "" {
			fmt.Fprintf(out, "first error of %s: %s\n", r.Name, r.FirstErr)
		}
	}
	fmt.Fprintln(out)
	return nil
}

func statuses(m map[int]int) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d×%d", code, m[code])) // 0: no answer
	}
	return strings.Join(parts, " ")
}

// machine describes where the figures were measured.
func machine() string {
	model, mem := "?", "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		mem = strings.Join(strings.Fields(strings.TrimPrefix(l, "MemTotal:")), " ")
	}
	return fmt.Sprintf("%d CPUs (GOMAXPROCS %d), %s, %s memory, %s %s/%s",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// startProfile starts a CPU profile into path ("": none) and returns what
// stops it and closes the file.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
