package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/ledger"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// Helpers of the fault tests (crash_test.go): the espai child process, its
// HTTP API, and the checks run after a crash.

// persona is a demo citizen who has a wallet.
type persona struct{ id, pass string }

// personas are the five demo citizens enrolled by `espai init --demo`.
var personas = []persona{
	{"12345678Z", "laia-demo-2026"},
	{"38765432J", "jordi-demo-2026"},
	{"40123456W", "montserrat-demo-2026"},
	{"Y2345678Z", "youssef-demo-2026"},
	{"39876543V", "marta-demo-2026"},
}

// Demo API tokens (README, "Demo staff").
const (
	tokenServices = "demo-girona-services"
	tokenVerifier = "demo-girona-verifier"
	tokenAHC      = "demo-ahc-verifier"
)

// espaiCommand returns a command running `espai args...` as a child process.
// The child is this test binary: TestMain (testscript.Main) runs the espai
// command when argv[0] is "espai", so no separate build is needed and the
// child has the same race detector setting as the test.
func espaiCommand(t testing.TB, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Args[0] = "espai"
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// espaiOnPath is the copy of this binary named espai that testscript.Main put
// on PATH, for wrappers (prlimit, unshare) that exec a command by name.
func espaiOnPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("espai")
	if err != nil || !strings.Contains(p, "testscript-main") {
		t.Skipf("no testscript copy of espai on PATH (%q, %v)", p, err)
	}
	return p
}

// runResult is what a one-shot espai command did.
type runResult struct {
	stdout, stderr string
	code           int
}

// runEspai runs `espai args...` to completion with stdin.
func runEspai(t testing.TB, stdin string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return runCmd(t, espaiCommand(t, ctx, args...), stdin)
}

func runCmd(t testing.TB, cmd *exec.Cmd, stdin string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	err := cmd.Run()
	var xe *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &xe):
		code = xe.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v (stderr %s)", cmd.Args, err, errb.String())
	}
	return runResult{out.String(), errb.String(), code}
}

// demo is the data directory `espai init --demo` prepared once for this
// test binary (10 to 20 s under -race); initDemo hands each test a copy.
// TestMain removes it.
var demo struct {
	once sync.Once
	root string // the temporary directory holding it
	dir  string // empty when init failed
	fail string
}

// initDemo returns a new demo data directory: a copy of the one `espai init
// --demo` prepared for this test binary.
func initDemo(t testing.TB) string {
	t.Helper()
	demo.once.Do(func() {
		demo.fail = "espai init --demo failed in an earlier test"
		root, err := os.MkdirTemp("", "espai-demo-")
		if err != nil {
			demo.fail = err.Error()
			return
		}
		demo.root = root
		dir := filepath.Join(root, "data")
		start := time.Now()
		if r := runEspai(t, "", "init", "--demo", "--data", dir); r.code != 0 {
			demo.fail = fmt.Sprintf("espai init --demo: exit %d: %s", r.code, r.stderr)
			return
		}
		t.Logf("espai init --demo: %v (copied for every test)", time.Since(start).Round(time.Millisecond))
		demo.dir = dir
	})
	if demo.dir == "" {
		t.Fatal(demo.fail)
	}
	dir := filepath.Join(t.TempDir(), "data")
	copyDir(t, demo.dir, dir)
	return dir
}

// copyDir copies a stopped data directory (files and modes).
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(to, info.Mode().Perm()|0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lockedBuffer collects a child's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a running `espai serve` child.
type server struct {
	t      testing.TB
	cmd    *exec.Cmd
	base   string
	stderr *lockedBuffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
	victim func() int
}

// launcher says how to start a child: wrap builds the command for espai's
// arguments (nil: espaiCommand), start starts it (nil: cmd.Start).
type launcher struct {
	wrap  func(args []string) *exec.Cmd
	start func(cmd *exec.Cmd) error
	// victim, when set, returns the pid of the espai process when it is not
	// the command's own (0: not known yet); kill SIGKILLs it and then waits
	// for the command.
	victim func() int
}

// startServer starts `espai serve --data dir --addr ADDR extra...` and waits
// until /healthz answers.
func startServer(t testing.TB, dir string, l launcher, extra ...string) *server {
	t.Helper()
	s, err := launchServer(t, dir, l, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// launchServer is startServer returning the error.
func launchServer(t testing.TB, dir string, l launcher, extra ...string) (*server, error) {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"serve", "--data", dir, "--addr", addr}, extra...)
	var cmd *exec.Cmd
	if l.wrap == nil {
		cmd = espaiCommand(t, context.Background(), args...)
	} else {
		cmd = l.wrap(args)
	}
	s := &server{t: t, cmd: cmd, base: "http://" + addr, stderr: &lockedBuffer{}, exited: make(chan struct{}), victim: l.victim}
	cmd.Stdout, cmd.Stderr = s.stderr, s.stderr
	start := cmd.Start
	if l.start != nil {
		start = func() error { return l.start(cmd) }
	}
	if err := start(); err != nil {
		return nil, err
	}
	go func() { s.err = cmd.Wait(); close(s.exited) }()
	t.Cleanup(s.kill)
	if err := s.waitReady(90 * time.Second); err != nil {
		s.kill()
		return nil, fmt.Errorf("espai serve did not start: %v\n%s", err, s.stderr.String())
	}
	return s, nil
}

func (s *server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("exited: %v", s.err)
		default:
		}
		resp, err := hc.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("timed out")
}

// kill SIGKILLs the server (no clean shutdown) and waits for it.
func (s *server) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	pid := s.cmd.Process.Pid
	if s.victim != nil {
		if p := s.victim(); p > 0 {
			pid = p
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// checkLogs fails on a panic or a data race in the server's output.
func (s *server) checkLogs(t testing.TB) {
	t.Helper()
	out := s.stderr.String()
	for _, bad := range []string{"panic:", "WARNING: DATA RACE", "fatal error:"} {
		if i := strings.Index(out, bad); i >= 0 {
			t.Errorf("espai serve printed %q:\n%s", bad, out[i:min(len(out), i+4000)])
		}
	}
}

// api calls the server's HTTP API.
type api struct {
	base string
	hc   *http.Client
}

func newAPI(base string) *api {
	return &api{base: base, hc: &http.Client{Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true}}}
}

// call sends a request and reads the whole response. An error means no
// complete response was received: nothing was acknowledged.
func (a *api) call(ctx context.Context, method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, raw, nil
}

// get calls a read route and decodes its JSON answer; any status but 200 is an error.
func (a *api) get(ctx context.Context, path, token string, out any) error {
	code, raw, err := a.call(ctx, http.MethodGet, path, token, nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d: %s", path, code, raw)
	}
	if out == nil {
		return nil
	}
	if b, ok := out.(*[]byte); ok {
		*b = raw
		return nil
	}
	return json.Unmarshal(raw, out)
}

// checkpoint fetches the latest checkpoint and checks its signature.
func (a *api) checkpoint(ctx context.Context, vkey string) (ledger.Checkpoint, error) {
	var note []byte
	if err := a.get(ctx, "/ledger/checkpoint", "", &note); err != nil {
		return ledger.Checkpoint{}, err
	}
	return ledger.OpenCheckpoint(note, vkey)
}

// verifierKey is the ledger's published note verifier key.
func (a *api) verifierKey(ctx context.Context) (string, error) {
	var b []byte
	if err := a.get(ctx, "/ledger/key", "", &b); err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// proveIncluded fetches entry index and its inclusion proof to cp, verifies
// the proof and returns the entry.
func (a *api) proveIncluded(ctx context.Context, index uint64, cp ledger.Checkpoint) (*ledger.Entry, error) {
	var raw []byte
	if err := a.get(ctx, "/ledger/entries/"+strconv.FormatUint(index, 10), "", &raw); err != nil {
		return nil, err
	}
	e, err := ledger.ParseEntry(raw)
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", index, err)
	}
	var p struct {
		Proof []ledger.Hash `json:"proof"`
	}
	if err := a.get(ctx, fmt.Sprintf("/ledger/proof/inclusion?index=%d&size=%d", index, cp.Size), "", &p); err != nil {
		return nil, err
	}
	if err := ledger.VerifyInclusion(index, cp.Size, tlog.RecordHash(raw), p.Proof, cp.Root); err != nil {
		return nil, fmt.Errorf("entry %d in checkpoint %d: %w", index, cp.Size, err)
	}
	return e, nil
}

// proveConsistent checks that cp extends old (the log was not rewritten).
func (a *api) proveConsistent(ctx context.Context, old, cp ledger.Checkpoint) error {
	if old.Size == 0 || old.Size == cp.Size {
		if old.Size == cp.Size && old.Root != cp.Root {
			return fmt.Errorf("two roots for size %d", cp.Size)
		}
		return nil
	}
	if cp.Size < old.Size {
		return fmt.Errorf("the ledger shrank from %d to %d entries", old.Size, cp.Size)
	}
	var p struct {
		Proof []ledger.Hash `json:"proof"`
	}
	if err := a.get(ctx, fmt.Sprintf("/ledger/proof/consistency?old=%d&new=%d", old.Size, cp.Size), "", &p); err != nil {
		return err
	}
	return ledger.VerifyConsistency(old.Size, cp.Size, old.Root, cp.Root, p.Proof)
}

// checkBoltFiles opens every *.db file of a stopped data directory read-only
// and runs bbolt's consistency check on it.
func checkBoltFiles(t testing.TB, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.db"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bbolt files in %s: %v", dir, err)
	}
	for _, f := range files {
		db, err := bolt.Open(f, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Errorf("open %s: %v", f, err)
			continue
		}
		err = db.View(func(tx *bolt.Tx) error {
			var errs []error
			for err := range tx.Check() {
				errs = append(errs, err)
			}
			return errors.Join(errs...)
		})
		if err != nil {
			t.Errorf("bbolt check of %s: %v", f, err)
		}
		db.Close()
	}
}

// auditReport is the JSON `espai audit verify` prints.
type auditReport struct {
	Entries          uint64 `json:"entries"`
	Checkpoints      int    `json:"checkpoints"`
	AnchorsOnChain   int    `json:"anchors_on_chain"`
	AnchorsPending   int    `json:"anchors_pending"`
	AnchorsUnchecked int    `json:"anchors_unchecked"`
	AnchorsLost      int    `json:"anchors_lost"`
	Problems         int    `json:"problems"`
	FirstProblem     string `json:"first_problem"`
}

// auditVerify runs `espai audit verify --data dir extra...` and requires it to pass.
func auditVerify(t testing.TB, dir string, extra ...string) auditReport {
	t.Helper()
	r := runEspai(t, "", append([]string{"audit", "verify", "--data", dir}, extra...)...)
	var rep auditReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || rep.Problems != 0 {
		t.Errorf("espai audit verify --data %s: exit %d, %v\n%s%s", dir, r.code, err, r.stdout, r.stderr)
	}
	return rep
}

// statusKey names a credential by its status list entry: administration,
// list and index (the issuer's record and the wallet's credential share it).
func statusKey(admin string, list, index int) string {
	return fmt.Sprintf("%s/%d/%d", admin, list, index)
}

// statusKeyOfURI reads "https://HOST/status/ADMIN/LIST[/ld]".
func statusKeyOfURI(uri string, index int) string {
	_, rest, ok := strings.Cut(uri, "/status/")
	if !ok {
		return uri
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 {
		return uri
	}
	return parts[0] + "/" + parts[1] + "/" + fmt.Sprint(index)
}

// walletReport lists the acknowledged deliveries missing from the wallets.
type walletReport struct {
	credentials []string // acknowledged credentials not in the wallet
	receipts    []string // acknowledged exchanges without a verified receipt
	events      []string // notifications and procedures acknowledged on the first attempt, no wallet event
	retried     []string // the same, acknowledged only when sent again after a failure
	other       []string // refused deliveries, damaged records, deliveries left in the inbox
	// receiptIndexes are the ledger indexes of each citizen's verified receipts.
	receiptIndexes map[string]map[uint64]bool
}

func (r *walletReport) add(list *[]string, format string, a ...any) {
	*list = append(*list, fmt.Sprintf(format, a...))
}

// checkWallets opens the stopped data directory in-process, unlocks each
// persona's wallet (which files the inbox) and lists the acknowledged
// deliveries that are not there: credentials (by status list entry),
// exchange receipts (verified against the ledger key) and the wallet events
// of notifications and procedures, whose text lives only in the wallet.
func checkWallets(t testing.TB, dir string, k *acks) *walletReport {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{Root: dir})
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	defer a.Close()
	r := &walletReport{receiptIndexes: map[string]map[uint64]bool{}}
	for _, p := range personas {
		s, err := a.Wallet.Unlock(ctx, p.id, p.pass)
		if err != nil {
			r.add(&r.other, "unlock %s: %v", p.id, err)
			continue
		}
		if rep := s.InboxReport(); rep.Pending > 0 {
			r.add(&r.other, "%s: %d deliveries left in the inbox after unlock", p.id, rep.Pending)
		}
		creds, damaged, err := s.Credentials(ctx)
		if err != nil || len(damaged) > 0 {
			r.add(&r.other, "%s: credentials: %v, %d damaged", p.id, err, len(damaged))
		}
		have := map[string]bool{}
		for _, c := range creds {
			if c.Status != nil {
				have[statusKeyOfURI(c.Status.URI, c.Status.Index)] = true
			}
		}
		rej, _, err := s.RejectedDeliveries(ctx)
		if err != nil {
			r.add(&r.other, "%s: refused deliveries: %v", p.id, err)
		}
		for _, x := range rej {
			r.add(&r.other, "%s: delivery %s from %s refused by the wallet: %s", p.id, x.ID, x.From, x.Reason)
		}
		for _, ack := range k.issued {
			if ack.citizen == p.id && !have[statusKey(ack.rec.Admin, ack.rec.List, ack.rec.Index)] {
				r.add(&r.credentials, "%s: acknowledged credential %s (round %d, %s %s) is not in the wallet", p.id, ack.rec.ID, ack.round, ack.rec.Format, ack.rec.Type)
			}
		}
		receipts, err := a.ReceiptEntries(ctx, s)
		if err != nil {
			r.add(&r.other, "%s: receipts: %v", p.id, err)
		}
		verified := map[uint64]bool{}
		r.receiptIndexes[p.id] = verified
		for _, x := range receipts {
			if x.Entry != nil {
				verified[x.Index] = true
			}
		}
		for _, x := range k.exchanges {
			if x.citizen == p.id && !verified[x.index] {
				r.add(&r.receipts, "%s: no verified wallet receipt for the acknowledged exchange at ledger index %d (round %d)", p.id, x.index, x.round)
			}
		}
		events, badEvents, err := s.Activity(ctx, 0)
		if err != nil || len(badEvents) > 0 {
			r.add(&r.other, "%s: activity: %v, %d damaged", p.id, err, len(badEvents))
		}
		keys := map[string]bool{}
		for _, e := range events {
			if e.Kind == app.EventNotification || e.Kind == app.EventProcedure {
				keys[e.Fields["key"]] = true
			}
		}
		for _, tr := range k.tracked {
			if tr.citizen == p.id && !keys[tr.key] {
				list := &r.events
				if tr.retried {
					list = &r.retried
				}
				r.add(list, "%s: acknowledged %s %s (round %d, key %s) has no wallet event: the citizen never gets its text", p.id, tr.kind, tr.ref, tr.round, tr.key)
			}
		}
		s.Lock()
	}
	return r
}

// fail reports the items of list (at most ten) as errors under title.
func (r *walletReport) fail(t testing.TB, title string, list []string) {
	t.Helper()
	if len(list) == 0 {
		return
	}
	t.Errorf("%s: %d, for example:\n  %s", title, len(list), strings.Join(list[:min(10, len(list))], "\n  "))
}
