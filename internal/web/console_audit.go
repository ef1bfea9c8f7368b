package web

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/ledger"
)

// The auditor console, under /console/audit (role auditor): the ledger
// browser, one entry with its inclusion proof, "verify now" (the checks of
// `espai audit verify`, through ledger.Audit) and usage statistics with a CSV
// export. Auditors see only what the public ledger holds (pseudonymous
// entries: no citizen identifier, no claim values) and change nothing: the
// one POST re-verifies the ledger and writes nothing.

const (
	auditPageSize          = 50                  // entries per browser page
	auditRecentCheckpoints = 10                  // checkpoints listed on the browser page
	auditRecentAnchors     = 20                  // anchor records listed on the browser page
	auditDailyBelow        = 60 * 24 * time.Hour // a ledger spanning less is charted per day, else per month
	auditMaxBars           = 25                  // bars per chart; the rest are summed into one "other" bar
	auditMaxAccessRows     = 50                  // accesses without consent listed on the statistics page
)

func (s *Server) mountAuditConsole(g gin.IRouter) {
	g.GET("", s.consoleAuditHome)
	g.GET("/entries/:index", s.consoleAuditEntry)
	g.POST("/verify", s.consoleAuditVerify)
	g.GET("/stats", s.consoleAuditStats)
	g.GET("/stats.csv", s.consoleAuditCSV)
}

// auditFail shows a console error page; err (never shown) goes to the log
// when the failure is ours.
func (s *Server) auditFail(c *gin.Context, err error) {
	code, key := http.StatusInternalServerError, "audit.error"
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		code, key = http.StatusNotFound, "audit.notfound"
	case errors.Is(err, ledger.ErrInvalidRange), errors.Is(err, errBadRequest):
		code, key = http.StatusBadRequest, "audit.badrequest"
	default:
		s.cfg.Log.ErrorContext(c.Request.Context(), "audit console", "route", c.FullPath(), "err", err)
	}
	s.renderConsole(c, code, "console_error", "error.title", "audit", translator(langOf(c)).T(key))
}

// auditNames puts ledger identifiers into words for one request.
type auditNames struct {
	tr       translator
	admins   map[string]string // administration id -> official name
	purposes map[string]string // purpose code -> registered title
}

func (s *Server) auditNames(c *gin.Context) auditNames {
	n := auditNames{tr: translator(langOf(c)), admins: map[string]string{}, purposes: map[string]string{}}
	admins, err := s.cfg.App.Issuer.Administrations(c.Request.Context())
	if err != nil { // ids stand in for names
		s.cfg.Log.WarnContext(c.Request.Context(), "audit console: administrations", "err", err)
	}
	for _, a := range admins {
		n.admins[a.ID] = a.Name
		for _, p := range a.Purposes {
			if _, ok := n.purposes[p.ID]; !ok {
				n.purposes[p.ID] = p.Title
			}
		}
	}
	return n
}

func (n auditNames) admin(id string) string {
	if name, ok := n.admins[id]; ok {
		return name
	}
	return id
}

func (n auditNames) purpose(code string) string {
	if title, ok := n.purposes[code]; ok && title != "" {
		return title + " (" + code + ")"
	}
	return code
}

// basis is the legal basis in words; an empty one is pointed out for
// exchanges and consents, where a basis is expected, and a dash elsewhere.
func (n auditNames) basis(k ledger.Kind, b string) string {
	switch {
	case b != "":
		return b
	case k.IsExchange(), k == ledger.KindConsentGiven, k == ledger.KindConsentRefused, k == ledger.KindConsentWithdrawn:
		return n.tr.T("audit.nobasis")
	}
	return "—"
}

func (n auditNames) kind(k ledger.Kind) string { return n.tr.T("audit.kind." + k.String()) }

func auditTime(t time.Time) string { return app.Local(t).Format("2006-01-02 15:04:05") }

func auditHex(h ledger.Hash) string { return hex.EncodeToString(h[:]) }

// auditEntry is one entry as the console shows it: public identifiers in
// words and the pseudonym shortened.
type auditEntry struct {
	Index      uint64
	Invalid    bool // the stored bytes do not parse (verify-now reports it)
	Time       string
	Kind       string
	Admin      string
	Source     string
	Purpose    string
	LegalBasis string
	Outcome    string
	CredType   string
	Categories []string // claim or data category names, never values
	Pseudonym  string
	Commitment string
}

func (n auditNames) entry(index uint64, data []byte) auditEntry {
	e, err := ledger.ParseEntry(data)
	if err != nil {
		return auditEntry{Index: index, Invalid: true}
	}
	v := auditEntry{Index: index, Time: auditTime(e.Time), Kind: n.kind(e.Kind), Admin: n.admin(e.Administration),
		LegalBasis: n.basis(e.Kind, e.LegalBasis), CredType: e.CredentialType, Categories: e.Categories,
		Pseudonym: e.Pseudonym.String()[:12] + "…", Commitment: e.Commitment.String()}
	if e.Source != "" {
		v.Source = n.admin(e.Source)
	}
	if e.Purpose != "" {
		v.Purpose = n.purpose(e.Purpose)
	}
	if e.Outcome != ledger.OutcomeNone {
		v.Outcome = n.tr.T("audit.outcome." + e.Outcome.String())
	}
	return v
}

// ---- Ledger browser ----

type auditCheckpoint struct {
	Size      uint64
	Root      string
	LastEntry string // time of the checkpoint's last entry (a checkpoint carries no time)
	Anchor    string // anchor status in words, "" when not anchored
	Block     uint64
	Tx        string
}

type auditAnchorRow struct {
	Size    uint64
	Status  string
	Class   string // ok, bad or ""
	Block   uint64
	Tx      string
	Updated string
}

type auditAnchoring struct {
	Running   bool // an anchorer is attached to this server
	Contract  *ledger.AnchorContract
	Pending   int
	Included  int
	Final     int
	Failed    int
	LastError string // the anchorer's last chain error (operator text, no entry data)
	State     string // the anchorer's state: "connecting", "anchoring" or "stopped" (anchor.Status)
	Records   []auditAnchorRow
}

type auditHomeData struct {
	Size        uint64
	From, Last  uint64 // indexes shown, oldest and newest
	Entries     []auditEntry
	Older       uint64 // ?before= of the next older page, when HasOlder
	HasOlder    bool
	Newer       uint64
	HasNewer    bool
	VKey        string
	Latest      auditCheckpoint
	Checkpoints []auditCheckpoint // newest first
	Anchoring   auditAnchoring
}

func (s *Server) consoleAuditHome(c *gin.Context) {
	ctx := c.Request.Context()
	l := s.cfg.App.Ledger
	latest := l.Latest()
	before := latest.Size
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.auditFail(c, errBadRequest)
			return
		}
		if n > 0 && n < latest.Size {
			before = n
		}
	}
	from := before - min(before, auditPageSize)
	page, err := l.Entries(ctx, from, before)
	if err != nil {
		s.auditFail(c, err)
		return
	}
	names := s.auditNames(c)
	d := auditHomeData{Size: latest.Size, From: from, Last: before - min(before, 1), VKey: l.VerifierKey()}
	for i := len(page) - 1; i >= 0; i-- {
		d.Entries = append(d.Entries, names.entry(page[i].Index, page[i].Data))
	}
	d.Older, d.HasOlder = from, from > 0
	d.Newer, d.HasNewer = min(before+auditPageSize, latest.Size), before < latest.Size
	recs, err := l.Anchors(ctx)
	if err != nil {
		s.auditFail(c, err)
		return
	}
	bySize := make(map[uint64]ledger.AnchorRecord, len(recs))
	for _, r := range recs {
		bySize[r.Size] = r
	}
	cps, err := s.auditRecentCheckpoints(ctx, latest.Size)
	if err != nil {
		s.auditFail(c, err)
		return
	}
	for _, cp := range cps {
		d.Checkpoints = append(d.Checkpoints, s.auditCheckpointRow(ctx, names, cp, bySize))
	}
	d.Latest = s.auditCheckpointRow(ctx, names, latest.Checkpoint, bySize)
	if d.Anchoring, err = s.auditAnchoring(ctx, names, recs); err != nil {
		s.auditFail(c, err)
		return
	}
	s.renderConsole(c, http.StatusOK, "console_audit", "console.audit", "audit", d)
}

// auditRecentCheckpoints returns the newest stored checkpoints up to size,
// newest first, each opened under the log's key. One checkpoint is stored per
// append batch, so the newest few lie within a window below size that widens
// until it holds enough of them.
func (s *Server) auditRecentCheckpoints(ctx context.Context, size uint64) ([]ledger.Checkpoint, error) {
	l := s.cfg.App.Ledger
	var notes [][]byte
	for window := uint64(4 * auditRecentCheckpoints); ; window *= 8 {
		from := size - min(size, window)
		notes = notes[:0]
		err := l.Checkpoints(ctx, from, func(n uint64, note []byte) (bool, error) {
			if n > size {
				return false, nil
			}
			notes = append(notes, note)
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		if len(notes) >= auditRecentCheckpoints || from == 0 {
			break
		}
	}
	notes = notes[max(0, len(notes)-auditRecentCheckpoints):]
	out := make([]ledger.Checkpoint, 0, len(notes))
	for i := len(notes) - 1; i >= 0; i-- {
		cp, err := ledger.OpenCheckpoint(notes[i], l.VerifierKey())
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

func (s *Server) auditCheckpointRow(ctx context.Context, names auditNames, cp ledger.Checkpoint, anchors map[uint64]ledger.AnchorRecord) auditCheckpoint {
	row := auditCheckpoint{Size: cp.Size, Root: auditHex(cp.Root), LastEntry: "—"}
	if cp.Size > 0 {
		if b, err := s.cfg.App.Ledger.Entry(ctx, cp.Size-1); err == nil {
			if e, err := ledger.ParseEntry(b); err == nil {
				row.LastEntry = auditTime(e.Time)
			}
		}
	}
	if r, ok := anchors[cp.Size]; ok {
		row.Anchor, row.Block, row.Tx = names.tr.T("audit.anchor."+string(r.Status)), r.Block, r.TxHash
	}
	return row
}

// auditAnchoring reads the anchoring state the way /ledger/anchors serves
// it: the log's anchor records and contract, and the live anchorer's status
// when one is attached (s.cfg.Anchors is nil when anchoring is off).
func (s *Server) auditAnchoring(ctx context.Context, names auditNames, recs []ledger.AnchorRecord) (auditAnchoring, error) {
	a := auditAnchoring{Running: s.cfg.Anchors != nil}
	if ac, err := s.cfg.App.Ledger.AnchorContract(ctx); err == nil {
		a.Contract = &ac
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return a, err
	}
	if a.Running {
		st, err := s.cfg.Anchors.Status(ctx)
		if err != nil {
			return a, err
		}
		// The status is the JSON document /ledger/anchors serves; read the
		// fields the records do not hold.
		var live struct {
			LastError string `json:"last_error"`
			State     string `json:"state"`
		}
		if b, err := json.Marshal(st); err == nil && json.Unmarshal(b, &live) == nil {
			a.LastError, a.State = live.LastError, live.State
		}
	}
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		switch r.Status {
		case ledger.AnchorPending:
			a.Pending++
		case ledger.AnchorIncluded:
			a.Included++
		case ledger.AnchorFinal:
			a.Final++
		case ledger.AnchorFailed:
			a.Failed++
		}
		if len(a.Records) < auditRecentAnchors {
			row := auditAnchorRow{Size: r.Size, Status: names.tr.T("audit.anchor." + string(r.Status)), Block: r.Block, Tx: r.TxHash, Updated: auditTime(r.Updated)}
			switch r.Status {
			case ledger.AnchorFinal, ledger.AnchorIncluded:
				row.Class = "ok"
			case ledger.AnchorFailed:
				row.Class = "bad"
			}
			a.Records = append(a.Records, row)
		}
	}
	return a, nil
}

// ---- One entry, verified in place ----

type auditEntryData struct {
	Entry          auditEntry
	LeafHash       string
	Verified       bool
	FailedCheck    string // the ledger.CheckError check that failed
	CheckpointSize uint64
	CheckpointRoot string
	Proof          []string
}

func (s *Server) consoleAuditEntry(c *gin.Context) {
	ctx := c.Request.Context()
	l := s.cfg.App.Ledger
	index, err := strconv.ParseUint(c.Param("index"), 10, 64)
	if err != nil {
		s.auditFail(c, errBadRequest)
		return
	}
	data, err := l.Entry(ctx, index)
	if err != nil {
		s.auditFail(c, err)
		return
	}
	latest := l.Latest()
	proof, err := l.InclusionProof(ctx, index, latest.Size)
	if err != nil {
		s.auditFail(c, err)
		return
	}
	// The same offline check a citizen's wallet runs on its receipts: entry,
	// leaf hash, checkpoint signature and origin, inclusion proof.
	r := &ledger.Receipt{Version: ledger.ReceiptVersion, Index: index, Entry: data, LeafHash: tlog.RecordHash(data),
		Checkpoint: latest.Note, Proof: proof}
	d := auditEntryData{Entry: s.auditNames(c).entry(index, data), LeafHash: auditHex(r.LeafHash),
		CheckpointSize: latest.Size, CheckpointRoot: auditHex(latest.Root)}
	for _, h := range proof {
		d.Proof = append(d.Proof, auditHex(h))
	}
	if _, _, err := ledger.VerifyReceipt(r, l.VerifierKey()); err != nil {
		var ce *ledger.CheckError
		d.FailedCheck = "?"
		if errors.As(err, &ce) {
			d.FailedCheck = ce.Check
		}
	} else {
		d.Verified = true
	}
	s.renderConsole(c, http.StatusOK, "console_audit_entry", "audit.entrytitle", "audit", d)
}

// ---- Verify now ----

// auditChainRecorder keeps what the audit read from the chain, to show the
// anchors it checked with their blocks.
type auditChainRecorder struct {
	chain ledger.ChainReader
	seen  []ledger.ChainAnchor
}

func (r *auditChainRecorder) AnchoredOnChain(ctx context.Context) ([]ledger.ChainAnchor, error) {
	a, err := r.chain.AnchoredOnChain(ctx)
	r.seen = a
	return a, err
}

type auditCheck struct {
	Name   string
	State  string // pass, fail or skip
	Label  string
	Detail string
}

type auditChainAnchor struct {
	Size  uint64
	Root  string
	Block uint64
	Tx    string
	Final bool
}

type auditVerifyData struct {
	OK, Complete bool // OK: no problem; Complete: every check ran
	Checks       []auditCheck
	Entries      uint64
	Size         uint64
	Checkpoints  int
	Anchors      []auditChainAnchor
	Problems     int
	FirstProblem string
	Duration     string
	VKey         string
}

// consoleAuditVerify runs ledger.Audit, the function behind `espai audit
// verify`, over a snapshot of the live log (the server holds the ledger
// file's lock, so the CLI's read-only file source cannot open it) and, when
// the attached anchorer can read the chain, over the chain's anchors. It
// reads only.
func (s *Server) consoleAuditVerify(c *gin.Context) {
	ctx := c.Request.Context()
	l := s.cfg.App.Ledger
	tr := translator(langOf(c))
	src := l.AuditSource()
	var chain ledger.ChainReader
	var rec *auditChainRecorder
	if cr, ok := s.cfg.Anchors.(ledger.ChainReader); ok {
		rec = &auditChainRecorder{chain: cr}
		chain = rec
	}
	rep, err := ledger.Audit(ctx, src, l.VerifierKey(), chain)
	if err != nil {
		s.cfg.Log.ErrorContext(ctx, "audit console: verify", "err", err)
	}
	if rep == nil {
		rep = &ledger.AuditReport{}
	}
	failed := func(check string) bool { return err != nil || rep.Failed[check] > 0 }
	check := func(name string, ok bool, detail string) auditCheck {
		ch := auditCheck{Name: tr.T("audit.v." + name), State: "pass", Label: tr.T("audit.pass"), Detail: detail}
		if !ok {
			ch.State, ch.Label = "fail", tr.T("audit.fail")
		}
		return ch
	}
	size := src.Size()
	d := auditVerifyData{Entries: rep.Entries, Size: size, Checkpoints: rep.Checkpoints, Problems: rep.Problems,
		FirstProblem: rep.FirstProblem, Duration: rep.Duration, VKey: l.VerifierKey()}
	d.Checks = []auditCheck{
		check("checkpoints", !failed(ledger.AuditCheckCheckpoints), tr.T("audit.v.checkpoints.detail", rep.Checkpoints, size)),
		check("entries", !failed(ledger.AuditCheckEntries), tr.T("audit.v.entries.detail", rep.Entries, size)),
		check("tree", !failed(ledger.AuditCheckTree) && !failed(ledger.AuditCheckEntries), tr.T("audit.v.tree.detail", size, rep.Checkpoints)),
		check("leaf_hashes", !failed(ledger.AuditCheckLeafHashes), tr.T("audit.v.leaf_hashes.detail", rep.Entries)),
	}
	anchors := check("anchors", !failed(ledger.AuditCheckAnchors),
		tr.T("audit.v.anchors.detail", rep.AnchorsOnChain, rep.AnchorsFinal, rep.AnchorsPending))
	if chain == nil && !failed(ledger.AuditCheckAnchors) {
		why := "audit.v.anchors.off"
		if s.cfg.Anchors != nil { // an anchorer runs, but gives no access to the chain's events
			why = "audit.v.anchors.noreader"
		}
		anchors.State, anchors.Label = "skip", tr.T("audit.skip")
		anchors.Detail = tr.T("audit.v.anchors.unchecked", rep.AnchorsUnchecked, rep.AnchorsPending) + " " + tr.T(why)
	}
	d.Checks = append(d.Checks, anchors)
	if rec != nil {
		for _, a := range rec.seen {
			d.Anchors = append(d.Anchors, auditChainAnchor{Size: a.Size, Root: auditHex(a.Root), Block: a.Block, Tx: a.TxHash, Final: a.Final})
		}
	}
	d.OK = err == nil && rep.OK()
	d.Complete = chain != nil
	if err != nil && d.FirstProblem == "" {
		d.FirstProblem = tr.T("audit.unreadable")
	}
	s.cfg.Log.InfoContext(ctx, "ledger verified from the audit console", "entries", rep.Entries, "problems", rep.Problems, "chain", chain != nil)
	s.renderConsole(c, http.StatusOK, "console_audit_verify", "audit.verify.title", "audit", d)
}

// ---- Statistics ----

// auditUsage tallies the whole ledger (a snapshot at its latest checkpoint)
// in Catalonia's time zone, and says whether it is charted per month.
func (s *Server) auditUsage(ctx context.Context) (*ledger.Usage, bool, error) {
	src := s.cfg.App.Ledger.AuditSource()
	catalonia := app.Local(time.Now()).Location() // the zone citizens' dates are shown in
	u, err := ledger.TallyUsage(ctx, src, src.Size(), catalonia)
	if err != nil {
		return nil, false, err
	}
	return u, !u.First.IsZero() && u.Last.Sub(u.First) >= auditDailyBelow, nil
}

func auditPeriod(day string, monthly bool) string {
	if monthly {
		return day[:len("2006-01")]
	}
	return day
}

type auditChart struct {
	ID    string
	Title string
	Total int
	SVG   template.HTML
}

type auditAccessRow struct {
	Index   uint64
	Time    string
	Kind    string
	Admin   string
	Purpose string
}

type auditStatsData struct {
	Entries     uint64
	Unparsed    uint64
	From, To    string
	Monthly     bool
	Exchanges   int
	Given       int
	Refused     int
	Withdrawn   int
	Without     int
	WithoutRows []auditAccessRow // newest first
	Charts      []auditChart
}

func (s *Server) consoleAuditStats(c *gin.Context) {
	u, monthly, err := s.auditUsage(c.Request.Context())
	if err != nil {
		s.auditFail(c, err)
		return
	}
	names := s.auditNames(c)
	tr := names.tr
	d := auditStatsData{Entries: u.Entries, Unparsed: u.Unparsed, Monthly: monthly, Without: len(u.WithoutConsent)}
	if !u.First.IsZero() {
		d.From, d.To = auditTime(u.First), auditTime(u.Last)
	}
	byAdmin, byPurpose, byBasis, byPeriod := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	consents := map[ledger.Kind]int{}
	for k, n := range u.Counts {
		switch {
		case k.Kind.IsExchange():
			d.Exchanges += n
			byAdmin[names.admin(k.Administration)] += n
			byPurpose[names.purpose(k.Purpose)] += n
			byBasis[names.basis(k.Kind, k.LegalBasis)] += n
			byPeriod[auditPeriod(k.Day, monthly)] += n
		case k.Kind == ledger.KindConsentGiven, k.Kind == ledger.KindConsentRefused, k.Kind == ledger.KindConsentWithdrawn:
			consents[k.Kind] += n
		}
	}
	d.Given, d.Refused, d.Withdrawn = consents[ledger.KindConsentGiven], consents[ledger.KindConsentRefused], consents[ledger.KindConsentWithdrawn]
	without := map[string]int{}
	for i := len(u.WithoutConsent) - 1; i >= 0; i-- {
		a := u.WithoutConsent[i]
		without[names.admin(a.Administration)]++
		if len(d.WithoutRows) < auditMaxAccessRows {
			d.WithoutRows = append(d.WithoutRows, auditAccessRow{Index: a.Index, Time: auditTime(a.Time), Kind: names.kind(a.Kind),
				Admin: names.admin(a.Administration), Purpose: names.purpose(a.Purpose)})
		}
	}
	periodKey := "audit.chart.perday"
	if monthly {
		periodKey = "audit.chart.permonth"
	}
	chart := func(id, titleKey string, bars []auditBar) {
		total := 0
		for _, b := range bars {
			total += b.Count
		}
		title := tr.T(titleKey)
		d.Charts = append(d.Charts, auditChart{ID: id, Title: title, Total: total, SVG: auditBarChart(title, bars, tr.T("audit.chart.other"))})
	}
	chart("admin", "audit.chart.admin", auditByCount(byAdmin))
	chart("purpose", "audit.chart.purpose", auditByCount(byPurpose))
	chart("basis", "audit.chart.basis", auditByCount(byBasis))
	chart("period", periodKey, auditByLabel(byPeriod))
	chart("consents", "audit.chart.consents", []auditBar{
		{names.kind(ledger.KindConsentGiven), d.Given}, {names.kind(ledger.KindConsentRefused), d.Refused}, {names.kind(ledger.KindConsentWithdrawn), d.Withdrawn}})
	chart("without", "audit.chart.without", auditByCount(without))
	s.renderConsole(c, http.StatusOK, "console_audit_stats", "console.stats", "stats", d)
}

// consoleAuditCSV exports the tally: one row per period, administration,
// purpose, legal basis and kind, with identifiers (not names) so the file
// joins with other data.
func (s *Server) consoleAuditCSV(c *gin.Context) {
	u, monthly, err := s.auditUsage(c.Request.Context())
	if err != nil {
		s.auditFail(c, err)
		return
	}
	type row struct {
		period, admin, purpose, basis, kind string
	}
	counts := map[row]int{}
	for k, n := range u.Counts {
		counts[row{auditPeriod(k.Day, monthly), k.Administration, k.Purpose, k.LegalBasis, k.Kind.String()}] += n
	}
	rows := make([]row, 0, len(counts))
	for r := range counts {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		return strings.Join([]string{a.period, a.admin, a.purpose, a.basis, a.kind}, "\x00") < strings.Join([]string{b.period, b.admin, b.purpose, b.basis, b.kind}, "\x00")
	})
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="espai-ledger-stats.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"period", "administration", "purpose", "legal_basis", "kind", "count"})
	for _, r := range rows {
		_ = w.Write([]string{r.period, auditCell(r.admin), auditCell(r.purpose), auditCell(r.basis), r.kind, strconv.Itoa(counts[r])})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		s.cfg.Log.WarnContext(c.Request.Context(), "audit console: csv", "err", err)
	}
}

// auditCell keeps a spreadsheet from reading a cell as a formula.
func auditCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// ---- Bar charts as SVG ----

type auditBar struct {
	Label string
	Count int
}

// auditByCount orders bars by count (largest first), then label.
func auditByCount(m map[string]int) []auditBar {
	bars := auditByLabel(m)
	sort.SliceStable(bars, func(i, j int) bool { return bars[i].Count > bars[j].Count })
	return bars
}

// auditByLabel orders bars by label (periods: chronological).
func auditByLabel(m map[string]int) []auditBar {
	bars := make([]auditBar, 0, len(m))
	for l, n := range m {
		bars = append(bars, auditBar{l, n})
	}
	sort.Slice(bars, func(i, j int) bool { return bars[i].Label < bars[j].Label })
	return bars
}

// auditBarChart draws a horizontal bar chart: each bar's label on a line of
// its own above the bar (so a phone fits it), its count after the bar, a
// <title> per bar with the full label and count (a tooltip), and every figure
// in the chart's accessible name. Beyond auditMaxBars the rest are summed into one bar labelled
// other. Every text is escaped; nothing but numbers is written unescaped.
func auditBarChart(title string, bars []auditBar, other string) template.HTML {
	if len(bars) > auditMaxBars {
		rest := auditBar{Label: other}
		for _, b := range bars[auditMaxBars-1:] {
			rest.Count += b.Count
		}
		bars = append(bars[:auditMaxBars-1:auditMaxBars-1], rest)
	}
	const width, rowH, barH, labelH, countW = 400, 44, 16, 18, 48
	most := 1
	for _, b := range bars {
		most = max(most, b.Count)
	}
	esc := html.EscapeString
	// role="img" hides the children from assistive technology, so the
	// accessible name carries the figures too.
	summary := make([]string, len(bars))
	for i, b := range bars {
		summary[i] = fmt.Sprintf("%s: %d", b.Label, b.Count)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`,
		width, max(len(bars), 1)*rowH, esc(title+". "+strings.Join(summary, "; ")), esc(title))
	for i, b := range bars {
		y := i * rowH
		w := b.Count * (width - countW) / most
		if b.Count > 0 {
			w = max(w, 2)
		}
		fmt.Fprintf(&sb, `<g><title>%s: %d</title><text class="label" x="0" y="%d">%s</text>`+
			`<rect class="bar" x="0" y="%d" width="%d" height="%d" fill="#b30f0f"></rect>`+
			`<text class="count" x="%d" y="%d">%d</text></g>`,
			esc(b.Label), b.Count, y+labelH-4, esc(auditShorten(b.Label, 56)),
			y+labelH, w, barH, w+6, y+labelH+barH-3, b.Count)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

func auditShorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
