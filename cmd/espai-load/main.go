// Command espai-load measures the server under load. `make load-pages`
// checks the citizen's space: "pages render in under 50 ms server-side at
// the 99th percentile with 200 demo citizens browsing" (`make bench` runs it
// after the Go benchmarks). `make load` adds presentations: "200 concurrent
// simulated citizens browsing and 50 presentations verified per second for
// 60 s on 2 cores: zero errors, p99 latency reported per route, memory
// reported".
//
// It prepares a demo data directory (app.Open with Create and Demo, then
// enrols citizens of the demo registers beside the five demo personas,
// issues and delivers their credentials and gives each a procedure and a
// notification), starts the real web server (internal/web, configured as
// `espai serve` configures it) on a loopback port with net/http, logs every
// citizen in through the login form over HTTP, each with its own cookie jar
// and connection, and lets them browse random pages of their space with a
// random think time for the given duration.
//
// With --presentations-per-second R, presentations run beside the browsing,
// each the product's whole flow over HTTP: a verifier's system opens a
// request through the staff API (POST /api/v1/verifier/requests, the demo
// verifier tokens of the Ajuntament de Girona and the Agència de l'Habitatge,
// census purposes), a logged-in citizen opens its openid4vp:// link in their
// space (GET /requests, another tab of their browser: same session) and
// approves it (POST /requests/approve: the wallet builds the presentation,
// the verifier verifies it, consent and exchange go to the ledger and their
// receipts to the wallet), and the verifier's system reads the verdict
// (GET /api/v1/verifier/requests/:id), which must be "accepted", valid, every
// check passed; anything else is a failure. The citizens take turns, so
// every logged-in citizen answers. The schedule is open loop: presentation i
// is due at i/R s and starts then whether or not earlier ones have finished,
// so a server that falls behind shows as presentations in flight, a longer
// end-to-end time and a lower achieved rate (verified presentations over the
// time from the first due to the last verdict), never as a slower schedule.
//
// A middleware around the server's handler times every request server-side
// (ServeHTTP, keyed by gin route pattern); the clients time it client-side.
// The report has one row per route (count, p50, p90, p99 and max
// server-side, p99 client-side, errors, and p99 as a ratio to the baseline,
// GET /healthz, probed in the same run: the cost of the HTTP stack alone),
// the presentation flow's routes apart (not held to the pages' bar), the
// logins apart (Argon2id makes them slow on purpose), the presentations'
// scheduled, verified and failed counts, achieved rate and end-to-end
// latency (due time to verdict read), and the process's peak memory. Two
// lines say what else the machine was doing: the cores this process and
// others used, and how long the disk under the data directory took to sync a
// small write (every bbolt commit waits for two syncs; see diskProbe). It
// prints PASS when every page's server-side p99 is under the bar, nothing
// failed and, with presentations, at least 98% of the rate was achieved;
// else FAIL and exits with status 1.
//
// Usage:
//
//	espai-load [--citizens 200] [--duration 30s] [--presentations-per-second 0]
//	           [--data DIR] [--fast-kdf] [--think-min 0] [--think-max 500ms]
//	           [--bar 50ms] [--cpuprofile FILE]
//
// --data keeps the prepared directory (DIR/espai, and DIR/load-secret from
// which the extra citizens' passphrases are derived) so the setup is paid
// once; without it everything lives in a temporary directory removed at exit.
//
// # Caveats
//
//   - Client and server share the machine (and the process): the clients'
//     CPU is taken from the server's, so the figures are on the safe side.
//   - The ledger is not anchored on Ethereum during the run (no dev chain);
//     the anchorer works in the background of `espai serve` and no citizen
//     page waits for it.
//   - A data directory made with --fast-kdf keeps its cheap wraps until each
//     citizen logs in once without it (the wallet re-wraps at unlock).
//   - Presentations leave their traces in a kept directory: every one adds a
//     consent and an exchange receipt to the citizen's wallet, which the home
//     page, /data and /consents verify on every view, so those pages cost
//     more on each later run over the same directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/web"
	"github.com/espai/espai/wallet"
)

// options are the command line.
type options struct {
	citizens           int
	duration           time.Duration
	data               string
	fastKDF            bool
	thinkMin, thinkMax time.Duration
	bar                time.Duration
	workers            int
	cpuProfile         string
	presentRate        float64
}

func main() {
	var o options
	flag.IntVar(&o.citizens, "citizens", 200, "citizens browsing at once (the five demo personas, then citizens of the demo registers)")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long the citizens browse")
	flag.StringVar(&o.data, "data", "", "directory to keep the prepared data in and reuse (default: a temporary directory, removed)")
	flag.BoolVar(&o.fastKDF, "fast-kdf", false, "cheap Argon2id for enrolment and login (tests' setting) instead of the production defaults")
	flag.DurationVar(&o.thinkMin, "think-min", 0, "shortest think time between a citizen's requests")
	flag.DurationVar(&o.thinkMax, "think-max", 500*time.Millisecond, "longest think time between a citizen's requests (uniform between min and max)")
	flag.DurationVar(&o.bar, "bar", 50*time.Millisecond, "server-side p99 every page must stay under")
	flag.IntVar(&o.workers, "workers", 4, "concurrent enrolments and logins while preparing")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the browsing phase to this file")
	flag.Float64Var(&o.presentRate, "presentations-per-second", 0, "presentations verified per second while the citizens browse (0: none)")
	flag.Parse()
	if flag.NArg() > 0 || o.citizens < 1 || o.duration <= 0 || o.thinkMin < 0 || o.thinkMax < o.thinkMin || o.workers < 1 ||
		o.presentRate < 0 || math.IsInf(o.presentRate, 0) || math.IsNaN(o.presentRate) {
		flag.Usage()
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	pass, err := run(ctx, log, o, os.Stdout)
	stop()
	if err != nil {
		log.Error("espai-load", "err", err.Error())
		os.Exit(2)
	}
	if !pass {
		os.Exit(1)
	}
}

// run prepares the data, serves it, logs the citizens in, lets them browse
// and writes the report to out. It reports whether the run passed.
func run(ctx context.Context, log *slog.Logger, o options, out io.Writer) (bool, error) {
	dir := o.data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "espai-load-")
		if err != nil {
			return false, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	secret, err := loadSecret(dir)
	if err != nil {
		return false, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false, err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()

	// The application's own messages (one per enrolment) only when they matter.
	appLog := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("component", "app")
	start := time.Now()
	log.Info("opening the data directory (created with the demo data when new)", "dir", dir)
	a, err := app.Open(ctx, app.Options{Root: filepath.Join(dir, "espai"), Create: true, Demo: true, PublicBase: base,
		Wallet: walletConfig(o.fastKDF), Log: appLog})
	if err != nil {
		return false, err
	}
	defer a.Close()
	log.Info("data directory open", "took", time.Since(start).Round(time.Millisecond))
	cs, err := pickCitizens(ctx, a, secret, o.citizens)
	if err != nil {
		return false, err
	}
	if err := prepare(ctx, log, a, cs, o.workers); err != nil {
		return false, err
	}

	// The server as `espai serve` builds it (request logs formatted, as in
	// production, but discarded), behind the timing middleware.
	rec := newRecorder()
	handler := web.New(web.Config{App: a, Staff: a.Staff, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	srv := &http.Server{Handler: &timing{next: handler, rec: rec}, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("server stopped", "err", err.Error())
		}
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	sweepDone := make(chan struct{})
	defer close(sweepDone)
	go func() { // as espai serve does: idle sessions end on time
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-sweepDone:
				return
			case <-t.C:
				handler.Sweep()
			}
		}
	}()

	mem := &memory{}
	memDone := make(chan struct{})
	var memWG sync.WaitGroup
	memWG.Go(func() { mem.watch(250*time.Millisecond, memDone) })
	defer func() { close(memDone); memWG.Wait() }()

	browsers, err := logIn(ctx, log, rec, base, cs, o.workers)
	if err != nil {
		return false, err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return false, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return false, err
		}
	}
	log.Info("browsing", "citizens", len(browsers), "duration", o.duration, "think", fmt.Sprintf("%s-%s", o.thinkMin, o.thinkMax),
		"presentations_per_second", o.presentRate)
	var pr *presenter
	if o.presentRate > 0 {
		pr = newPresenter(base, rec, browsers, o.presentRate)
	}
	disk := &diskProbe{}
	diskDone := make(chan struct{})
	var diskWG sync.WaitGroup
	diskWG.Go(func() { disk.watch(dir, 100*time.Millisecond, diskDone) })
	cpu0 := cpuNow()
	rec.setPhase(phaseBrowse)
	began := time.Now()
	deadline := began.Add(o.duration)
	var wg sync.WaitGroup
	wg.Go(func() { probeBaseline(ctx, base, rec, deadline) })
	for _, b := range browsers {
		wg.Go(func() { b.browse(ctx, deadline, o.thinkMin, o.thinkMax) })
	}
	if pr != nil {
		wg.Go(func() { pr.run(ctx, began, o.duration) }) // then waits for those in flight
	}
	wg.Wait()
	elapsed := time.Since(began)
	rec.setPhase(phaseIdle)
	cpu1 := cpuNow()
	close(diskDone)
	diskWG.Wait()
	if o.cpuProfile != "" {
		pprof.StopCPUProfile()
		log.Info("CPU profile written", "file", o.cpuProfile)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	mem.sample()
	hwm, _ := procStatus("VmHWM")
	browse := rec.snapshot(phaseBrowse)
	routes := routeOrder()
	for _, r := range slices.Sorted(maps.Keys(browse)) {
		if !slices.Contains(routes, r) && !slices.Contains(presentRoutes, r) {
			routes = append(routes, r) // anything unexpected is shown too
		}
	}
	rp := &report{
		routes: routes, browse: browse, login: rec.snapshot(phaseLogin),
		elapsed: elapsed, bar: o.bar, mem: mem, disk: disk, cpu: [2]cpuTimes{cpu0, cpu1}, vmHWM: max(hwm, mem.peakRSS()), // the kernel updates VmHWM lazily
		header: fmt.Sprintf("espai-load %s: %d citizens browsing for %s, think %s-%s, %g presentations/s, Argon2id %s, GOMAXPROCS %d, %s/%s",
			time.Now().Format("2006-01-02"), len(browsers), o.duration, o.thinkMin, o.thinkMax, o.presentRate, kdfName(o.fastKDF),
			runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH),
	}
	if pr != nil {
		rp.present = pr.stats
	}
	return rp.write(out), nil
}

// logIn logs every citizen in over HTTP, o.workers at a time (the wallet
// derives two Argon2id keys at a time anyway), and returns their browsers.
func logIn(ctx context.Context, log *slog.Logger, rec *recorder, base string, cs []citizen, workers int) ([]*browser, error) {
	rec.setPhase(phaseLogin)
	start := time.Now()
	browsers := make([]*browser, len(cs))
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		mu   sync.Mutex
		errs []error
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(cs) || ctx.Err() != nil {
					return
				}
				b := newBrowser(base, cs[i], rec, uint64(i)+1)
				if err := b.login(ctx); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("citizen %d: %w", i+1, err))
					mu.Unlock()
					continue
				}
				browsers[i] = b
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(errs) > 0 { // counted in the report, which then fails
		log.Warn("logins failed", "count", len(errs), "of", len(cs), "err", errors.Join(errs...).Error())
	}
	browsers = slices.DeleteFunc(browsers, func(b *browser) bool { return b == nil })
	if len(browsers) == 0 {
		return nil, errors.New("no citizen could log in")
	}
	log.Info("citizens logged in", "count", len(browsers), "took", time.Since(start).Round(time.Millisecond))
	return browsers, nil
}

// probeBaseline requests /healthz every 20 ms during the run, on its own
// connection: the latency of the HTTP stack under the same load.
func probeBaseline(ctx context.Context, base string, rec *recorder, deadline time.Time) {
	b := newBrowser(base, citizen{}, rec, 0)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, _ = b.do(ctx, http.MethodGet, "/healthz", nil, false)
	}
}

// routeOrder is the report's order: the baseline, then the pages as in the
// citizen's menu.
func routeOrder() []string {
	out := []string{baselineRoute}
	for _, p := range pages {
		path := p.path
		if p.list != "" {
			path += "x"
		}
		out = append(out, routeOf(http.MethodGet, path))
	}
	return out
}

func kdfName(fast bool) string {
	p := wallet.DefaultArgon2Params()
	if fast {
		p = walletConfig(true).Argon2
	}
	return fmt.Sprintf("t=%d m=%d KiB p=%d", p.Time, p.MemoryKiB, p.Threads)
}
