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
	"net/url"
	"slices"
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

// auditRange is the statistics' date range: civil dates in Catalonia
// ("2006-01-02"), both included; "" leaves that end open.
type auditRange struct{ From, To string }

func (r auditRange) has(day string) bool {
	return (r.From == "" || day >= r.From) && (r.To == "" || day <= r.To)
}

// query is the range as a query string ("" when open at both ends).
func (r auditRange) query() string {
	v := url.Values{}
	if r.From != "" {
		v.Set("from", r.From)
	}
	if r.To != "" {
		v.Set("to", r.To)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// auditRangeOf reads ?from= and ?to=. A date that is not YYYY-MM-DD, or a
// range that ends before it starts, is a message in words (and no range).
func auditRangeOf(c *gin.Context, tr translator) (auditRange, string) {
	var r auditRange
	for _, p := range []struct {
		name string
		dst  *string
	}{{"from", &r.From}, {"to", &r.To}} {
		v := strings.TrimSpace(c.Query(p.name))
		if v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return auditRange{}, tr.T("audit.range.baddate", tr.T("audit.range."+p.name), auditShorten(v, 24))
		}
		*p.dst = t.Format(time.DateOnly)
	}
	if r.From != "" && r.To != "" && r.From > r.To {
		return auditRange{}, tr.T("audit.range.inverted", r.From, r.To)
	}
	return r, ""
}

// auditTally is the ledger's usage within a date range.
type auditTally struct {
	*ledger.Usage
	Range   auditRange
	Counts  map[ledger.UsageKey]int // the groups whose day is in the range
	Without []auditAccess           // accesses without consent in the range, in log order
	InRange int                     // entries counted in the range
	Monthly bool                    // charted per month (the range's data span 60 days or more), else per day
}

// auditAccess is an access without consent with its civil date.
type auditAccess struct {
	ledger.Access
	Day string
}

// auditUsage tallies the whole ledger (a snapshot at its latest checkpoint)
// in Catalonia's time zone, then keeps what falls in r. Whether a consent
// was in force is decided over the whole ledger, not only the range.
func (s *Server) auditUsage(ctx context.Context, r auditRange) (*auditTally, error) {
	src := s.cfg.App.Ledger.AuditSource()
	catalonia := app.Local(time.Now()).Location() // the zone citizens' dates are shown in
	u, err := ledger.TallyUsage(ctx, src, src.Size(), catalonia)
	if err != nil {
		return nil, err
	}
	t := &auditTally{Usage: u, Range: r, Counts: map[ledger.UsageKey]int{}}
	first, last := "", ""
	for k, n := range u.Counts {
		if !r.has(k.Day) {
			continue
		}
		t.Counts[k] += n
		t.InRange += n
		if first == "" || k.Day < first {
			first = k.Day
		}
		if k.Day > last {
			last = k.Day
		}
	}
	for _, a := range u.WithoutConsent {
		if day := a.Time.In(catalonia).Format(time.DateOnly); r.has(day) {
			t.Without = append(t.Without, auditAccess{a, day})
		}
	}
	if first != "" {
		f, _ := time.Parse(time.DateOnly, first)
		l, _ := time.Parse(time.DateOnly, last)
		t.Monthly = l.Sub(f) >= auditDailyBelow
	}
	return t, nil
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
	InRange     int
	Unparsed    uint64
	From, To    string
	Range       auditRange
	Filtered    bool // a range is applied
	RangeError  string
	CSV         string // the CSV export of the same range
	Monthly     bool
	Exchanges   int
	Given       int
	Refused     int
	Withdrawn   int
	Without     int
	WithoutRows []auditAccessRow // newest first
	Charts      []auditChart
	OverTime    []auditOverTime
}

func (s *Server) consoleAuditStats(c *gin.Context) {
	names := s.auditNames(c)
	tr := names.tr
	r, bad := auditRangeOf(c, tr)
	if bad != "" {
		s.renderConsole(c, http.StatusBadRequest, "console_audit_stats", "console.stats", "stats",
			auditStatsData{RangeError: bad, Range: auditRange{From: c.Query("from"), To: c.Query("to")}})
		return
	}
	u, err := s.auditUsage(c.Request.Context(), r)
	if err != nil {
		s.auditFail(c, err)
		return
	}
	d := auditStatsData{Entries: u.Entries, InRange: u.InRange, Unparsed: u.Unparsed, Monthly: u.Monthly, Without: len(u.Without),
		Range: r, Filtered: r != (auditRange{}), CSV: "/console/audit/stats.csv" + r.query()}
	switch {
	case r != (auditRange{}):
		d.From, d.To = r.From, r.To
		if d.From == "" {
			d.From = "…"
		}
		if d.To == "" {
			d.To = "…"
		}
	case !u.First.IsZero():
		d.From, d.To = auditTime(u.First), auditTime(u.Last)
	}
	byAdmin, byPurpose, byBasis, byPeriod := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	consents := map[ledger.Kind]int{}
	overAdmin, overPurpose, overBasis, overConsents, overWithout := auditMatrix{}, auditMatrix{}, auditMatrix{}, auditMatrix{}, auditMatrix{}
	for k, n := range u.Counts {
		period := auditPeriod(k.Day, u.Monthly)
		switch {
		case k.Kind.IsExchange():
			d.Exchanges += n
			admin, purpose, basis := names.admin(k.Administration), names.purpose(k.Purpose), names.basis(k.Kind, k.LegalBasis)
			byAdmin[admin] += n
			byPurpose[purpose] += n
			byBasis[basis] += n
			byPeriod[period] += n
			overAdmin.add(period, admin, n)
			overPurpose.add(period, purpose, n)
			overBasis.add(period, basis, n)
		case k.Kind == ledger.KindConsentGiven, k.Kind == ledger.KindConsentRefused, k.Kind == ledger.KindConsentWithdrawn:
			consents[k.Kind] += n
			overConsents.add(period, names.kind(k.Kind), n)
		}
	}
	d.Given, d.Refused, d.Withdrawn = consents[ledger.KindConsentGiven], consents[ledger.KindConsentRefused], consents[ledger.KindConsentWithdrawn]
	without := map[string]int{}
	for i := len(u.Without) - 1; i >= 0; i-- {
		a := u.Without[i]
		admin := names.admin(a.Administration)
		without[admin]++
		overWithout.add(auditPeriod(a.Day, u.Monthly), admin, 1)
		if len(d.WithoutRows) < auditMaxAccessRows {
			d.WithoutRows = append(d.WithoutRows, auditAccessRow{Index: a.Index, Time: auditTime(a.Time), Kind: names.kind(a.Kind),
				Admin: admin, Purpose: names.purpose(a.Purpose)})
		}
	}
	periodKey := "audit.chart.perday"
	if u.Monthly {
		periodKey = "audit.chart.permonth"
	}
	other := tr.T("audit.chart.other")
	chart := func(id, titleKey string, bars []auditBar) {
		total := 0
		for _, b := range bars {
			total += b.Count
		}
		title := tr.T(titleKey)
		d.Charts = append(d.Charts, auditChart{ID: id, Title: title, Total: total, SVG: auditBarChart(title, bars, other)})
	}
	chart("admin", "audit.chart.admin", auditByCount(byAdmin))
	chart("purpose", "audit.chart.purpose", auditByCount(byPurpose))
	chart("basis", "audit.chart.basis", auditByCount(byBasis))
	chart("period", periodKey, auditByLabel(byPeriod))
	chart("consents", "audit.chart.consents", []auditBar{
		{names.kind(ledger.KindConsentGiven), d.Given}, {names.kind(ledger.KindConsentRefused), d.Refused}, {names.kind(ledger.KindConsentWithdrawn), d.Withdrawn}})
	chart("without", "audit.chart.without", auditByCount(without))
	per := tr.T("audit.over.perday")
	if u.Monthly {
		per = tr.T("audit.over.permonth")
	}
	over := func(id, titleKey string, m auditMatrix, order []string) {
		d.OverTime = append(d.OverTime, auditOverTimeOf(id, tr.T(titleKey, per), tr.T("audit.over.period"), m, order, other))
	}
	over("admin", "audit.over.admin", overAdmin, nil)
	over("purpose", "audit.over.purpose", overPurpose, nil)
	over("basis", "audit.over.basis", overBasis, nil)
	over("consents", "audit.over.consents", overConsents,
		[]string{names.kind(ledger.KindConsentGiven), names.kind(ledger.KindConsentRefused), names.kind(ledger.KindConsentWithdrawn)})
	over("without", "audit.over.without", overWithout, nil)
	s.renderConsole(c, http.StatusOK, "console_audit_stats", "console.stats", "stats", d)
}

// consoleAuditCSV exports the tally of the date range (?from=, ?to=): one
// row per period, administration, purpose, legal basis and kind, with
// identifiers (not names) so the file joins with other data, the count,
// and how many of the row's entries were accesses without consent.
func (s *Server) consoleAuditCSV(c *gin.Context) {
	r, bad := auditRangeOf(c, translator(langOf(c)))
	if bad != "" {
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusBadRequest, "text/plain; charset=utf-8", []byte(bad+"\n"))
		return
	}
	u, err := s.auditUsage(c.Request.Context(), r)
	if err != nil {
		s.auditFail(c, err)
		return
	}
	type row struct {
		period, admin, purpose, basis, kind string
	}
	counts, without := map[row]int{}, map[row]int{}
	for k, n := range u.Counts {
		counts[row{auditPeriod(k.Day, u.Monthly), k.Administration, k.Purpose, k.LegalBasis, k.Kind.String()}] += n
	}
	for _, a := range u.Without {
		// An access without consent has no legal basis, by definition.
		without[row{auditPeriod(a.Day, u.Monthly), a.Administration, a.Purpose, "", a.Kind.String()}]++
	}
	rows := make([]row, 0, len(counts))
	for k := range counts {
		rows = append(rows, k)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		return strings.Join([]string{a.period, a.admin, a.purpose, a.basis, a.kind}, "\x00") < strings.Join([]string{b.period, b.admin, b.purpose, b.basis, b.kind}, "\x00")
	})
	name := "espai-ledger-stats"
	if r.From != "" {
		name += "-from-" + r.From
	}
	if r.To != "" {
		name += "-to-" + r.To
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write([]string{"period", "administration", "purpose", "legal_basis", "kind", "count", "without_consent"})
	for _, k := range rows {
		_ = w.Write([]string{k.period, auditCell(k.admin), auditCell(k.purpose), auditCell(k.basis), k.kind, strconv.Itoa(counts[k]), strconv.Itoa(without[k])})
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

// ---- Breakdowns over time: stacked bars per period ----

// auditMaxSeries bounds the series of a chart over time: beyond it, the
// smallest are summed into one "other" series.
const auditMaxSeries = 6

// auditPalette colours the series of a chart over time, in legend order (the
// last one is for "other").
var auditPalette = []string{"#b30f0f", "#1f5fa8", "#2e7d32", "#9c5700", "#6a3fa0", "#00796b", "#5f6368"}

// auditMatrix counts per period and series.
type auditMatrix map[string]map[string]int

func (m auditMatrix) add(period, series string, n int) {
	if m[period] == nil {
		m[period] = map[string]int{}
	}
	m[period][series] += n
}

// auditOverTime is one breakdown over time: a stacked bar per period, and the
// same figures as a period × series table.
type auditOverTime struct {
	ID     string
	Title  string
	Period string // the period column's head
	Total  int
	SVG    template.HTML
	Series []auditSeries
	Rows   []auditOverRow // oldest period first
}

type auditSeries struct {
	Label string
	Color string
	Total int
}

type auditOverRow struct {
	Period string
	Total  int
	Cells  []auditOverCell // one per series, in Series order
}

type auditOverCell struct {
	Series string
	Count  int
}

// auditOverTimeOf lays m out: periods in order; series in order when given
// (missing ones dropped when they count nothing), else largest first, with
// the smallest summed into "other" beyond auditMaxSeries.
func auditOverTimeOf(id, title, periodHead string, m auditMatrix, order []string, other string) auditOverTime {
	ot := auditOverTime{ID: id, Title: title, Period: periodHead}
	totals := map[string]int{}
	for _, row := range m {
		for series, n := range row {
			totals[series] += n
			ot.Total += n
		}
	}
	var series []string
	if order != nil {
		for _, l := range order {
			if totals[l] > 0 {
				series = append(series, l)
			}
		}
	} else {
		for _, b := range auditByCount(totals) {
			series = append(series, b.Label)
		}
	}
	rest := map[string]bool{}
	if len(series) > auditMaxSeries {
		for _, l := range series[auditMaxSeries-1:] {
			rest[l] = true
		}
		series = append(series[:auditMaxSeries-1:auditMaxSeries-1], other)
	}
	for i, l := range series {
		color := auditPalette[min(i, len(auditPalette)-2)]
		if len(rest) > 0 && i == len(series)-1 {
			color = auditPalette[len(auditPalette)-1]
		}
		ot.Series = append(ot.Series, auditSeries{Label: l, Color: color})
	}
	periods := make([]string, 0, len(m))
	for p := range m {
		periods = append(periods, p)
	}
	sort.Strings(periods)
	for _, p := range periods {
		row := auditOverRow{Period: p, Cells: make([]auditOverCell, len(series))}
		for i, l := range series {
			row.Cells[i].Series = l
		}
		for l, n := range m[p] {
			i := slices.Index(series, l)
			if rest[l] {
				i = len(series) - 1
			}
			if i < 0 {
				continue
			}
			row.Cells[i].Count += n
			row.Total += n
			ot.Series[i].Total += n
		}
		ot.Rows = append(ot.Rows, row)
	}
	ot.SVG = auditStackedChart(ot)
	return ot
}

// auditStackedChart draws one horizontal stacked bar per period: the
// period on a line above its bar, a segment per series in the series'
// colour with a <title> (a tooltip) naming period, series and count, and the
// period's total after the bar. The accessible name carries every period's
// total; the table next to the chart has every figure. Every text is escaped.
func auditStackedChart(ot auditOverTime) template.HTML {
	const width, rowH, barH, labelH, countW = 400, 44, 16, 18, 48
	most := 1
	for _, r := range ot.Rows {
		most = max(most, r.Total)
	}
	esc := html.EscapeString
	summary := make([]string, len(ot.Rows))
	for i, r := range ot.Rows {
		summary[i] = fmt.Sprintf("%s: %d", r.Period, r.Total)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`,
		width, max(len(ot.Rows), 1)*rowH, esc(ot.Title+". "+strings.Join(summary, "; ")), esc(ot.Title))
	for i, r := range ot.Rows {
		y := i * rowH
		fmt.Fprintf(&sb, `<g><text class="label" x="0" y="%d">%s</text>`, y+labelH-4, esc(r.Period))
		x := 0
		for j, cell := range r.Cells {
			if cell.Count == 0 {
				continue
			}
			w := max(cell.Count*(width-countW)/most, 2)
			// Not class "bar": the stylesheet paints bars one colour.
			fmt.Fprintf(&sb, `<rect class="segment" x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#ffffff" stroke-width="1"><title>%s · %s: %d</title></rect>`,
				x, y+labelH, w, barH, ot.Series[j].Color, esc(r.Period), esc(cell.Series), cell.Count)
			x += w
		}
		fmt.Fprintf(&sb, `<text class="count" x="%d" y="%d">%d</text></g>`, x+6, y+labelH+barH-3, r.Total)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}
