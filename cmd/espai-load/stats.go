package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Phases of a run: samples are kept apart so the logins (Argon2id-bound by
// design) do not mix with the pages the target is about.
const (
	phaseIdle int32 = iota
	phaseLogin
	phaseBrowse
)

// baselineRoute is the route whose latency is the cost of the HTTP stack
// alone (gin, net/http, the loopback socket): every page is compared to it.
const baselineRoute = "GET /healthz"

// routeStats are the samples of one route in one phase.
type routeStats struct {
	server       []time.Duration // ServeHTTP time, measured in the server's handler chain
	client       []time.Duration // request sent to body read, measured by the citizen's client
	errors       int             // client-observed: transport error, status >= 400, or sent back to /login
	serverErrors int             // server-side: status >= 500
}

// recorder collects samples per phase and route. It is safe for concurrent use.
type recorder struct {
	phase atomic.Int32
	mu    sync.Mutex
	by    [3]map[string]*routeStats
}

func newRecorder() *recorder {
	r := &recorder{}
	for i := range r.by {
		r.by[i] = map[string]*routeStats{}
	}
	return r
}

func (r *recorder) setPhase(p int32) { r.phase.Store(p) }

// stats returns the samples of route in phase p; r.mu must be held.
func (r *recorder) stats(p int32, route string) *routeStats {
	st := r.by[p][route]
	if st == nil {
		st = &routeStats{}
		r.by[p][route] = st
	}
	return st
}

// server records a request's time in the server's handler chain.
func (r *recorder) server(p int32, route string, d time.Duration, status int) {
	if p == phaseIdle {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats(p, route)
	st.server = append(st.server, d)
	if status >= 500 {
		st.serverErrors++
	}
}

// client records what a citizen's client saw.
func (r *recorder) client(p int32, route string, d time.Duration, failed bool) {
	if p == phaseIdle {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats(p, route)
	if failed {
		st.errors++
		return
	}
	st.client = append(st.client, d)
}

// snapshot returns phase p's samples, each slice sorted.
func (r *recorder) snapshot(p int32) map[string]*routeStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]*routeStats, len(r.by[p]))
	for k, st := range r.by[p] {
		c := &routeStats{server: slices.Clone(st.server), client: slices.Clone(st.client), errors: st.errors, serverErrors: st.serverErrors}
		slices.Sort(c.server)
		slices.Sort(c.client)
		out[k] = c
	}
	return out
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted samples: the smallest sample at least p% of all samples are at or
// below. Zero for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(n))) - 1
	return sorted[min(max(i, 0), n-1)]
}

// timing is the load tool's middleware around the real server: it times
// ServeHTTP per request and files the time under the request's route pattern.
type timing struct {
	next http.Handler
	rec  *recorder
}

func (t *timing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := t.rec.phase.Load()
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	start := time.Now()
	t.next.ServeHTTP(sw, r)
	t.rec.server(p, routeOf(r.Method, r.URL.Path), time.Since(start), sw.code)
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// pathParams are the citizen routes whose second segment is a parameter.
var pathParams = map[string]string{"credentials": ":id", "procedures": ":key", "notifications": ":key"}

// deepParams are the routes below a fixed prefix whose next segment is a
// parameter: the verifier's API and the OpenID4VP endpoints.
var deepParams = []struct {
	prefix, param string
	tails         []string // what may follow the parameter
}{
	{"/api/v1/verifier/requests/", ":id", []string{"", "qr.svg", "qr.png"}},
	{"/verifier/requests/", ":id", []string{"object", "response"}},
}

// fixedPaths are the routes without parameters the load touches.
var fixedPaths = []string{"/", "/healthz", "/login", "/logout", "/credentials", "/procedures", "/notifications",
	"/data", "/consents", "/sessions", "/settings", "/requests", "/requests/approve", "/requests/refuse", "/offline",
	"/api/v1/verifier/requests"}

// routeOf maps a request to its gin route pattern ("GET /credentials/:id"),
// so samples group by route rather than by URL. Paths the load does not
// visit are "(other)", which keeps the set of keys bounded.
func routeOf(method, path string) string {
	if slices.Contains(fixedPaths, path) {
		return method + " " + path
	}
	for _, d := range deepParams {
		rest, ok := strings.CutPrefix(path, d.prefix)
		if !ok {
			continue
		}
		id, tail, _ := strings.Cut(rest, "/")
		if id == "" || !slices.Contains(d.tails, tail) {
			return method + " (other)"
		}
		if tail != "" {
			tail = "/" + tail
		}
		return method + " " + d.prefix + d.param + tail
	}
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(seg) >= 2 && seg[1] != "" {
		if p, ok := pathParams[seg[0]]; ok && len(seg) <= 3 {
			seg[1] = p
			return method + " /" + strings.Join(seg, "/")
		}
	}
	if seg[0] == "static" {
		return method + " /static/*filepath"
	}
	return method + " (other)"
}

// memory tracks the process's peak memory while the load runs.
type memory struct {
	mu        sync.Mutex
	heapAlloc uint64 // peak runtime.MemStats.HeapAlloc seen by the sampler
	heapSys   uint64 // peak runtime.MemStats.HeapSys
	rss       uint64 // peak VmRSS seen by the sampler (from the logins on), bytes
}

// sample reads the runtime's and the kernel's figures once.
func (m *memory) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, _ := procStatus("VmRSS")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.heapAlloc = max(m.heapAlloc, ms.HeapAlloc)
	m.heapSys = max(m.heapSys, ms.HeapSys)
	m.rss = max(m.rss, rss)
}

// peakRSS is the highest VmRSS sampled.
func (m *memory) peakRSS() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rss
}

// watch samples every interval until stop is closed.
func (m *memory) watch(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		m.sample()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// procStatus reads one "kB" field of /proc/self/status (VmHWM, VmRSS) in bytes.
func procStatus(field string) (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/self/status %s: %w", field, err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/self/status has no %s", field)
}

// cpuTimes are the machine's and the process's CPU time so far, to tell
// afterwards whether other processes competed for the cores during the run.
type cpuTimes struct {
	at            time.Time
	busy, process time.Duration // all CPUs not idle (/proc/stat); this process (getrusage)
}

// cpuNow reads the CPU times; on a system without /proc the machine's busy
// time stays zero.
func cpuNow() cpuTimes {
	t := cpuTimes{at: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		t.process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return t
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 5 || f[0] != "cpu" {
		return t
	}
	var busy uint64
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		if i != 3 && i != 4 && i < 8 { // not idle, not iowait, not guest (counted in user)
			busy += n
		}
	}
	t.busy = time.Duration(busy) * time.Second / 100 // USER_HZ is 100 on Linux
	return t
}

// cores returns how many cores the machine and this process kept busy
// between a and b, on average.
func cores(a, b cpuTimes) (machine, process float64) {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return 0, 0
	}
	return (b.busy - a.busy).Seconds() / wall, (b.process - a.process).Seconds() / wall
}

// report is the outcome of a run.
type report struct {
	routes  []string // page routes in display order, baseline first
	browse  map[string]*routeStats
	login   map[string]*routeStats
	present *presentStats // nil when no presentations ran
	elapsed time.Duration
	bar     time.Duration
	mem     *memory
	disk    *diskProbe
	vmHWM   uint64
	header  string
	cpu     [2]cpuTimes // at the start and the end of the browsing
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

func mib(b uint64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 0, 64) + " MiB" }

// write prints the table and the verdict; it reports whether the run passed:
// every page's server-side p99 under the bar, no errors anywhere, and, with
// presentations, the rate achieved (presentStats.write).
func (rp *report) write(w io.Writer) bool {
	pass := true
	total := 0
	for _, st := range rp.browse {
		total += len(st.server)
	}
	fmt.Fprintln(w, rp.header)
	fmt.Fprintf(w, "requests: %d in %s (%.0f/s), server-side times from the handler chain, client-side from request to body read\n",
		total, rp.elapsed.Round(time.Millisecond), float64(total)/rp.elapsed.Seconds())
	if machine, process := cores(rp.cpu[0], rp.cpu[1]); machine > 0 {
		fmt.Fprintf(w, "CPU while browsing: this process %.2f cores (server and clients), other processes %.2f, of %d\n",
			process, max(machine-process, 0), runtime.NumCPU())
		if machine-process > 0.25 {
			fmt.Fprintln(w, "warning: other processes competed for the CPU during the run; its figures overstate the latency")
		}
	}
	if rp.disk != nil {
		syncs, err := rp.disk.sorted()
		fmt.Fprintf(w, "disk while browsing: sync of a 4 KiB write in the data directory every 100 ms (a bbolt commit syncs twice): p50 %s ms, p90 %s ms, p99 %s ms, max %s ms",
			ms(percentile(syncs, 50)), ms(percentile(syncs, 90)), ms(percentile(syncs, 99)), ms(percentile(syncs, 100)))
		if err != nil {
			fmt.Fprintf(w, " (probe stopped: %v)", err)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	base := rp.browse[baselineRoute]
	var baseP99 time.Duration
	if base != nil {
		baseP99 = percentile(base.server, 99)
	}
	// row prints one route; held routes fail the run at or over the bar.
	row := func(route string, held bool) {
		st := rp.browse[route]
		if st == nil {
			return
		}
		p99 := percentile(st.server, 99)
		ratio := "-"
		if baseP99 > 0 {
			ratio = strconv.FormatFloat(float64(p99)/float64(baseP99), 'f', 1, 64) + "x"
		}
		name := route
		if route == baselineRoute {
			name += " (base)"
		}
		errs := max(st.errors, st.serverErrors)
		mark := ""
		if held && p99 >= rp.bar {
			mark, pass = "  > bar", false
		}
		if errs > 0 {
			pass = false
		}
		fmt.Fprintf(w, "%-36s %7d %8s %8s %8s %8s %11s %9s %7d%s\n", name, len(st.server),
			ms(percentile(st.server, 50)), ms(percentile(st.server, 90)), ms(p99), ms(percentile(st.server, 100)),
			ms(percentile(st.client, 99)), ratio, errs, mark)
	}
	fmt.Fprintf(w, "%-36s %7s %8s %8s %8s %8s %11s %9s %7s\n", "route (server-side ms)", "count", "p50", "p90", "p99", "max", "client p99", "p99/base", "errors")
	for _, route := range rp.routes {
		row(route, route != baselineRoute)
	}
	if rp.present != nil {
		fmt.Fprintln(w, "presentation flow (reported, not held to the pages' bar):")
		for _, route := range presentRoutes {
			row(route, false)
		}
	}
	if li := rp.login["POST /login"]; li != nil {
		errs := max(li.errors, li.serverErrors)
		if errs > 0 {
			pass = false
		}
		fmt.Fprintf(w, "\nlogins (POST /login, Argon2id-bound, not held to the bar): %d, server-side p50 %s ms, p99 %s ms, max %s ms, errors %d\n",
			len(li.server), ms(percentile(li.server, 50)), ms(percentile(li.server, 99)), ms(percentile(li.server, 100)), errs)
	}
	if rp.present != nil && !rp.present.write(w) {
		pass = false
	}
	rp.mem.mu.Lock()
	fmt.Fprintf(w, "memory: peak heap %s (HeapAlloc, sampled every 250 ms; HeapSys %s), peak RSS while serving %s, process peak RSS %s (VmHWM, setup included)\n",
		mib(rp.mem.heapAlloc), mib(rp.mem.heapSys), mib(rp.mem.rss), mib(rp.vmHWM))
	rp.mem.mu.Unlock()
	switch {
	case pass && rp.present != nil:
		fmt.Fprintf(w, "PASS: every page's server-side p99 < %s, no errors, presentations at %.0f%% or more of %g/s\n", rp.bar, 100*minAchieved, rp.present.target)
	case pass:
		fmt.Fprintf(w, "PASS: every page's server-side p99 < %s and no errors\n", rp.bar)
	case rp.present != nil:
		fmt.Fprintf(w, "FAIL: a page's server-side p99 >= %s, errors, or presentations short of %.0f%% of %g/s\n", rp.bar, 100*minAchieved, rp.present.target)
	default:
		fmt.Fprintf(w, "FAIL: a page's server-side p99 >= %s, or errors\n", rp.bar)
	}
	return pass
}
