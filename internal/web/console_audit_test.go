package web

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/ledger/ledgerhttp"
)

// fakeAnchors is a hand-written anchorer: the live status /ledger/anchors
// serves, and the chain's anchors (ledger.ChainReader), as *anchor.Anchorer
// provides them.
type fakeAnchors struct {
	onChain []ledger.ChainAnchor
}

func (f *fakeAnchors) Status(context.Context) (any, error) {
	return map[string]any{"pending": 0, "final": len(f.onChain)}, nil
}

func (f *fakeAnchors) AnchoredOnChain(context.Context) ([]ledger.ChainAnchor, error) {
	return f.onChain, nil
}

const auditTx = "0x5e1f00000000000000000000000000000000000000000000000000000000a7c3"

// auditServer serves the demo deployment, whose ledger holds the demo
// issuance and presentations, plus a few entries that exercise the
// statistics (a data exchange, an access with neither legal basis nor
// consent, a withdrawn consent followed by another access), with its latest
// checkpoint anchored (final, block 42) on a fake chain.
func auditServer(t *testing.T) (*httptest.Server, *app.App, *fakeAnchors) {
	t.Helper()
	a := apptest.Demo(t, nil)
	ctx := context.Background()
	l := a.Ledger
	// The ICS consent of the demo (Laia, nursing job pool): withdraw it, then
	// ICS verifies again with no legal basis.
	var ics ledger.PseudonymID
	for _, e := range auditEntries(t, l) {
		if e.Kind == ledger.KindConsentGiven && e.Administration == "ics" {
			ics = e.Pseudonym
		}
	}
	if ics == (ledger.PseudonymID{}) {
		t.Fatal("the demo ledger has no ICS consent")
	}
	other := ledger.Pseudonym([]byte("a test citizen's secret, 32 byte"), "ajuntament-girona")
	for _, e := range []ledger.Entry{
		{Kind: ledger.KindDataExchange, Administration: "ahc", Source: "atc", Purpose: "ajut-lloguer-residencia",
			LegalBasis: "Llei 18/2007, del dret a l'habitatge; RGPD art. 6.1.e", Categories: []string{"tax-compliance"}},
		{Kind: ledger.KindPresentationVerified, Administration: "ajuntament-girona", Pseudonym: other, Purpose: "preinscripcio-escolar",
			CredentialType: "CensusCredential", Categories: []string{"municipality"}, Outcome: ledger.OutcomeAccepted},
		{Kind: ledger.KindConsentWithdrawn, Administration: "ics", Pseudonym: ics, Purpose: "borsa-infermeria"},
		{Kind: ledger.KindPresentationVerified, Administration: "ics", Pseudonym: ics, Purpose: "borsa-infermeria",
			CredentialType: "UniversityDegreeCredential", Categories: []string{"degreeTitle"}, Outcome: ledger.OutcomeRefused},
	} {
		if e.Pseudonym == (ledger.PseudonymID{}) {
			e.Pseudonym = ledger.Pseudonym([]byte("another test citizen's secret.."), e.Administration)
		}
		e.Commitment = ledger.Commitment{0xc0, 0xff, 0xee}
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	cp := l.Latest()
	if err := l.PutAnchor(ctx, ledger.AnchorRecord{Size: cp.Size, Root: cp.Root, Status: ledger.AnchorFinal, TxHash: auditTx, Block: 42}); err != nil {
		t.Fatal(err)
	}
	f := &fakeAnchors{onChain: []ledger.ChainAnchor{{Size: cp.Size, Root: cp.Root, Block: 42, TxHash: auditTx, Final: true}}}
	ts := httptest.NewServer(New(Config{App: a, Staff: a.Staff, Anchors: f}))
	t.Cleanup(ts.Close)
	return ts, a, f
}

// auditEntries reads the whole ledger directly.
func auditEntries(t *testing.T, l *ledger.Log) []*ledger.Entry {
	t.Helper()
	var out []*ledger.Entry
	size := l.Latest().Size
	for start := uint64(0); start < size; start += ledger.MaxRange {
		page, err := l.Entries(context.Background(), start, min(start+ledger.MaxRange, size))
		if err != nil {
			t.Fatal(err)
		}
		for _, ie := range page {
			e, err := ledger.ParseEntry(ie.Data)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
	}
	return out
}

// auditSignIn signs a staff member in to the console.
func auditSignIn(t *testing.T, base, login, password string) *browser {
	t.Helper()
	b := newBrowser(t, base)
	_, page, _ := b.do("GET", "/console/login", nil)
	code, _, h := b.do("POST", "/console/login", url.Values{"csrf": {csrfOf(t, page)}, "login": {login}, "password": {password}})
	if code != http.StatusSeeOther || h.Get("Location") != "/console" {
		t.Fatalf("console sign-in of %s: %d %s", login, code, h.Get("Location"))
	}
	return b
}

// The demo personas' identifiers and names never reach an auditor's page.
var auditPersonalData = []string{"12345678Z", "38765432J", "40123456W", "Y2345678Z", "39876543V",
	"Laia", "Puig", "Serra", "Jordi", "Casals", "Vidal", "Montserrat", "Ferrer", "Soler", "Youssef", "Amrani",
	"Marta", "Garcia", "López"}

func auditNoPersonalData(t *testing.T, name, page string) {
	t.Helper()
	for _, s := range auditPersonalData {
		if strings.Contains(page, s) {
			t.Errorf("%s shows %q", name, s)
		}
	}
}

func TestAuditConsoleBrowser(t *testing.T) {
	ts, a, _ := auditServer(t)
	b := auditSignIn(t, ts.URL, "elena.marti", "elena-demo-2026")
	code, page, _ := b.do("GET", "/console/audit", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /console/audit: %d", code)
	}
	auditNoPersonalData(t, "the ledger browser", page)
	latest := a.Ledger.Latest()
	entries := auditEntries(t, a.Ledger)
	if uint64(len(entries)) != latest.Size || latest.Size < 20 || latest.Size > auditPageSize {
		t.Fatalf("demo ledger of %d entries: the test expects one page", latest.Size)
	}
	// Every entry, newest first, in words.
	rows := regexp.MustCompile(`<tr data-index="(\d+)">`).FindAllStringSubmatch(page, -1)
	if len(rows) != len(entries) || rows[0][1] != strconv.Itoa(len(entries)-1) || rows[len(rows)-1][1] != "0" {
		t.Fatalf("%d entry rows, want %d newest first", len(rows), len(entries))
	}
	for _, want := range []string{
		"Credencial emesa", "Presentació verificada", "Consentiment donat", "Consentiment retirat", "Intercanvi de dades (Via Oberta)",
		"Institut Català de la Salut", "Agència de l'Habitatge de Catalunya", "Agència Tributària de Catalunya",
		"borsa-infermeria", "Llei 18/2007, del dret a l'habitatge", "(cap base legal declarada)", "acceptada", "rebutjada",
		hex.EncodeToString(latest.Root[:]), `data-tree-size="` + strconv.FormatUint(latest.Size, 10) + `"`,
		`data-anchoring="on"`, auditTx, "definitiu", a.Ledger.VerifierKey(),
	} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("the ledger browser lacks %q", want)
		}
	}
	// Pseudonyms are shortened; no commitment or full pseudonym on the list.
	e := entries[len(entries)-1]
	if full := e.Pseudonym.String(); strings.Contains(page, full) || !strings.Contains(page, full[:12]+"…") {
		t.Error("the list should show the pseudonym shortened")
	}
	// Pages: ?before=N lists the 50 entries below N.
	_, older, _ := b.do("GET", "/console/audit?before=10", nil)
	if !strings.Contains(older, `<tr data-index="9">`) || strings.Contains(older, `<tr data-index="10">`) ||
		!strings.Contains(older, `href="/console/audit?before=`+strconv.FormatUint(latest.Size, 10)+`"`) {
		t.Error("?before=10 should list entries 9 down to 0, with a link to newer entries")
	}
	if _, first, _ := b.do("GET", "/console/audit?before=0", nil); !strings.Contains(first, `<tr data-index="`+strconv.FormatUint(latest.Size-1, 10)+`">`) {
		t.Error("?before=0 should list the newest entries")
	}
	if code, _, _ := b.do("GET", "/console/audit?before=ten", nil); code != http.StatusBadRequest {
		t.Errorf("?before=ten: %d, want 400", code)
	}
	// In the other languages.
	for lang, want := range map[string]string{"en": "Verify now", "es": "Verificar ahora"} {
		if _, p, _ := b.do("GET", "/console/audit?lang="+lang, nil); !strings.Contains(p, want) {
			t.Errorf("lang=%s: no %q", lang, want)
		}
	}
}

func TestAuditConsoleEntryVerifiedInPlace(t *testing.T) {
	ts, a, _ := auditServer(t)
	b := auditSignIn(t, ts.URL, "elena.marti", "elena-demo-2026")
	for i := range a.Ledger.Latest().Size {
		code, page, _ := b.do("GET", fmt.Sprintf("/console/audit/entries/%d", i), nil)
		if code != http.StatusOK || !strings.Contains(page, `data-verified="true"`) {
			t.Fatalf("entry %d: %d, not verified", i, code)
		}
		auditNoPersonalData(t, fmt.Sprintf("entry %d", i), page)
	}
	for path, want := range map[string]int{"/console/audit/entries/100000": http.StatusNotFound, "/console/audit/entries/x": http.StatusBadRequest} {
		if code, _, _ := b.do("GET", path, nil); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
}

var auditCheckRE = regexp.MustCompile(`<li data-check-state="(pass|fail|skip)">`)

func auditChecks(page string) map[string]int {
	n := map[string]int{}
	for _, m := range auditCheckRE.FindAllStringSubmatch(page, -1) {
		n[m[1]]++
	}
	return n
}

func TestAuditConsoleVerifyNow(t *testing.T) {
	ts, a, f := auditServer(t)
	b := auditSignIn(t, ts.URL, "elena.marti", "elena-demo-2026")
	_, home, _ := b.do("GET", "/console/audit", nil)
	csrf := csrfOf(t, home)
	size := a.Ledger.Latest().Size
	code, page, _ := b.do("POST", "/console/audit/verify", url.Values{"csrf": {csrf}})
	if code != http.StatusOK || !strings.Contains(page, `data-audit="passed"`) {
		t.Fatalf("verify now: %d\n%s", code, page)
	}
	if n := auditChecks(page); n["pass"] != 5 || n["fail"] != 0 || n["skip"] != 0 {
		t.Fatalf("checks %v, want 5 passed", n)
	}
	for _, want := range []string{
		`data-entries-checked="` + strconv.FormatUint(size, 10) + `"`, "Totes les comprovacions s'han superat.",
		"<td>42</td>", auditTx, "Signatures dels punts de control", "Arbre recalculat", "Hashes dels rebuts",
	} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("verify page lacks %q", want)
		}
	}
	// It writes nothing.
	if after := a.Ledger.Latest(); after.Size != size {
		t.Errorf("verify-now changed the ledger: %d -> %d", size, after.Size)
	}
	// No CSRF token, or another one: 403.
	for _, form := range []url.Values{{}, {"csrf": {"not-the-token"}}} {
		if code, _, _ := b.do("POST", "/console/audit/verify", form); code != http.StatusForbidden {
			t.Errorf("verify with csrf %q: %d, want 403", form.Get("csrf"), code)
		}
	}
	// A chain holding another root for the anchored size fails the anchors check.
	f.onChain[0].Root[0] ^= 1
	_, page, _ = b.do("POST", "/console/audit/verify", url.Values{"csrf": {csrf}})
	if n := auditChecks(page); !strings.Contains(page, `data-audit="failed"`) || n["fail"] != 1 || n["pass"] != 4 {
		t.Errorf("forked anchor: checks %v, want the anchors check failed", n)
	}
}

func TestAuditConsoleWithoutAnchoring(t *testing.T) {
	ts, _ := serve(t) // the demo deployment, no anchorer attached
	b := auditSignIn(t, ts.URL, "elena.marti", "elena-demo-2026")
	_, home, _ := b.do("GET", "/console/audit", nil)
	if !strings.Contains(home, `data-anchoring="off"`) {
		t.Error("the browser page should say anchoring is off")
	}
	code, page, _ := b.do("POST", "/console/audit/verify", url.Values{"csrf": {csrfOf(t, home)}})
	if n := auditChecks(page); code != http.StatusOK || !strings.Contains(page, `data-audit="passed-without-chain"`) || n["pass"] != 4 || n["skip"] != 1 ||
		!strings.Contains(html.UnescapeString(page), "L'ancoratge no és actiu en aquest servidor") {
		t.Errorf("verify without a chain: %d, checks %v", code, n)
	}
	// An anchorer that reports its status but cannot read the chain: the
	// anchors are not checked, and the page says why.
	a := apptest.Demo(t, nil)
	status := ledgerhttp.AnchorStatusFunc(func(context.Context) (any, error) { return map[string]any{"last_error": "dial tcp: refused"}, nil })
	ts2 := httptest.NewServer(New(Config{App: a, Staff: a.Staff, Anchors: status}))
	t.Cleanup(ts2.Close)
	b = auditSignIn(t, ts2.URL, "elena.marti", "elena-demo-2026")
	_, home, _ = b.do("GET", "/console/audit", nil)
	if !strings.Contains(home, `data-anchoring="on"`) || !strings.Contains(home, "dial tcp: refused") {
		t.Error("the browser page should show the running anchorer and its last error")
	}
	_, page, _ = b.do("POST", "/console/audit/verify", url.Values{"csrf": {csrfOf(t, home)}})
	if n := auditChecks(page); n["skip"] != 1 || !strings.Contains(html.UnescapeString(page), "no dona accés a la cadena") {
		t.Errorf("verify with a status-only anchorer: checks %v", n)
	}
	// An anchorer waiting for its node, or stopped: the page says so.
	for _, state := range []string{"connecting", "stopped"} {
		status := ledgerhttp.AnchorStatusFunc(func(context.Context) (any, error) {
			return map[string]any{"state": state, "last_error": "anchor: chain unavailable"}, nil
		})
		ts := httptest.NewServer(New(Config{App: a, Staff: a.Staff, Anchors: status}))
		b := auditSignIn(t, ts.URL, "elena.marti", "elena-demo-2026")
		if _, home, _ := b.do("GET", "/console/audit", nil); !strings.Contains(home, `data-anchoring="`+state+`"`) {
			t.Errorf("the browser page does not say the anchorer is %s", state)
		}
		ts.Close()
	}
}

func TestAuditConsoleStatistics(t *testing.T) {
	ts, a, _ := auditServer(t)
	b := auditSignIn(t, ts.URL, "elena.marti", "elena-demo-2026")
	code, page, _ := b.do("GET", "/console/audit/stats", nil)
	if code != http.StatusOK || !strings.Contains(page, "<svg") || !strings.Contains(page, `role="img"`) {
		t.Fatalf("stats: %d, no accessible svg chart", code)
	}
	auditNoPersonalData(t, "the statistics page", page)
	// Counted from the ledger directly.
	entries := auditEntries(t, a.Ledger)
	perAdmin := map[string]int{}
	kinds := map[string]int{}
	exchanges := 0
	for _, e := range entries {
		kinds[e.Kind.String()]++
		if e.Kind == ledger.KindPresentationVerified || e.Kind == ledger.KindDataExchange {
			perAdmin[e.Administration]++
			exchanges++
		}
	}
	if len(perAdmin) < 3 {
		t.Fatalf("exchanges by %v: the test expects several administrations", perAdmin)
	}
	for id, n := range perAdmin {
		adm, err := a.Issuer.Administration(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if want := "<title>" + html.EscapeString(adm.Name) + ": " + strconv.Itoa(n) + "</title>"; !strings.Contains(page, want) {
			t.Errorf("the per-administration chart lacks %s", want)
		}
	}
	for _, want := range []string{
		`data-chart="admin" data-total="` + strconv.Itoa(exchanges) + `"`,
		`data-consents-given="` + strconv.Itoa(kinds["consent-given"]) + `"`,
		`data-consents-refused="` + strconv.Itoa(kinds["consent-refused"]) + `"`,
		`data-consents-withdrawn="` + strconv.Itoa(kinds["consent-withdrawn"]) + `"`,
		// The presentation with neither basis nor consent, and the one after the withdrawal.
		`data-without-consent="2"`,
		`href="/console/audit/entries/` + strconv.Itoa(len(entries)-1) + `"`,
		`href="/console/audit/entries/` + strconv.Itoa(len(entries)-3) + `"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("stats page lacks %s", want)
		}
	}
	// CSV: one row per period, administration, purpose, legal basis and kind.
	code, body, h := b.do("GET", "/console/audit/stats.csv", nil)
	if code != http.StatusOK || h.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("stats.csv: %d %q %q", code, h.Get("Content-Type"), h.Get("Content-Disposition"))
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(records[0], ",") != "period,administration,purpose,legal_basis,kind,count,without_consent" {
		t.Fatalf("csv header %v", records[0])
	}
	total, csvKinds, csvAdmin, csvWithout := 0, map[string]int{}, map[string]int{}, 0
	seen := map[string]bool{}
	for _, r := range records[1:] {
		n, err := strconv.Atoi(r[5])
		if err != nil || n <= 0 {
			t.Fatalf("csv row %v", r)
		}
		w, err := strconv.Atoi(r[6])
		if err != nil || w < 0 || w > n || (w > 0 && r[3] != "") {
			t.Fatalf("csv row %v: without_consent", r)
		}
		csvWithout += w
		key := strings.Join(r[:5], "\x00")
		if seen[key] {
			t.Fatalf("csv row %v repeated", r)
		}
		seen[key] = true
		total += n
		csvKinds[r[4]] += n
		if r[4] == "presentation-verified" || r[4] == "data-exchange" {
			csvAdmin[r[1]] += n
		}
	}
	if total != len(entries) {
		t.Errorf("csv counts %d entries, the ledger has %d", total, len(entries))
	}
	if csvWithout != 2 {
		t.Errorf("csv: %d accesses without consent, want 2", csvWithout)
	}
	for k, n := range kinds {
		if csvKinds[k] != n {
			t.Errorf("csv: %d %s, the ledger has %d", csvKinds[k], k, n)
		}
	}
	for id, n := range perAdmin {
		if csvAdmin[id] != n {
			t.Errorf("csv: %d exchanges by %s, the ledger has %d", csvAdmin[id], id, n)
		}
	}
	auditNoPersonalData(t, "the csv", body)
}

func TestAuditConsoleOnlyForAuditors(t *testing.T) {
	ts, _, _ := auditServer(t)
	b := auditSignIn(t, ts.URL, "pere.vila", "pere-demo-2026") // verifier only
	for _, path := range []string{"/console/audit", "/console/audit/stats", "/console/audit/stats.csv", "/console/audit/entries/0"} {
		if code, _, _ := b.do("GET", path, nil); code != http.StatusForbidden {
			t.Errorf("verifier GET %s: %d, want 403", path, code)
		}
	}
	_, home, _ := b.do("GET", "/console", nil)
	if code, _, _ := b.do("POST", "/console/audit/verify", url.Values{"csrf": {csrfOf(t, home)}}); code != http.StatusForbidden {
		t.Errorf("verifier POST verify: %d, want 403", code)
	}
	// Nobody signed in: the login page, or 403 for the POST.
	anon := newBrowser(t, ts.URL)
	if code, _, h := anon.do("GET", "/console/audit/stats", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Errorf("anonymous stats: %d %s", code, h.Get("Location"))
	}
	if code, _, _ := anon.do("POST", "/console/audit/verify", url.Values{}); code != http.StatusForbidden {
		t.Errorf("anonymous verify: %d, want 403", code)
	}
}

func TestAuditBarChartEscapes(t *testing.T) {
	svg := string(auditBarChart(`<script>"x"</script>`, []auditBar{{`a<b & "c"`, 3}, {"d", 0}}, "other"))
	if strings.Contains(svg, "<script>") || strings.Contains(svg, `a<b`) || !strings.Contains(svg, "<title>a&lt;b &amp; &#34;c&#34;: 3</title>") {
		t.Errorf("unescaped chart: %s", svg)
	}
	var bars []auditBar
	for i := range 40 {
		bars = append(bars, auditBar{strconv.Itoa(i), 1})
	}
	if svg := string(auditBarChart("t", bars, "other")); strings.Count(svg, "<rect") != auditMaxBars || !strings.Contains(svg, "<title>other: 16</title>") {
		t.Errorf("40 bars should be drawn as %d, the last summing 16", auditMaxBars)
	}
}

// The auditor's pages in a phone-sized headless Chromium: accessible (axe,
// WCAG 2.1 AA), no horizontal scrolling, nothing the CSP blocks.
func TestAuditConsolePagesInBrowser(t *testing.T) {
	ts, _, _ := auditServer(t)
	tb := newTab(t, newChrome(t), ts.URL, 360, 640, false)
	tb.open("/console/login")
	tb.do("sign in", chromedp.SendKeys("#login", "elena.marti"), chromedp.SendKeys("#password", "elena-demo-2026"))
	tb.follow("form.card button[type=submit]")
	for _, path := range []string{"/console/audit", "/console/audit/entries/17", "/console/audit/stats"} {
		tb.open(path)
		tb.check(path)
	}
	tb.open("/console/audit")
	tb.follow("form.audit-verify button")
	if got := tb.path(); got != "/console/audit/verify" || tb.count(`[data-audit="passed"]`) != 1 {
		t.Fatalf("verify now from the browser: %s", got)
	}
	tb.check("verify now")
}

// overTimeServer is the demo deployment plus entries dated in early 2020,
// far from the demo's own (dated now), whose statistics per period are
// known: see TestAuditConsoleStatisticsOverTime.
func overTimeServer(t *testing.T) (*httptest.Server, *app.App) {
	t.Helper()
	a := apptest.Demo(t, nil)
	ctx := context.Background()
	pseudonym := func(who string) ledger.PseudonymID {
		return ledger.Pseudonym([]byte(fmt.Sprintf("%-32s", who)), "x")
	}
	at := func(month time.Month, day int) time.Time { return time.Date(2020, month, day, 11, 0, 0, 0, time.UTC) }
	const rent, school = "Llei 18/2007, del dret a l'habitatge; RGPD art. 6.1.e", "Llei 12/2009, d'educació; RGPD art. 6.1.e"
	for _, e := range []ledger.Entry{
		// January: two data exchanges (AHC), one presentation with a legal
		// basis (Girona), one consent given.
		{Time: at(1, 10), Kind: ledger.KindDataExchange, Administration: "ahc", Source: "atc", Purpose: "ajut-lloguer-residencia", LegalBasis: rent, Categories: []string{"tax-compliance"}},
		{Time: at(1, 10), Kind: ledger.KindDataExchange, Administration: "ahc", Source: "atc", Purpose: "ajut-lloguer-residencia", LegalBasis: rent, Categories: []string{"tax-compliance"}},
		{Time: at(1, 12), Kind: ledger.KindConsentGiven, Administration: "ajuntament-girona", Pseudonym: pseudonym("p1"), Purpose: "preinscripcio-escolar", LegalBasis: school, Categories: []string{"municipality"}},
		{Time: at(1, 12), Kind: ledger.KindPresentationVerified, Administration: "ajuntament-girona", Pseudonym: pseudonym("p1"), Purpose: "preinscripcio-escolar", LegalBasis: school,
			CredentialType: "CensusCredential", Categories: []string{"municipality"}, Outcome: ledger.OutcomeAccepted},
		// February: a refusal, and an ICS presentation with no basis and no
		// consent (an access without consent).
		{Time: at(2, 5), Kind: ledger.KindConsentRefused, Administration: "ics", Pseudonym: pseudonym("p2"), Purpose: "borsa-infermeria", Categories: []string{"degreeTitle"}},
		{Time: at(2, 5), Kind: ledger.KindPresentationVerified, Administration: "ics", Pseudonym: pseudonym("p2"), Purpose: "borsa-infermeria",
			CredentialType: "UniversityDegreeCredential", Categories: []string{"degreeTitle"}, Outcome: ledger.OutcomeAccepted},
		// March: a consent given, an access under it, the consent withdrawn,
		// then an access without consent.
		{Time: at(3, 20), Kind: ledger.KindConsentGiven, Administration: "ics", Pseudonym: pseudonym("p3"), Purpose: "borsa-infermeria", LegalBasis: "RGPD art. 6.1.a", Categories: []string{"degreeTitle"}},
		{Time: at(3, 20), Kind: ledger.KindPresentationVerified, Administration: "ics", Pseudonym: pseudonym("p3"), Purpose: "borsa-infermeria",
			CredentialType: "UniversityDegreeCredential", Categories: []string{"degreeTitle"}, Outcome: ledger.OutcomeAccepted},
		{Time: at(3, 20), Kind: ledger.KindConsentWithdrawn, Administration: "ics", Pseudonym: pseudonym("p3"), Purpose: "borsa-infermeria"},
		{Time: at(3, 20), Kind: ledger.KindPresentationVerified, Administration: "ics", Pseudonym: pseudonym("p3"), Purpose: "borsa-infermeria",
			CredentialType: "UniversityDegreeCredential", Categories: []string{"degreeTitle"}, Outcome: ledger.OutcomeRefused},
		// April, outside the range the test asks for.
		{Time: at(4, 2), Kind: ledger.KindPresentationVerified, Administration: "ics", Pseudonym: pseudonym("p4"), Purpose: "borsa-infermeria",
			CredentialType: "UniversityDegreeCredential", Categories: []string{"degreeTitle"}, Outcome: ledger.OutcomeAccepted},
	} {
		if e.Pseudonym == (ledger.PseudonymID{}) {
			e.Pseudonym = pseudonym("exchange")
		}
		e.Commitment = ledger.Commitment{0xc0, 0xff, 0xee}
		if _, err := a.Ledger.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(New(Config{App: a, Staff: a.Staff}))
	t.Cleanup(ts.Close)
	return ts, a
}

// overTimeCells reads one breakdown's period × series table: period ->
// series -> count, and period -> total.
func overTimeCells(t *testing.T, page, id string) (map[string]map[string]int, map[string]int) {
	t.Helper()
	start := strings.Index(page, `data-over="`+id+`"`)
	if start < 0 {
		t.Fatalf("no %s chart over time", id)
	}
	section := page[start:]
	section = section[:strings.Index(section, "</section>")]
	if !strings.Contains(section, "<svg") || !strings.Contains(section, `role="img"`) {
		t.Errorf("chart %s over time: no accessible svg", id)
	}
	cells, totals := map[string]map[string]int{}, map[string]int{}
	rowRE := regexp.MustCompile(`<tr data-period="([^"]+)">(.*?)</tr>`)
	cellRE := regexp.MustCompile(`<td data-series="([^"]*)" data-count="(\d+)">`)
	totalRE := regexp.MustCompile(`data-period-total="(\d+)"`)
	for _, r := range rowRE.FindAllStringSubmatch(section, -1) {
		cells[r[1]] = map[string]int{}
		for _, c := range cellRE.FindAllStringSubmatch(r[2], -1) {
			if n, _ := strconv.Atoi(c[2]); n > 0 {
				cells[r[1]][html.UnescapeString(c[1])] = n
			}
		}
		m := totalRE.FindStringSubmatch(r[2])
		if m == nil {
			t.Fatalf("chart %s: period %s has no total", id, r[1])
		}
		totals[r[1]], _ = strconv.Atoi(m[1])
	}
	return cells, totals
}

// The statistics over time: per period, exchanges by administration, by
// purpose and by legal basis, consents given, refused and withdrawn, and
// accesses without consent, for a date range that applies to the page and
// to the CSV. Bad dates are refused in words.
func TestAuditConsoleStatisticsOverTime(t *testing.T) {
	ts, _ := overTimeServer(t)
	b := auditSignIn(t, ts.URL, "elena.marti", "elena-demo-2026")
	code, page, _ := b.do("GET", "/console/audit/stats?from=2020-01-01&to=2020-03-31", nil)
	if code != http.StatusOK {
		t.Fatalf("stats for the first quarter of 2020: %d", code)
	}
	auditNoPersonalData(t, "the statistics over time", page)
	const rent, school, none = "Llei 18/2007, del dret a l'habitatge; RGPD art. 6.1.e", "Llei 12/2009, d'educació; RGPD art. 6.1.e", "(cap base legal declarada)"
	ahc, girona, ics := "Agència de l'Habitatge de Catalunya", "Ajuntament de Girona", "Institut Català de la Salut"
	type table = map[string]map[string]int
	for _, c := range []struct {
		id   string
		want table
	}{
		{"admin", table{"2020-01": {ahc: 2, girona: 1}, "2020-02": {ics: 1}, "2020-03": {ics: 2}}},
		{"basis", table{"2020-01": {rent: 2, school: 1}, "2020-02": {none: 1}, "2020-03": {none: 2}}},
		{"consents", table{"2020-01": {"Consentiment donat": 1}, "2020-02": {"Consentiment denegat": 1}, "2020-03": {"Consentiment donat": 1, "Consentiment retirat": 1}}},
		{"without", table{"2020-02": {ics: 1}, "2020-03": {ics: 1}}},
	} {
		got, totals := overTimeCells(t, page, c.id)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s per month: %v, want %v", c.id, got, c.want)
		}
		for p, row := range c.want {
			sum := 0
			for _, n := range row {
				sum += n
			}
			if totals[p] != sum {
				t.Errorf("%s, %s: total %d, want %d", c.id, p, totals[p], sum)
			}
		}
	}
	purposes, _ := overTimeCells(t, page, "purpose")
	if len(purposes) != 3 || len(purposes["2020-01"]) != 2 || len(purposes["2020-03"]) != 1 {
		t.Errorf("purposes per month: %v", purposes)
	}
	for p, row := range purposes {
		for purpose, n := range row {
			if !strings.HasSuffix(purpose, "(borsa-infermeria)") && !strings.HasSuffix(purpose, "(ajut-lloguer-residencia)") && !strings.HasSuffix(purpose, "(preinscripcio-escolar)") {
				t.Errorf("purpose %q in %s", purpose, p)
			}
			if strings.HasSuffix(purpose, "(borsa-infermeria)") && n != map[string]int{"2020-02": 1, "2020-03": 2}[p] {
				t.Errorf("borsa-infermeria in %s: %d", p, n)
			}
		}
	}
	// The figures above the charts are the range's, and the CSV link keeps it.
	for _, want := range []string{`data-in-range="10"`, `data-consents-given="2"`, `data-consents-refused="1"`, `data-consents-withdrawn="1"`,
		`data-without-consent="2"`, `data-chart="admin" data-total="6"`, `href="/console/audit/stats.csv?from=2020-01-01&amp;to=2020-03-31"`,
		`value="2020-01-01"`, `value="2020-03-31"`} {
		if !strings.Contains(page, want) {
			t.Errorf("stats page for the range lacks %s", want)
		}
	}

	// A range under 60 days is charted per day.
	_, page, _ = b.do("GET", "/console/audit/stats?from=2020-01-01&to=2020-01-31", nil)
	if got, _ := overTimeCells(t, page, "admin"); fmt.Sprint(got) != fmt.Sprint(table{"2020-01-10": {ahc: 2}, "2020-01-12": {girona: 1}}) {
		t.Errorf("January per day: %v", got)
	}
	// Open at one end (data over less than 60 days: per day).
	_, page, _ = b.do("GET", "/console/audit/stats?to=2020-02-29", nil)
	if got, _ := overTimeCells(t, page, "without"); fmt.Sprint(got) != fmt.Sprint(table{"2020-02-05": {ics: 1}}) {
		t.Errorf("accesses without consent until February: %v", got)
	}

	// The CSV of the same range: only its rows, the accesses without consent
	// counted in their own column.
	code, body, h := b.do("GET", "/console/audit/stats.csv?from=2020-01-01&to=2020-03-31", nil)
	if code != http.StatusOK || !strings.Contains(h.Get("Content-Disposition"), "from-2020-01-01-to-2020-03-31") {
		t.Fatalf("csv for the range: %d %s", code, h.Get("Content-Disposition"))
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	total, without := 0, map[string]int{}
	for _, r := range records[1:] {
		n, _ := strconv.Atoi(r[5])
		w, _ := strconv.Atoi(r[6])
		total += n
		without[r[0]+" "+r[1]+" "+r[4]] += w
		if !strings.HasPrefix(r[0], "2020-0") || r[0] > "2020-03" {
			t.Errorf("csv row outside the range: %v", r)
		}
	}
	if total != 10 || fmt.Sprint(without) != fmt.Sprint(map[string]int{
		"2020-01 ahc data-exchange": 0, "2020-01 ajuntament-girona consent-given": 0, "2020-01 ajuntament-girona presentation-verified": 0,
		"2020-02 ics consent-refused": 0, "2020-02 ics presentation-verified": 1,
		"2020-03 ics consent-given": 0, "2020-03 ics consent-withdrawn": 0, "2020-03 ics presentation-verified": 1,
	}) {
		t.Errorf("csv for the range: %d entries, without consent %v", total, without)
	}

	// Bad dates: a clear message, no figures, on the page and the CSV.
	for _, q := range []string{"from=2020-13-01", "to=31/03/2020", "from=2020-03-31&to=2020-01-01", "from=ahir"} {
		code, page, _ := b.do("GET", "/console/audit/stats?"+q, nil)
		if code != http.StatusBadRequest || !strings.Contains(page, "data-range-error") || strings.Contains(page, "data-over=") {
			t.Errorf("stats?%s: %d", q, code)
		}
		if !strings.Contains(html.UnescapeString(page), "AAAA-MM-DD") && !strings.Contains(html.UnescapeString(page), "abans de començar") {
			t.Errorf("stats?%s: the message does not say what is wrong", q)
		}
		if code, body, _ := b.do("GET", "/console/audit/stats.csv?"+q, nil); code != http.StatusBadRequest || strings.Contains(body, "period,") {
			t.Errorf("stats.csv?%s: %d", q, code)
		}
	}
	if _, page, _ := b.do("GET", "/console/audit/stats?from=2020-13-01&lang=en", nil); !strings.Contains(html.UnescapeString(page), "is not valid: use the format YYYY-MM-DD") {
		t.Error("the bad-date message in English")
	}
}

func TestAuditStackedChartEscapesAndFolds(t *testing.T) {
	m := auditMatrix{}
	for i := range 9 {
		m.add("2020-01", fmt.Sprintf("s%d", i), i+1)
	}
	m.add("2020-02", `<b>"x"</b>`, 30)
	ot := auditOverTimeOf("t", `<script>`, "Període", m, nil, "Altres")
	svg := string(ot.SVG)
	if strings.Contains(svg, "<script>") || strings.Contains(svg, "<b>") || !strings.Contains(svg, "2020-02 · &lt;b&gt;&#34;x&#34;&lt;/b&gt;: 30") {
		t.Errorf("unescaped chart: %s", svg)
	}
	if len(ot.Series) != auditMaxSeries || ot.Series[len(ot.Series)-1].Label != "Altres" || ot.Total != 75 || ot.Series[0].Total != 30 {
		t.Fatalf("series %+v, total %d", ot.Series, ot.Total)
	}
	// The five largest series, then the rest summed.
	if other := ot.Series[len(ot.Series)-1]; other.Total != 1+2+3+4+5 {
		t.Errorf("other: %d", other.Total)
	}
	if ot.Rows[0].Total != 45 || ot.Rows[1].Total != 30 || ot.Rows[0].Cells[len(ot.Series)-1].Count != 15 {
		t.Errorf("rows %+v", ot.Rows)
	}
}
