package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/apptest"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// serveClock is serve with a clock the test moves.
func serveClock(t *testing.T) (*httptest.Server, *Server, *clock) {
	t.Helper()
	clk := &clock{t: time.Now()}
	a := apptest.Demo(t, clk.now)
	s := New(Config{App: a, Staff: a.Staff})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, s, clk
}

func TestProceduresAndNotificationsOverHTTP(t *testing.T) {
	ts, _, clk := serveClock(t)
	api := ts.URL + "/api/v1"
	const services = "demo-girona-services"

	// An administration's system reports a procedure; bad input changes nothing.
	for _, c := range []struct {
		name, token string
		body        any
		want        int
	}{
		{"no token", "", map[string]any{"ref": "GI-1", "citizen": apptest.Laia, "status": "submitted", "title": "Llicència d'obres menors"}, http.StatusUnauthorized},
		{"issuer role", "demo-girona-issuer", map[string]any{"ref": "GI-1", "citizen": apptest.Laia, "status": "submitted", "title": "Llicència d'obres menors"}, http.StatusForbidden},
		{"new but not submitted", services, map[string]any{"ref": "GI-1", "citizen": apptest.Laia, "status": "in_review", "title": "x"}, http.StatusBadRequest},
		{"no title", services, map[string]any{"ref": "GI-1", "citizen": apptest.Laia, "status": "submitted"}, http.StatusBadRequest},
		{"unknown status", services, map[string]any{"ref": "GI-1", "citizen": apptest.Laia, "status": "archived", "title": "x"}, http.StatusBadRequest},
		{"bad reference", services, map[string]any{"ref": "../etc", "citizen": apptest.Laia, "status": "submitted", "title": "x"}, http.StatusBadRequest},
		{"bad DNI letter", services, map[string]any{"ref": "GI-1", "citizen": "12345678A", "status": "submitted", "title": "x"}, http.StatusBadRequest},
		{"citizen without wallet", services, map[string]any{"ref": "GI-1", "citizen": "00000001R", "status": "submitted", "title": "x"}, http.StatusConflict},
		{"not JSON", services, "submitted", http.StatusBadRequest},
	} {
		if code, body := call(t, "POST", api+"/procedures", c.token, c.body); code != c.want {
			t.Fatalf("%s: %d %s, want %d", c.name, code, body, c.want)
		}
	}
	if code, _ := call(t, "GET", api+"/procedures/GI-1", services, nil); code != http.StatusNotFound {
		t.Fatalf("a refused procedure was stored: %d", code)
	}
	steps := []map[string]any{
		{"ref": "GI-2026/7781", "citizen": "12345678z", "status": "submitted", "title": "Llicència d'obres menors al carrer de la Rutlla"},
		{"ref": "GI-2026/7781", "citizen": apptest.Laia, "status": "in_review"},
		{"ref": "GI-2026/7781", "citizen": apptest.Laia, "status": "info_needed", "note": "Cal el pressupost signat pel contractista."},
	}
	for _, b := range steps {
		if code, body := call(t, "POST", api+"/procedures", services, b); code != http.StatusOK {
			t.Fatalf("%v: %d %s", b["status"], code, body)
		}
	}
	code, body := call(t, "GET", api+"/procedures/GI-2026/7781", services, nil)
	var proc struct {
		Key   string
		Steps []struct{ Status string }
	}
	if err := json.Unmarshal(body, &proc); code != http.StatusOK || err != nil || len(proc.Steps) != 3 || proc.Steps[2].Status != "info_needed" {
		t.Fatalf("procedure: %d %s", code, body)
	}
	// Another administration does not see it.
	if code, _ := call(t, "GET", api+"/procedures/GI-2026/7781", "demo-aoc-services", nil); code != http.StatusNotFound {
		t.Fatalf("another administration read the procedure: %d", code)
	}

	// A notification; then Laia's phone.
	code, body = call(t, "POST", api+"/notifications", services, map[string]any{"ref": "GI-NOT-2026/12", "citizen": apptest.Laia,
		"subject": "Requeriment de documentació de la llicència d'obres", "body": "Heu d'aportar el pressupost signat en 10 dies hàbils."})
	if code != http.StatusCreated {
		t.Fatalf("deposit: %d %s", code, body)
	}
	var n struct {
		Key, State          string
		Deposited, Deadline time.Time
	}
	_ = json.Unmarshal(body, &n)
	if n.State != "pending" || n.Deadline.Sub(n.Deposited) != 10*24*time.Hour {
		t.Fatalf("deposited notification %s", body)
	}
	b := newBrowser(t, ts.URL)
	if code, _ := b.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("login %d", code)
	}
	_, page, _ := b.do("GET", "/procedures", nil)
	if !strings.Contains(page, html.EscapeString("Llicència d'obres menors al carrer de la Rutlla")) || !strings.Contains(page, "Cal més informació") {
		t.Fatal("the procedure is not on the procedures page")
	}
	_, page, _ = b.do("GET", "/procedures/"+proc.Key, nil)
	for _, want := range []string{"Presentat", "En revisió", "Cal el pressupost signat pel contractista."} {
		if !strings.Contains(page, html.EscapeString(want)) {
			t.Fatalf("timeline lacks %q", want)
		}
	}
	_, home, _ := b.do("GET", "/", nil)
	if !strings.Contains(home, `data-alert="procedure_info_needed"`) || !strings.Contains(home, "Requeriment de documentació de la llicència d&#39;obres") {
		t.Fatal("home shows neither the procedure waiting for her nor the coming deadline")
	}
	_, page, _ = b.do("GET", "/notifications", nil)
	if !strings.Contains(page, n.Key) {
		t.Fatal("the notification is not listed")
	}
	_, page, _ = b.do("GET", "/notifications/"+n.Key, nil)
	if strings.Contains(page, "Heu d&#39;aportar el pressupost") {
		t.Fatal("the body is shown before the citizen accepts the notification")
	}
	if _, body := call(t, "GET", api+"/notifications/GI-NOT-2026/12", services, nil); !strings.Contains(string(body), `"state":"read"`) {
		t.Fatalf("opening it did not mark it read: %s", body)
	}
	csrf := csrfOf(t, page)
	if code, _, _ := b.do("POST", "/notifications/"+n.Key+"/accept", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("accept without CSRF: %d", code)
	}
	if code, _, _ := b.do("POST", "/notifications/"+n.Key+"/accept", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther {
		t.Fatalf("accept: %d", code)
	}
	_, page, _ = b.do("GET", "/notifications/"+n.Key, nil)
	if !strings.Contains(page, "Heu d&#39;aportar el pressupost") || !strings.Contains(page, `data-state="accepted"`) {
		t.Fatal("accepted notification does not show its body")
	}
	if code, _, _ := b.do("POST", "/notifications/"+n.Key+"/reject", url.Values{"csrf": {csrf}}); code != http.StatusConflict {
		t.Fatalf("reject after accept: %d", code)
	}
	if _, body := call(t, "GET", api+"/notifications/GI-NOT-2026/12", services, nil); !strings.Contains(string(body), `"state":"accepted"`) {
		t.Fatalf("the administration does not see the acceptance: %s", body)
	}

	// A second notification is left unanswered: after ten days it is expired
	// for the administration and the citizen, and can no longer be accepted.
	_, body = call(t, "POST", api+"/notifications", services, map[string]any{"ref": "GI-NOT-2026/13", "citizen": apptest.Laia,
		"subject": "Liquidació de la taxa de llicència", "body": "Import: 182,40 euros."})
	_ = json.Unmarshal(body, &n)
	clk.add(7*24*time.Hour + time.Hour)
	b2 := newBrowser(t, ts.URL) // the first session idled out
	b2.login(apptest.Laia, apptest.LaiaPassphrase)
	_, home, _ = b2.do("GET", "/", nil)
	if !strings.Contains(home, `data-alert="notification_deadline"`) || !strings.Contains(home, "Liquidació de la taxa de llicència") {
		t.Fatal("no deadline alert with less than three days left")
	}
	clk.add(3 * 24 * time.Hour)
	if _, body := call(t, "GET", api+"/notifications/GI-NOT-2026/13", services, nil); !strings.Contains(string(body), `"state":"expired"`) {
		t.Fatalf("after ten days: %s", body)
	}
	b3 := newBrowser(t, ts.URL)
	b3.login(apptest.Laia, apptest.LaiaPassphrase)
	_, page, _ = b3.do("GET", "/notifications/"+n.Key, nil)
	if !strings.Contains(page, `data-state="expired"`) || strings.Contains(page, "182,40") {
		t.Fatal("expired notification page")
	}
	if code, _, _ := b3.do("POST", "/notifications/"+n.Key+"/accept", url.Values{"csrf": {csrfOf(t, page)}}); code != http.StatusConflict {
		t.Fatalf("accepting an expired notification: %d", code)
	}
	// Someone else's notification key is not found.
	if code, _, _ := b3.do("GET", "/notifications/00000000-0000-0000-0000-000000000000", nil); code != http.StatusNotFound {
		t.Fatalf("unknown key: %d", code)
	}
}

func TestLoginsFromOtherServices(t *testing.T) {
	ts, _ := serve(t)
	api := ts.URL + "/api/v1/logins"
	for _, c := range []struct {
		body any
		want int
	}{
		{map[string]any{"citizen": apptest.Laia, "service": "Seu electrònica", "method": "idCAT Mòbil"}, http.StatusBadRequest}, // no device
		{map[string]any{"citizen": apptest.Laia, "service": "Seu electrònica", "method": "idCAT Mòbil", "device": "iPad · Safari", "time": time.Now().Add(time.Hour)}, http.StatusBadRequest},
		{map[string]any{"citizen": apptest.Laia, "service": "Seu electrònica", "method": "idCAT Mòbil", "device": "iPad · Safari"}, http.StatusAccepted},
	} {
		if code, body := call(t, "POST", api, "demo-aoc-services", c.body); code != c.want {
			t.Fatalf("%v: %d %s", c.body, code, body)
		}
	}
	b := newBrowser(t, ts.URL)
	b.login(apptest.Laia, apptest.LaiaPassphrase)
	_, page, _ := b.do("GET", "/sessions", nil)
	if !strings.Contains(page, "Seu electrònica") || !strings.Contains(page, "Safari / iPadOS") || !strings.Contains(page, "dispositiu nou") {
		t.Fatal("login history lacks the reported login from a new device")
	}
	_, home, _ := b.do("GET", "/", nil)
	if !strings.Contains(home, `data-alert="new_device"`) {
		t.Fatal("no new-device alert")
	}
}

var secretRE = regexp.MustCompile(`<code class="secret">([A-Z2-7]+)</code>`)

func TestSecondFactorLogin(t *testing.T) {
	ts, _, clk := serveClock(t)
	b := newBrowser(t, ts.URL)
	b.login(apptest.Laia, apptest.LaiaPassphrase)
	_, page, _ := b.do("GET", "/settings", nil)
	csrf := csrfOf(t, page)
	_, page, _ = b.do("POST", "/settings/mfa/begin", url.Values{"csrf": {csrf}})
	m := secretRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "<svg") {
		t.Fatal("enrolment page has no QR code or key")
	}
	codeAt := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(m[1], at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, page, _ = b.do("POST", "/settings/mfa/confirm", url.Values{"csrf": {csrf}, "code": {codeAt(clk.now())}}); !strings.Contains(page, "Segon factor activat") {
		t.Fatal("second factor not turned on")
	}
	b.do("POST", "/logout", url.Values{"csrf": {csrf}})

	// The passphrase alone no longer opens the space.
	clk.add(time.Minute)
	code, page := b.login(apptest.Laia, apptest.LaiaPassphrase)
	if code != http.StatusOK || !strings.Contains(page, `action="/login/code"`) {
		t.Fatalf("no code step: %d", code)
	}
	if code, _, _ := b.do("GET", "/", nil); code != http.StatusSeeOther {
		t.Fatalf("home reachable before the second factor: %d", code)
	}
	step := csrfOf(t, page)
	if code, _, _ := b.do("POST", "/login/code", url.Values{"csrf": {step}, "code": {"000000"}}); code != http.StatusUnauthorized && codeAt(clk.now()) != "000000" {
		t.Fatalf("wrong code: %d", code)
	}
	good := codeAt(clk.now())
	if code, _, _ := b.do("POST", "/login/code", url.Values{"csrf": {step}, "code": {good}}); code != http.StatusSeeOther {
		t.Fatalf("right code: %d", code)
	}
	_, page, _ = b.do("GET", "/sessions", nil)
	if !strings.Contains(page, `data-method="passphrase&#43;totp"`) || !strings.Contains(page, "contrasenya i codi del mòbil") {
		t.Fatal("the login method is not in the history")
	}
	// The same code again (another device, same 30 s) is refused.
	other := newBrowser(t, ts.URL)
	_, page = other.login(apptest.Laia, apptest.LaiaPassphrase)
	if code, _, _ := other.do("POST", "/login/code", url.Values{"csrf": {csrfOf(t, page)}, "code": {good}}); code != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", code)
	}
	// A pending login expires after five minutes.
	clk.add(6 * time.Minute)
	if code, _, _ := other.do("POST", "/login/code", url.Values{"csrf": {csrfOf(t, page)}, "code": {codeAt(clk.now())}}); code != http.StatusForbidden {
		t.Fatalf("stale pending login: %d", code)
	}
}
