package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"image"
	_ "image/jpeg" // uploaded photos of a QR code
	_ "image/png"  // uploaded screenshots of a QR code
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/internal/trust"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/verifier"
	"github.com/gin-gonic/gin"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// The verifier console: a staff member of an administration with the
// verifier role asks a citizen for data under one of the administration's
// registered purposes (a request shown as a QR code whose page follows its
// state live), or reads the QR code a citizen shows (camera, paste or an
// uploaded picture). Both end in the same verdict: every check the verifier
// ran, in plain words, and the disclosed claims. Staff see and create only
// their own administration's requests; another's is not found.
//
// Live update without inline script: the request page names its state
// endpoint in a data attribute, static/verifier.js polls it every 2 s and
// reloads the page when the state changes. Without JavaScript the page says
// so and offers a refresh link.

const (
	// cvRequestsShown bounds the recent-requests list.
	cvRequestsShown = 50
	// cvMaxUpload bounds an uploaded picture of a QR code (a phone photo).
	cvMaxUpload = 8 << 20
	// cvMaxPixels bounds the decoded picture (a 24-megapixel photo),
	// checked from its header before decoding, so a small file cannot
	// expand into a huge bitmap.
	cvMaxPixels = 24_000_000
)

func (s *Server) mountVerifierConsole(g gin.IRouter) {
	g.GET("", s.consoleVerifierHome)
	g.GET("/requests", s.consoleVerifierRequests)
	g.POST("/requests", s.consoleVerifierCreate)
	g.GET("/requests/:id", s.consoleVerifierRequest)
	g.GET("/requests/:id/state", s.consoleVerifierState)
	g.GET("/scan", s.consoleVerifierScanPage)
	g.POST("/scan", s.consoleVerifierScan)
}

// cvPurpose is one request template: a registered purpose.
type cvPurpose struct {
	ID            string
	Title         string // in the page's language when known
	Official      string // the registered (Catalan) title, when Title differs
	Type          string
	TypeName      string
	Claims        []string // labels, in registration order
	LegalBasis    string
	RetentionDays int
}

func newCVPurpose(lang string, p trust.Purpose) cvPurpose {
	tr := translator(lang)
	pc := cvPurpose{ID: p.ID, Title: cvPurposeTitle(lang, p.ID, p.Title), Type: p.Type, TypeName: tr.T("type." + p.Type),
		LegalBasis: p.LegalBasis, RetentionDays: p.RetentionDays}
	if pc.Title != p.Title {
		pc.Official = p.Title
	}
	for _, c := range p.Claims {
		pc.Claims = append(pc.Claims, claimLabel(tr, c))
	}
	return pc
}

// cvPurposeTitle is a purpose's title in lang: the registered title is
// Catalan; Spanish and English pages show a translation when there is one
// of exactly that title (a purpose registered under a known id with another
// title keeps its own words).
func cvPurposeTitle(lang, id, registered string) string {
	key := "cv.purpose." + id
	if lang != "ca" && messages["ca"][key] == registered {
		if t, ok := messages[lang][key]; ok {
			return t
		}
	}
	return registered
}

// cvAdminPurposes are the purposes the trust list registers for admin (none
// for an administration it does not name: a verifier console with nothing
// to ask).
func (s *Server) cvAdminPurposes(ctx context.Context, admin string) ([]trust.Purpose, error) {
	ps, err := s.cfg.App.Purposes(ctx, admin)
	if errors.Is(err, trust.ErrNotRegistered) {
		return nil, nil
	}
	return ps, err
}

func (s *Server) consoleVerifierHome(c *gin.Context) {
	ss := consoleOf(c)
	purposes, err := s.cvAdminPurposes(c.Request.Context(), ss.Account.Admin)
	if err != nil {
		s.cvFail(c, err)
		return
	}
	lang := langOf(c)
	var cards []cvPurpose
	for _, p := range purposes {
		cards = append(cards, newCVPurpose(lang, p))
	}
	s.renderConsole(c, http.StatusOK, "console_verifier", "console.verifier", "verifier", map[string]any{"Purposes": cards})
}

// cvRequestRow is one line of the recent requests.
type cvRequestRow struct {
	ID, Title, State, Outcome string
	Created                   time.Time
}

func (s *Server) consoleVerifierRequests(c *gin.Context) {
	rs, err := s.cfg.App.Verifier.Requests(c.Request.Context(), consoleOf(c).Account.Admin, cvRequestsShown)
	if err != nil {
		s.cvFail(c, err)
		return
	}
	lang := langOf(c)
	rows := make([]cvRequestRow, 0, len(rs))
	for _, r := range rs {
		p := r.Object.Purpose
		rows = append(rows, cvRequestRow{ID: r.ID, Title: cvPurposeTitle(lang, p.ID, p.Title), State: r.State, Outcome: cvOutcome(r.State), Created: r.Created})
	}
	s.renderConsole(c, http.StatusOK, "console_verifier_requests", "cv.requests.title", "verifier", map[string]any{"Requests": rows})
}

// consoleVerifierCreate opens a request for one of the staff member's own
// administration's purposes, asking for every claim the purpose registers.
func (s *Server) consoleVerifierCreate(c *gin.Context) {
	format := verifier.FormatSDJWT
	switch credential.Format(c.PostForm("format")) {
	case "", credential.SDJWT:
	case credential.JSONLD:
		format = verifier.FormatLDPVC
	default:
		s.cvFail(c, fmt.Errorf("%w: format", errBadRequest))
		return
	}
	r, err := s.cfg.App.Verifier.CreateRequest(c.Request.Context(), consoleOf(c).Account.Admin, c.PostForm("purpose"), format, nil)
	if err != nil {
		s.cvFail(c, err)
		return
	}
	s.logStaffAction(c, "verifier.request", r.ID)
	c.Redirect(http.StatusSeeOther, "/console/verifier/requests/"+r.ID)
}

// cvOwnRequest loads a request of the staff member's administration;
// another administration's is not found (its existence is not revealed).
func (s *Server) cvOwnRequest(c *gin.Context) (*verifier.Request, error) {
	r, err := s.cfg.App.Verifier.Request(c.Request.Context(), c.Param("id"))
	if err == nil && r.Admin != consoleOf(c).Account.Admin {
		return nil, verifier.ErrNotFound
	}
	return r, err
}

// cvRequestPage is what the request page shows.
type cvRequestPage struct {
	ID, State, Outcome string
	URI                string        // the openid4vp:// link
	QR                 template.HTML // the link as an inline SVG QR code, while pending
	Purpose            cvPurpose
	Format             string
	Created, Expires   time.Time
	Verdict            *cvVerdict
}

func (s *Server) consoleVerifierRequest(c *gin.Context) {
	r, err := s.cvOwnRequest(c)
	if err != nil {
		s.cvFail(c, err)
		return
	}
	lang := langOf(c)
	tr := translator(lang)
	obj := r.Object
	p := trust.Purpose{ID: obj.Purpose.ID, Title: obj.Purpose.Title, LegalBasis: obj.Purpose.LegalBasis, RetentionDays: obj.Purpose.RetentionDays}
	format := credential.SDJWT
	if len(obj.DCQL.Credentials) > 0 { // always one: CreateRequest validates the object
		p.Type, p.Claims = obj.DCQL.Credentials[0].ID, obj.ClaimNames()
		if obj.DCQL.Credentials[0].Format == verifier.FormatLDPVC {
			format = credential.JSONLD
		}
	}
	pg := cvRequestPage{ID: r.ID, State: r.State, Outcome: cvOutcome(r.State), URI: r.QR(s.cfg.App.PublicBase()),
		Purpose: newCVPurpose(lang, p), Format: tr.T("cv.format." + string(format)), Created: r.Created, Expires: time.Unix(obj.Expires, 0)}
	if r.State == verifier.StatePending {
		// The code opens the citizen space's request page (a phone's
		// camera follows it); the openid4vp:// link is shown for other wallets.
		code, err := qrpayload.Encode(r.WalletLink(s.cfg.App.PublicBase()))
		if err != nil {
			s.cvFail(c, err)
			return
		}
		// Markup made here: the code's modules as one path, and the label escaped.
		pg.QR = template.HTML(cvLabelSVG(code.SVG(), tr.T("cv.request.qralt")))
	} else {
		pg.Verdict = s.cvVerdictOf(c.Request.Context(), tr, pg.Outcome, r.Verdict, r.Reason)
	}
	s.renderConsole(c, http.StatusOK, "console_verifier_request", "cv.request.title", "verifier", pg)
}

// cvLabelSVG replaces the QR SVG's English accessible name with label.
func cvLabelSVG(svg, label string) string {
	return strings.Replace(svg, `aria-label="QR code"`, `aria-label="`+html.EscapeString(label)+`"`, 1)
}

// cvRequestState is the JSON the request page polls.
type cvRequestState struct {
	State    string `json:"state"`
	Outcome  string `json:"outcome"`
	Answered bool   `json:"answered"`
}

func (s *Server) consoleVerifierState(c *gin.Context) {
	r, err := s.cvOwnRequest(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, cvRequestState{State: r.State, Outcome: cvOutcome(r.State), Answered: !r.Answered.IsZero()})
}

// cvOutcome names a request's state for staff: a rejected presentation
// is "refused", a citizen's refusal "declined".
func cvOutcome(state string) string {
	switch state {
	case verifier.StateRejected:
		return "refused"
	case verifier.StateRefused:
		return "declined"
	}
	return state
}

// cvVerdict is a verdict for people: the outcome, each check with its
// name explained, and the disclosed claims.
type cvVerdict struct {
	Outcome string // accepted, refused, declined or expired
	// Reason says why a verdict is not accepted: the first failed check
	// explained, or the citizen's reason for declining.
	Reason   string
	TypeName string
	Issuer   string
	Checks   []cvCheck
	Claims   []cvClaim
	Purged   bool // accepted, but the claims were deleted after the retention period
}

type cvCheck struct {
	Name, Label, Help, Detail string
	OK                        bool
}

type cvClaim struct{ Name, Label, Value string }

func cvCheckLabels(tr translator, name string) (label, help string) {
	key := "cv.check." + name
	if l := tr.T(key); l != key {
		return l, tr.T(key + ".help")
	}
	return name, tr.T("cv.check.other.help")
}

// cvFailureText says in plain words what a failed check means.
func cvFailureText(tr translator, name string) string {
	key := "cv.check." + name + ".fail"
	if t := tr.T(key); t != key {
		return t
	}
	return tr.T("cv.check.other.fail", name)
}

func (s *Server) cvVerdictOf(ctx context.Context, tr translator, outcome string, v *verdict.Verdict, reason string) *cvVerdict {
	out := &cvVerdict{Outcome: outcome}
	if outcome == "declined" {
		out.Reason = reason
	}
	if v == nil {
		return out
	}
	if v.Type != "" {
		out.TypeName = tr.T("type." + v.Type)
	}
	if v.Issuer != "" {
		out.Issuer = v.Issuer
		if n, ok := s.adminNames(ctx)[v.Issuer]; ok {
			out.Issuer = n
		}
	}
	// One line per check name: a name can run twice (the nonce matches the
	// request, then it is spent); it passed only when every run did.
	at := map[string]int{}
	for _, ch := range v.Checks {
		i, seen := at[ch.Name]
		if !seen {
			i = len(out.Checks)
			at[ch.Name] = i
			cv := cvCheck{Name: ch.Name, OK: true}
			cv.Label, cv.Help = cvCheckLabels(tr, ch.Name)
			out.Checks = append(out.Checks, cv)
		}
		if !ch.OK && out.Checks[i].OK {
			out.Checks[i].OK, out.Checks[i].Help, out.Checks[i].Detail = false, cvFailureText(tr, ch.Name), ch.Detail
		}
	}
	if f := v.FirstFailure(); f != nil && outcome != "declined" {
		out.Reason = cvFailureText(tr, f.Name)
	}
	for k, val := range v.Claims {
		if technicalClaims[k] {
			continue
		}
		out.Claims = append(out.Claims, cvClaim{Name: k, Label: claimLabel(tr, k), Value: claimValue(tr, val)})
	}
	sort.Slice(out.Claims, func(i, j int) bool { return out.Claims[i].Name < out.Claims[j].Name })
	out.Purged = outcome == "accepted" && len(out.Claims) == 0
	return out
}

// cvScanPage is the scanner page: the camera, the paste box and the upload,
// and after a scan its verdict.
type cvScanPage struct {
	Error   string
	Notice  string
	Verdict *cvVerdict
	// Prefixes start the codes the camera sends to the server (space
	// separated): a presentation payload or this deployment's one-time link.
	Prefixes string
}

func (s *Server) cvScanForm(c *gin.Context, code int, errKey string) {
	pg := cvScanPage{Prefixes: qrpayload.Prefix + " " + s.cfg.App.PublicBase() + "/p/"}
	if errKey != "" {
		pg.Error = translator(langOf(c)).T(errKey)
	}
	s.renderConsole(c, code, "console_verifier_scan", "console.scan", "scan", pg)
}

func (s *Server) consoleVerifierScanPage(c *gin.Context) {
	s.cvScanForm(c, http.StatusOK, "")
}

// consoleVerifierScan verifies a citizen's QR presentation: the text read by the
// page's camera or pasted, or the code in an uploaded picture. The verifier
// spends its nonce, so the same code scanned twice is refused.
func (s *Server) consoleVerifierScan(c *gin.Context) {
	tr := translator(langOf(c))
	payload := strings.TrimSpace(c.PostForm("payload"))
	if payload == "" {
		if fh, err := c.FormFile("image"); err == nil {
			if payload, err = cvReadQRImage(fh); err != nil {
				s.cvScanForm(c, http.StatusUnprocessableEntity, "cv.scan.unreadable")
				return
			}
		}
	}
	if payload == "" {
		s.cvScanForm(c, http.StatusBadRequest, "cv.scan.empty")
		return
	}
	v, err := s.cfg.App.Verifier.Scan(c.Request.Context(), consoleOf(c).Account.Admin, payload)
	if err != nil && v == nil {
		s.cvFail(c, err)
		return
	}
	pg := cvScanPage{}
	if err != nil {
		// Verified, but the ledger did not take the record: say so.
		s.cfg.Log.Error("scan not recorded", "route", c.FullPath(), "err", err.Error())
		pg.Notice = tr.T("cv.scan.notrecorded")
	}
	outcome := "refused"
	if v.Valid {
		outcome = "accepted"
	}
	s.logStaffAction(c, "verifier.scan", v.Type+" "+outcome)
	pg.Verdict = s.cvVerdictOf(c.Request.Context(), tr, outcome, v, "")
	s.renderConsole(c, http.StatusOK, "console_verifier_scanned", "cv.scan.result", "scan", pg)
}

var errCVUnreadable = errors.New("no readable QR code in the picture")

// cvReadQRImage finds the QR code in an uploaded PNG or JPEG picture.
func cvReadQRImage(fh *multipart.FileHeader) (string, error) {
	if fh.Size > cvMaxUpload {
		return "", fmt.Errorf("%w: %d bytes", errCVUnreadable, fh.Size)
	}
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, cvMaxUpload+1))
	if err != nil || len(b) > cvMaxUpload {
		return "", errCVUnreadable
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > cvMaxPixels {
		return "", errCVUnreadable
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return "", errCVUnreadable
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", errCVUnreadable
	}
	// A photo first (find the code anywhere), then a clean rendering (the
	// whole picture is the code).
	for _, hints := range []map[gozxing.DecodeHintType]any{
		{gozxing.DecodeHintType_TRY_HARDER: true},
		{gozxing.DecodeHintType_PURE_BARCODE: true},
	} {
		if res, err := qrcode.NewQRCodeReader().Decode(bmp, hints); err == nil {
			return res.GetText(), nil
		}
	}
	return "", errCVUnreadable
}

// cvFail shows an error page: the status from errors.go's mapping, a
// message written for staff, the detail of server errors in the log only.
func (s *Server) cvFail(c *gin.Context, err error) {
	code, _ := statusOf(err)
	key := "cv.error.failed"
	switch {
	case code == http.StatusNotFound:
		key = "cv.error.notfound"
	case errors.Is(err, trust.ErrNotRegistered):
		key = "cv.error.notregistered"
	case code >= 400 && code < 500:
		key = "cv.error.bad"
	default:
		s.cfg.Log.Error("verifier console failed", "route", c.FullPath(), "err", err.Error())
	}
	s.renderConsole(c, code, "console_error", "cv.error.title", "verifier", translator(langOf(c)).T(key))
	c.Abort()
}
