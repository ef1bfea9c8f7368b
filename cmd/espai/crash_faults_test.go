package main

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/espai/espai/ledger"
	"github.com/espai/espai/ledger/ledgerhttp"
)

// TestFaults: a read-only data directory and a full disk give clear errors,
// never a panic, a hang or a partial acknowledgement; neither does a client
// that gives up in the middle of a request.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts espai serve")
	}
	base := initDemo(t)
	t.Run("read-only-dir", func(t *testing.T) { testReadOnlyDir(t, base) })
	t.Run("read-only-mount", func(t *testing.T) { testReadOnlyMount(t, base) })
	t.Run("full-disk", func(t *testing.T) { testFullDisk(t, base, fileSizeLimited(t, base)) })
	t.Run("full-disk-tmpfs", func(t *testing.T) { testFullDisk(t, base, smallTmpfs(t, base)) })
	t.Run("client-disconnect", func(t *testing.T) { testClientDisconnect(t, base) })
}

// readOnlyCommands are the commands that must refuse a read-only directory.
func readOnlyCommands(t testing.TB, dir string) [][]string {
	return [][]string{
		{"serve", "--data", dir, "--addr", freeAddr(t), "--no-anchor"},
		{"issue", "--data", dir, "--type", "tax", "--citizen", "12345678Z"},
		{"issue", "--data", dir, "--type", "tax", "--citizen", "12345678Z", "--deliver"},
	}
}

// requireClearError: the command exited on its own, non-zero, with one
// error line that names the data directory, and no panic.
func requireClearError(t testing.TB, args []string, r runResult, dir string, mentions ...string) {
	t.Helper()
	what := strings.Join(args[:min(len(args), 2)], " ")
	switch {
	case r.code == 0:
		t.Errorf("espai %s on a read-only directory exited 0:\n%s%s", what, r.stdout, r.stderr)
	case r.code < 0:
		t.Errorf("espai %s on a read-only directory did not exit by itself (killed after the timeout):\n%s", what, r.stderr)
	case strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine "):
		t.Errorf("espai %s panicked:\n%s", what, r.stderr)
	case !strings.Contains(r.stderr, dir):
		t.Errorf("espai %s: the error does not name the data directory %s:\n%s", what, dir, r.stderr)
	}
	for _, m := range mentions {
		if !strings.Contains(r.stderr, m) {
			t.Errorf("espai %s: the error does not say %q:\n%s", what, m, r.stderr)
		}
	}
	t.Logf("espai %s: exit %d: %s", what, r.code, strings.TrimSpace(lastLine(r.stderr)))
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// walkChmod applies mode(old) to every file and directory under dir.
func walkChmod(t testing.TB, dir string, mode func(fs.FileMode) fs.FileMode) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chmod(p, mode(info.Mode().Perm()))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testReadOnlyDir makes a copy of the data directory read-only (chmod -R
// a-w). Root ignores permission bits, so as root the commands run as the
// unprivileged user nobody (65534) on a copy it owns but cannot write: the
// same EACCES an operator without write permission meets.
func testReadOnlyDir(t *testing.T, base string) {
	dir := filepath.Join(t.TempDir(), "data")
	copyDir(t, base, dir)
	prep := func(*exec.Cmd) {}
	if os.Geteuid() == 0 {
		const nobody = 65534
		err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, nobody, nobody)
		})
		if err != nil {
			t.Fatal(err)
		}
		exe := executableFor(t, filepath.Dir(dir))
		for p := filepath.Dir(dir); p != filepath.Dir(p) && strings.HasPrefix(p, os.TempDir()) && p != filepath.Clean(os.TempDir()); p = filepath.Dir(p) {
			if err := os.Chmod(p, 0o755); err != nil { // our own temporary directories
				t.Fatal(err)
			}
		}
		prep = func(cmd *exec.Cmd) {
			cmd.Path = exe
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		}
		t.Logf("running as root: the commands run as uid %d on a directory it owns without write permission", nobody)
	}
	walkChmod(t, dir, func(m fs.FileMode) fs.FileMode { return m &^ 0o222 })
	t.Cleanup(func() { walkChmod(t, dir, func(m fs.FileMode) fs.FileMode { return m | 0o200 }) })
	for _, args := range readOnlyCommands(t, dir) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := espaiCommand(t, ctx, args...)
		prep(cmd)
		requireClearError(t, args, runCmd(t, cmd, ""), dir, "permission denied")
		cancel()
	}
}

// executableFor makes this test binary executable by another user: a hard
// link (or copy) named espai in dir, which must be world-traversable.
func executableFor(t testing.TB, dir string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(bin, "espai")
	if err := os.Link(exe, to); err != nil {
		b, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(to, 0o755); err != nil {
		t.Fatal(err)
	}
	return to
}

// testReadOnlyMount runs the commands on a read-only bind mount of the data
// directory (EROFS), in a private mount namespace (unshare -m: root only).
func testReadOnlyMount(t *testing.T, base string) {
	if os.Geteuid() != 0 {
		t.Skip("a private read-only bind mount needs root (the read-only-dir case covers permissions)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare on PATH")
	}
	espai := espaiOnPath(t)
	dir := filepath.Join(t.TempDir(), "data")
	copyDir(t, base, dir)
	const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`
	probe := exec.Command(unshare, "-m", "sh", "-c", script, "sh", dir, "true")
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("no private mounts here: %v %s", err, out)
	}
	for _, args := range readOnlyCommands(t, dir) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, unshare, append([]string{"-m", "sh", "-c", script, "sh", dir, espai}, args...)...)
		requireClearError(t, args, runCmd(t, cmd, ""), dir, "read-only file system")
		cancel()
	}
}

// fileSizeLimit starts the server with RLIMIT_FSIZE at limit bytes, so that
// growing a bbolt file past it fails (EFBIG) as on a full disk. Go ignores
// SIGXFSZ, so the write fails instead of killing the process. With prlimit
// on PATH the limit is set in the child only; otherwise the soft limit is
// lowered around cmd.Start (this test does not write files meanwhile).
func fileSizeLimit(t testing.TB, limit int64) launcher {
	if p, err := exec.LookPath("prlimit"); err == nil {
		espai := espaiOnPath(t)
		return launcher{wrap: func(args []string) *exec.Cmd {
			return exec.Command(p, append([]string{"--fsize=" + strconv.FormatInt(limit, 10), "--", espai}, args...)...)
		}}
	}
	return launcher{start: func(cmd *exec.Cmd) error {
		var old syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			return err
		}
		lim := old
		lim.Cur = uint64(limit)
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			return err
		}
		defer syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old)
		return cmd.Start()
	}}
}

// fullDisk is a data directory on which writes fail once it has grown a
// little: serve runs there through launch; after the server is killed,
// collect returns the directory to check and restart on.
type fullDisk struct {
	dir     string
	launch  launcher
	collect func() string
}

// fileSizeLimited: a copy of the data directory whose bbolt files cannot
// grow (RLIMIT_FSIZE at the size of the largest one): bbolt's file resize
// fails with EFBIG.
func fileSizeLimited(t *testing.T, base string) fullDisk {
	dir := filepath.Join(t.TempDir(), "data")
	copyDir(t, base, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*.db"))
	var limit int64
	for _, f := range files {
		if info, err := os.Stat(f); err == nil {
			limit = max(limit, info.Size())
		}
	}
	t.Logf("file size limit %d bytes", limit)
	return fullDisk{dir: dir, launch: fileSizeLimit(t, limit), collect: func() string { return dir }}
}

// smallTmpfs: the data directory on a tmpfs with 400 KB to spare, mounted
// in a private mount namespace (unshare -m: root only), so writes fail with
// ENOSPC. The server runs in the background of a shell that copies the
// directory out once the server is gone (the mount dies with the namespace).
func smallTmpfs(t *testing.T, base string) fullDisk {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (the full-disk case covers the same with RLIMIT_FSIZE)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare on PATH")
	}
	espai := espaiOnPath(t)
	tmp := t.TempDir()
	mnt, out, pidfile := filepath.Join(tmp, "mnt"), filepath.Join(tmp, "data"), filepath.Join(tmp, "pid")
	for _, d := range []string{mnt, out} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	probe := exec.Command(unshare, "-m", "sh", "-c", `mount -t tmpfs -o size=1m tmpfs "$1"`, "sh", mnt)
	if b, err := probe.CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, b)
	}
	var used int64
	filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				used += info.Sys().(*syscall.Stat_t).Blocks * 512
			}
		}
		return nil
	})
	size := used + 400<<10
	t.Logf("tmpfs of %d bytes, %d used", size, used)
	const script = `set -e
mnt=$1 size=$2 src=$3 out=$4 pidfile=$5; shift 5
mount -t tmpfs -o size=$size tmpfs "$mnt"
cp -a "$src/." "$mnt/"
"$@" &
echo $! > "$pidfile"
wait $! || true
cp -a "$mnt/." "$out/"`
	var cmd *exec.Cmd
	return fullDisk{
		dir: mnt,
		launch: launcher{
			wrap: func(args []string) *exec.Cmd {
				cmd = exec.Command(unshare, append([]string{"-m", "sh", "-c", script, "sh", mnt, strconv.FormatInt(size, 10), base, out, pidfile, espai}, args...)...)
				return cmd
			},
			victim: func() int {
				b, _ := os.ReadFile(pidfile)
				pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				return pid
			},
		},
		collect: func() string { return out },
	}
}

// testFullDisk runs the request mix against a server on a full disk until
// issuances and notification deposits fail. Every failure must be a 5xx
// JSON error, the server must keep answering, and after a restart with
// space every acknowledged request must hold, the files must pass bbolt's
// check and the audit must pass. Requests that failed are sent again, as a
// client would.
func testFullDisk(t *testing.T, base string, disk fullDisk) {
	k := newAcks()
	k.budget(t, base, 1)
	srv := startServer(t, disk.dir, disk.launch, "--no-anchor")
	a := newAPI(srv.base)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var wg sync.WaitGroup
	for w := range 4 {
		l := &loader{api: a, acks: k, round: 1}
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
		wg.Go(func() { l.run(ctx, rng) })
	}
	failed := func(kind string) int {
		k.mu.Lock()
		defer k.mu.Unlock()
		n := 0
		for _, f := range k.failures {
			if strings.Contains(f, kind) {
				n++
			}
		}
		return n
	}
	// Run until the wallet is full (deposits fail) and issuing fails, then a
	// little longer: exchanges keep being answered meanwhile.
	var full time.Time
	for ctx.Err() == nil && (full.IsZero() || time.Since(full) < time.Second) {
		time.Sleep(100 * time.Millisecond)
		if full.IsZero() && failed(": issue ") >= 3 && failed(": notifications ") >= 3 {
			full = time.Now()
		}
		select {
		case <-srv.exited:
			t.Fatalf("espai serve died on a full disk: %v\n%s", srv.err, srv.stderr.String())
		default:
		}
	}
	timedOut := ctx.Err() != nil
	cancel()
	wg.Wait()
	t.Logf("under the limit: %s", k.summary())
	// A full disk is said as such: 507 storage_full (with Retry-After), not
	// a bare 500.
	k.mu.Lock()
	var unclear []string
	for _, f := range k.failures {
		if !strings.Contains(f, "HTTP 507") || !strings.Contains(f, "storage_full") {
			unclear = append(unclear, f)
		}
	}
	k.mu.Unlock()
	if len(unclear) > 0 {
		t.Errorf("%d failures on a full disk are not 507 storage_full, for example:\n  %s", len(unclear), strings.Join(unclear[:min(5, len(unclear))], "\n  "))
	}
	if timedOut {
		t.Errorf("no issuance or deposit failed within 2 minutes: the size limit did not bite (%d 5xx)", len(k.failures))
	}
	// Still serving: reads work, the failed writes left the server usable.
	for _, path := range []string{"/healthz", "/ledger/checkpoint", "/trust/list"} {
		if err := a.get(context.Background(), path, "", nil); err != nil {
			t.Errorf("after the disk filled up: %v", err)
		}
	}
	srv.kill()
	srv.checkLogs(t)
	logServerErrors(t, srv.stderr.String())
	k.mu.Lock()
	for _, r := range k.refused {
		t.Errorf("unexpected answer: %s", r)
	}
	k.mu.Unlock()
	dir := disk.collect()
	checkBoltFiles(t, dir)

	// Space again: everything acknowledged is there; failed deposits go through.
	srv = startServer(t, dir, launcher{}, "--no-anchor")
	a = newAPI(srv.base)
	vkey, err := a.verifierKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	retryUnanswered(context.Background(), t, a, k, 2)
	if err := verifyAcks(context.Background(), a, &ledgerView{vkey: vkey}, k.since(0)); err != nil {
		t.Errorf("after a restart with space: %v", err)
	}
	srv.kill()
	srv.checkLogs(t)
	checkBoltFiles(t, dir)
	w := checkWallets(t, dir, k)
	t.Run("credentials", func(t *testing.T) {
		w.fail(t, "acknowledged credentials missing from the wallets", w.credentials)
	})
	t.Run("notification-events", func(t *testing.T) {
		w.fail(t, "notifications/procedures acknowledged on the first attempt without their wallet event", w.events)
	})
	t.Run("exchange-receipts", func(t *testing.T) {
		w.fail(t, "exchanges answered 200 whose receipt never reached the wallet", w.receipts)
	})
	t.Run("retried-deposits", func(t *testing.T) {
		w.fail(t, "notifications/procedures refused with a 5xx (the disk was full), then acknowledged on the retry without ever "+
			"reaching the wallet", w.retried)
	})
	w.fail(t, "wallet problems", w.other)
	auditVerify(t, dir)
}

// numbers are what varies between otherwise equal error messages: ids, indexes.
var numbers = regexp.MustCompile(`urn:uuid:[0-9a-f-]+|[0-9]+`)

// logServerErrors logs the distinct errors the server logged (for the report).
func logServerErrors(t testing.TB, logs string) {
	t.Helper()
	seen := map[string]int{}
	var order []string
	for _, line := range strings.Split(logs, "\n") {
		_, after, ok := strings.Cut(line, `"err":"`)
		if !ok {
			continue
		}
		msg, _, _ := strings.Cut(after, `"`)
		msg = numbers.ReplaceAllString(msg, "N")
		if seen[msg] == 0 {
			order = append(order, msg)
		}
		seen[msg]++
	}
	for _, m := range order {
		t.Logf("server logged %d× %s", seen[m], m)
	}
}

// testClientDisconnect sends issuances, exchanges and deposits about one
// citizen from clients that give up after a few milliseconds, as an
// administration's system with a short timeout does. Whatever the server
// went on to record must be whole: every ledger entry appended meanwhile has
// its receipt in the citizen's wallet, and every deposit acknowledged (on a
// retry without a timeout) has its wallet event.
func testClientDisconnect(t *testing.T, base string) {
	dir := filepath.Join(t.TempDir(), "data")
	copyDir(t, base, dir)
	const citizen = "12345678Z" // every demo issuer issues to Laia
	k := newAcks()
	k.budget(t, dir, 1)
	srv := startServer(t, dir, launcher{}, "--no-anchor")
	a := newAPI(srv.base)
	ctx := context.Background()
	vkey, err := a.verifierKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, err := a.checkpoint(ctx, vkey)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		l := &loader{api: a, acks: k, round: 1, citizen: citizen, timeout: 40 * time.Millisecond}
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
		wg.Go(func() {
			for range 40 {
				_ = l.once(ctx, rng)
			}
		})
	}
	wg.Wait()
	time.Sleep(2 * time.Second) // the server finishes what the clients gave up on
	retryUnanswered(ctx, t, a, k, 2)
	after, err := a.checkpoint(ctx, vkey)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := (&ledgerhttp.Client{Base: srv.base + "/ledger"}).EntryRange(ctx, before.Size, after.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyAcks(ctx, a, &ledgerView{vkey: vkey, cp: before}, k.since(0)); err != nil {
		t.Error(err)
	}
	srv.kill()
	srv.checkLogs(t)
	logServerErrors(t, srv.stderr.String())
	t.Logf("%s; %d ledger entries appended", k.summary(), len(entries))
	checkBoltFiles(t, dir)
	w := checkWallets(t, dir, k)
	w.fail(t, "acknowledged credentials missing from the wallet", w.credentials)
	w.fail(t, "wallet problems", w.other)
	var noReceipt []string
	for _, e := range entries {
		if !w.receiptIndexes[citizen][e.Index] {
			kind := "?"
			if pe, err := ledger.ParseEntry(e.Data); err == nil {
				kind = pe.Kind.String() + " by " + pe.Administration
			}
			noReceipt = append(noReceipt, fmt.Sprintf("ledger entry %d (%s) has no receipt in the wallet", e.Index, kind))
		}
	}
	t.Run("receipts", func(t *testing.T) {
		w.fail(t, "ledger entries whose receipt never reached the wallet", noReceipt)
	})
	t.Run("acknowledged-receipts", func(t *testing.T) {
		w.fail(t, "exchanges answered 200 without their receipt in the wallet", w.receipts)
	})
	t.Run("deposits", func(t *testing.T) {
		w.fail(t, "notifications/procedures acknowledged on the first attempt without their wallet event", w.events)
		w.fail(t, "notifications/procedures whose first attempt the client gave up on, acknowledged on the retry without ever "+
			"reaching the wallet", w.retried)
	})
}
