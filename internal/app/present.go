package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/jsonld"
	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/trust"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

// ErrRequestRefused means the wallet refused a presentation request on the
// citizen's behalf: an unsigned or badly signed request, a verifier not on
// the trust list, or a request beyond the verifier's registration.
var ErrRequestRefused = errors.New("presentation request refused")

// Wallet events of the presentation flows.
const (
	EventRequestRefused wallet.EventKind = "request_refused" // fields: verifier, purpose, reason
	EventConsentRefused wallet.EventKind = "consent_refused" // fields: administration, purpose
)

// IncomingRequest is a verifier's presentation request as the citizen's
// wallet shows it: who asks, what, why and on what legal basis, and which of
// the citizen's credentials can answer.
type IncomingRequest struct {
	Object       verifier.RequestObject
	Verifier     trust.Entity
	Purpose      trust.Purpose
	Type         credential.Type
	Format       credential.Format
	Claims       []string
	Candidates   []wallet.Credential
	responseURI  string
	verifierName string
}

// VerifierName is the asking administration's official name.
func (r *IncomingRequest) VerifierName() string { return r.verifierName }

// OpenRequest fetches and checks the request behind an openid4vp:// URI
// scanned by the citizen: the request object must be signed by a key of the
// client_id DID (assertionMethod), be well formed and unexpired, and ask only
// for what the verifier registered on the trust list for that purpose. A
// request that fails is refused (ErrRequestRefused), reported to the verifier
// (error invalid_request) and recorded in the citizen's activity.
func (a *App) OpenRequest(ctx context.Context, s *wallet.Session, uri string) (*IncomingRequest, error) {
	clientID, requestURI, err := verifier.ParseQRURI(uri)
	if err != nil {
		return nil, err
	}
	if err := a.checkRequestURI(ctx, clientID, requestURI); err != nil {
		return nil, err
	}
	signed, err := a.fetchRequestObject(ctx, requestURI)
	if err != nil {
		return nil, err
	}
	ir, problem := a.checkRequest(ctx, clientID, signed)
	if problem != nil {
		_, _ = s.RecordEvent(ctx, wallet.Event{Kind: EventRequestRefused, Actor: wallet.ActorWallet,
			Fields: map[string]string{"verifier": clientID, "reason": problem.Error()}})
		if ir != nil && ir.responseURI != "" {
			_, _ = a.postResponse(ctx, ir.responseURI, url.Values{"state": {ir.Object.State}, "error": {"invalid_request"},
				"error_description": {truncateString(problem.Error(), 200)}})
		}
		// %w twice: callers can tell a request beyond the verifier's
		// registration (trust.ErrNotRegistered) from other refusals.
		return nil, fmt.Errorf("%w: %w", ErrRequestRefused, problem)
	}
	creds, _, err := s.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	now := a.now()
	for _, c := range creds {
		if c.Type == ir.Type && c.Format == ir.Format && (c.ExpiresAt.IsZero() || c.ExpiresAt.After(now)) {
			ir.Candidates = append(ir.Candidates, c)
		}
	}
	return ir, nil
}

// checkRequest verifies a signed request object. It returns the parsed
// request when it could read one (so a refusal can be reported to its
// response_uri) and the reason to refuse it, if any.
func (a *App) checkRequest(ctx context.Context, clientID, signed string) (*IncomingRequest, error) {
	h, claims, err := sdjwt.ParseJWT(signed)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	var obj verifier.RequestObject
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("request object: %v", err)
	}
	ir := &IncomingRequest{Object: obj, responseURI: obj.ResponseURI}
	if err := obj.Validate(a.now()); err != nil {
		return ir, err
	}
	if h.Typ != verifier.RequestTyp {
		return ir, fmt.Errorf("request object typ %q, want %s", h.Typ, verifier.RequestTyp)
	}
	if obj.ClientID != clientID {
		return ir, fmt.Errorf("the QR code's client_id %s is not the request's %s", clientID, obj.ClientID)
	}
	vdid := obj.VerifierDID()
	kidDID, _, err := did.SplitURL(h.Kid)
	if err != nil || kidDID != vdid {
		return ir, fmt.Errorf("the request is not signed by a key of %s", vdid)
	}
	doc, err := a.Resolver.ResolveDID(ctx, vdid)
	if err != nil {
		return ir, err
	}
	key, err := doc.Key(h.Kid, did.AssertionMethod)
	if err != nil {
		return ir, err
	}
	if err := sdjwt.VerifyJWS(signed, h, key, nil); err != nil {
		return ir, fmt.Errorf("request signature: %v", err)
	}
	list, err := a.Trust.TrustList(ctx)
	if err != nil {
		return ir, err
	}
	q := obj.DCQL.Credentials[0]
	t, err := credential.ParseType(q.ID)
	if err != nil {
		return ir, err
	}
	p, err := list.CheckRequest(vdid, obj.Purpose.ID, string(t), obj.ClaimNames())
	if err != nil {
		return ir, err
	}
	if p.LegalBasis != obj.Purpose.LegalBasis || p.Title != obj.Purpose.Title {
		return ir, fmt.Errorf("the request's purpose text differs from %s's registration", vdid)
	}
	e, _ := list.Entity(vdid)
	ir.Verifier, ir.Purpose, ir.Type, ir.Claims, ir.verifierName = *e, *p, t, obj.ClaimNames(), e.Name
	ir.Format = credential.SDJWT
	if q.Format == verifier.FormatLDPVC {
		ir.Format = credential.JSONLD
	}
	return ir, nil
}

// Approve presents credential credID for the request, disclosing only the
// requested claims, bound to the verifier (aud) and its nonce. The consent is
// recorded on the ledger first; the verifier's presentation-verified entry is
// made under the citizen's pseudonym towards it with a commitment to a
// receipt document the wallet keeps, and its receipt is stored in the wallet.
func (a *App) Approve(ctx context.Context, s *wallet.Session, ir *IncomingRequest, credID string) (*verifier.Outcome, error) {
	c, err := s.Credential(ctx, credID)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(ir.Candidates, func(x wallet.Credential) bool { return x.ID == credID }) {
		return nil, fmt.Errorf("%w: that credential does not answer this request", ErrRequestRefused)
	}
	pres, disclosed, err := a.present(ctx, s, c, ir.Claims, ir.Object.ClientID, ir.Object.Nonce)
	if err != nil {
		return nil, err
	}
	citizen := s.CitizenID()
	admin := ir.Verifier.Admin
	if _, err := a.record(ctx, citizen, ledger.Entry{Kind: ledger.KindConsentGiven, Administration: admin,
		Purpose: ir.Purpose.ID, LegalBasis: ir.Purpose.LegalBasis, CredentialType: ir.Type.LDType(), Categories: ir.Claims},
		Document{Claims: disclosed}); err != nil {
		return nil, err
	}
	secret, err := a.Wallet.PseudonymSecret(ctx, citizen)
	if err != nil {
		return nil, err
	}
	pseudonym := ledger.Pseudonym(secret, admin)
	now := a.now().UTC().Truncate(time.Millisecond)
	doc, err := json.Marshal(Document{Version: 1, Kind: ledger.KindPresentationVerified.String(), Time: now, Citizen: citizen,
		Administration: admin, Purpose: ir.Purpose.ID, LegalBasis: ir.Purpose.LegalBasis, CredentialType: ir.Type.LDType(), Claims: disclosed})
	if err != nil {
		return nil, err
	}
	commitment, salt, err := ledger.Commit(doc)
	if err != nil {
		return nil, err
	}
	token := map[string][]json.RawMessage{}
	if ir.Format == credential.JSONLD {
		token[string(ir.Type)] = []json.RawMessage{pres}
	} else {
		q, _ := json.Marshal(string(pres))
		token[string(ir.Type)] = []json.RawMessage{q}
	}
	vp, err := json.Marshal(token)
	if err != nil {
		return nil, err
	}
	body, err := a.postResponse(ctx, ir.responseURI, url.Values{
		"state": {ir.Object.State}, "vp_token": {string(vp)},
		"espai_pseudonym": {hex.EncodeToString(pseudonym[:])}, "espai_commitment": {hex.EncodeToString(commitment[:])},
	})
	if err != nil {
		return nil, err
	}
	var out verifier.Outcome
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("the verifier's answer: %v", err)
	}
	if out.Receipt != nil {
		if e, _, err := ledger.VerifyReceipt(out.Receipt, a.Ledger.VerifierKey()); err != nil || e.Commitment != commitment || e.Pseudonym != pseudonym {
			return &out, fmt.Errorf("the verifier's ledger receipt does not match what the wallet sent")
		}
		bundle, err := json.Marshal(ReceiptBundle{Version: 1, Receipt: out.Receipt, Document: doc, Salt: salt})
		if err != nil {
			return &out, err
		}
		if _, err := s.AddReceipt(ctx, wallet.Receipt{Index: out.Receipt.Index, Administration: admin, Purpose: ir.Purpose.ID,
			Kind: ledger.KindPresentationVerified.String(), Time: now, Raw: bundle}); err != nil {
			return &out, err
		}
	}
	_, err = s.RecordEvent(ctx, wallet.Event{Kind: wallet.EventCredentialShown, Actor: wallet.ActorCitizen,
		Fields: map[string]string{"credential": credID, "verifier": admin, "purpose": ir.Purpose.ID, "outcome": out.State}})
	if _, ierr := s.OpenInbox(ctx); ierr != nil && err == nil {
		err = ierr
	}
	return &out, err
}

// Decline tells the verifier the citizen refused and records the refusal.
func (a *App) Decline(ctx context.Context, s *wallet.Session, ir *IncomingRequest, reason string) error {
	if _, err := a.postResponse(ctx, ir.responseURI, url.Values{"state": {ir.Object.State}, "error": {"access_denied"},
		"error_description": {truncateString(reason, 200)}}); err != nil {
		return err
	}
	if _, err := a.record(ctx, s.CitizenID(), ledger.Entry{Kind: ledger.KindConsentRefused, Administration: ir.Verifier.Admin,
		Purpose: ir.Purpose.ID, LegalBasis: ir.Purpose.LegalBasis, CredentialType: ir.Type.LDType(), Categories: ir.Claims},
		Document{Reason: reason}); err != nil {
		return err
	}
	_, err := s.RecordEvent(ctx, wallet.Event{Kind: EventConsentRefused, Actor: wallet.ActorCitizen,
		Fields: map[string]string{"administration": ir.Verifier.Admin, "purpose": ir.Purpose.ID}})
	if _, ierr := s.OpenInbox(ctx); ierr != nil && err == nil {
		err = ierr
	}
	return err
}

// present builds a presentation of c disclosing claims, for aud and nonce. It
// returns the presentation and the disclosed claim values (for the receipt).
func (a *App) present(ctx context.Context, s *wallet.Session, c *wallet.Credential, claims []string, aud, nonce string) ([]byte, map[string]any, error) {
	disclosed := map[string]any{}
	for _, n := range claims {
		v, ok := c.Claims[n]
		if !ok {
			return nil, nil, fmt.Errorf("%w: the credential has no claim %q", ErrRequestRefused, n)
		}
		disclosed[n] = v
	}
	switch c.Format {
	case credential.SDJWT:
		key, err := s.HolderJWK(ctx)
		if err != nil {
			return nil, nil, err
		}
		p, err := sdjwt.Present(string(c.Raw), claims, sdjwt.Signer{Key: key, Alg: jwa.EdDSA}, aud, nonce, a.now())
		return []byte(p), disclosed, err
	case credential.JSONLD:
		key, err := s.HolderKey(ctx)
		if err != nil {
			return nil, nil, err
		}
		p, err := a.Checker.LD.Present(ctx, jsonld.Signer{MethodID: s.PublicKeys().HolderMethod, Key: key}, [][]byte{c.Raw}, nonce, aud, a.now())
		// A JSON-LD credential is shown whole.
		for k, v := range c.Claims {
			disclosed[k] = v
		}
		return p, disclosed, err
	}
	return nil, nil, fmt.Errorf("%w %q", credential.ErrUnknownFormat, c.Format)
}

// QRPresentation is what the citizen's phone shows: the QR content (an
// "ESPAI1:" payload, or a one-time URL when the presentation does not fit a
// phone-readable code) and the rendered code.
type QRPresentation struct {
	Code    *qrpayload.Code
	Expires time.Time
	// Handoff is true when the code holds a one-time URL.
	Handoff bool
}

// PresentQR makes a citizen-initiated presentation of credential credID
// disclosing only claims: an SD-JWT with key binding for any administration
// of this trust framework (verifier.QRAudience), a fresh nonce, valid for
// verifier.QRMaxAge. It is registered as pending so that each scan of it by
// this deployment's verifier puts a ledger receipt in the wallet
// (qrreceipt.go).
func (a *App) PresentQR(ctx context.Context, s *wallet.Session, credID string, claims []string) (*QRPresentation, error) {
	c, err := s.Credential(ctx, credID)
	if err != nil {
		return nil, err
	}
	if c.Format != credential.SDJWT {
		return nil, fmt.Errorf("%w: only SD-JWT credentials can be shown as a QR code (they disclose claims selectively)", ErrRequestRefused)
	}
	if len(claims) == 0 {
		return nil, fmt.Errorf("%w: choose at least one claim to show", ErrRequestRefused)
	}
	n := make([]byte, 16)
	if _, err := rand.Read(n); err != nil {
		return nil, err
	}
	nonce := base64.RawURLEncoding.EncodeToString(n)
	pres, _, err := a.present(ctx, s, c, claims, verifier.QRAudience(a.Settings.DIDDomain), nonce)
	if err != nil {
		return nil, err
	}
	out := &QRPresentation{Expires: a.now().Add(verifier.QRMaxAge)}
	payload, err := qrpayload.Pack(pres)
	if err != nil {
		return nil, err
	}
	out.Code, err = qrpayload.Encode(payload)
	if errors.Is(err, qrpayload.ErrTooLarge) {
		u, herr := a.Verifier.Handoff(ctx, pres)
		if herr != nil {
			return nil, herr
		}
		out.Handoff = true
		out.Code, err = qrpayload.Encode(u)
	}
	if err != nil {
		return nil, err
	}
	// Each scan's receipt comes to the wallet (qrreceipt.go): a code that
	// could yield none is not shown.
	if err := a.registerQR(s.CitizenID(), credID, c.Type.LDType(), claims, nonce, pres, out.Expires); err != nil {
		return nil, err
	}
	_, err = s.RecordEvent(ctx, wallet.Event{Kind: wallet.EventCredentialShown, Actor: wallet.ActorCitizen,
		Fields: map[string]string{"credential": credID, "verifier": "qr", "claims": strings.Join(claims, ",")}})
	return out, err
}

// checkRequestURI refuses, before anything is fetched, a request whose
// client is not a verifier on the trust list or whose request_uri is not on
// this deployment or at the verifier's own did:web host: a link or QR code
// must not make the server fetch arbitrary addresses (server-side request
// forgery) on a citizen's behalf.
func (a *App) checkRequestURI(ctx context.Context, clientID, requestURI string) error {
	if _, ok := a.ownRequestPath(requestURI, "/object"); ok {
		return nil
	}
	vdid, ok := strings.CutPrefix(clientID, verifier.ClientIDPrefix)
	if !ok {
		return fmt.Errorf("%w: client_id %q is not a decentralized identifier", ErrRequestRefused, truncateString(clientID, 80))
	}
	list, err := a.Trust.TrustList(ctx)
	if err != nil {
		return err
	}
	if _, ok := list.Entity(vdid); !ok {
		return fmt.Errorf("%w: %w: %s is not a verifier on the trust list", ErrRequestRefused, trust.ErrNotRegistered, truncateString(vdid, 80))
	}
	host, ok := didWebHost(vdid)
	u, err := url.Parse(requestURI)
	if err == nil && a.requestHostAllowed(u.Host) && (u.Scheme == "https" || u.Scheme == "http") {
		return nil
	}
	if !ok || err != nil || u.Scheme != "https" || !strings.EqualFold(u.Host, host) {
		return fmt.Errorf("%w: the request_uri is not at %s's own address", ErrRequestRefused, truncateString(vdid, 80))
	}
	return nil
}

// AllowRequestHost lets trust-list verifiers' request objects be fetched
// from host (host[:port]) besides their own did:web host, over http or
// https: a federation's verifier gateway, or a test's server.
func (a *App) AllowRequestHost(host string) {
	a.requestHostsMu.Lock()
	defer a.requestHostsMu.Unlock()
	if a.requestHosts == nil {
		a.requestHosts = map[string]bool{}
	}
	a.requestHosts[strings.ToLower(host)] = true
}

func (a *App) requestHostAllowed(host string) bool {
	a.requestHostsMu.Lock()
	defer a.requestHostsMu.Unlock()
	return a.requestHosts[strings.ToLower(host)]
}

// didWebHost is the host (with its port, if any) a did:web names.
func didWebHost(d string) (string, bool) {
	rest, ok := strings.CutPrefix(d, "did:web:")
	if !ok || rest == "" {
		return "", false
	}
	host, _, _ := strings.Cut(rest, ":")
	host, err := url.PathUnescape(host)
	return host, err == nil && host != ""
}

// fetchRequestObject gets a signed request object: from this deployment's
// verifier directly when the URI is ours, over HTTPS otherwise.
func (a *App) fetchRequestObject(ctx context.Context, requestURI string) (string, error) {
	if id, ok := a.ownRequestPath(requestURI, "/object"); ok {
		return a.Verifier.RequestObject(ctx, id)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, requestURI, nil)
	if err != nil {
		return "", err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: the verifier answered %s", ErrRequestRefused, resp.Status)
	}
	return strings.TrimSpace(string(b)), nil
}

// postResponse sends a direct_post response: to this deployment's verifier
// directly when the URI is ours, over HTTP(S) otherwise. It returns the
// verifier's JSON answer.
func (a *App) postResponse(ctx context.Context, responseURI string, form url.Values) ([]byte, error) {
	if id, ok := a.ownRequestPath(responseURI, "/response"); ok {
		_, out, err := a.Verifier.Respond(ctx, id, verifier.Response{
			State: form.Get("state"), VPToken: form.Get("vp_token"), Error: form.Get("error"),
			ErrorDescription: form.Get("error_description"), Pseudonym: form.Get("espai_pseudonym"), Commitment: form.Get("espai_commitment"),
		})
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURI, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the verifier answered %s: %s", resp.Status, truncateString(string(b), 200))
	}
	return b, nil
}

// ownRequestPath reports whether u is this deployment's
// /verifier/requests/{id}{suffix} and returns the id.
func (a *App) ownRequestPath(u, suffix string) (string, bool) {
	rest, ok := strings.CutPrefix(u, a.publicBase+"/verifier/requests/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, suffix)
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// WithdrawConsent records that the citizen withdraws the consent given to
// administration admin for purpose: a consent-withdrawn ledger entry under
// the citizen's pseudonym towards it, its receipt in the wallet and an
// activity event. The administration must stop processing on that basis; the
// ledger makes the withdrawal provable.
func (a *App) WithdrawConsent(ctx context.Context, s *wallet.Session, admin, purpose string) error {
	list, err := a.Trust.TrustList(ctx)
	if err != nil {
		return err
	}
	e, ok := list.Entity(a.Issuer.DID(admin))
	if !ok {
		return fmt.Errorf("%w: %s is not a registered administration", trust.ErrNotRegistered, admin)
	}
	var p *trust.Purpose
	for i := range e.Purposes {
		if e.Purposes[i].ID == purpose {
			p = &e.Purposes[i]
		}
	}
	if p == nil {
		return fmt.Errorf("%w: %s has no purpose %q", trust.ErrNotRegistered, admin, purpose)
	}
	t, err := credential.ParseType(p.Type)
	if err != nil {
		return err
	}
	if _, err := a.record(ctx, s.CitizenID(), ledger.Entry{Kind: ledger.KindConsentWithdrawn, Administration: admin,
		Purpose: p.ID, LegalBasis: p.LegalBasis, CredentialType: t.LDType(), Categories: p.Claims},
		Document{Reason: "withdrawn by the citizen"}); err != nil {
		return err
	}
	_, err = s.RecordEvent(ctx, wallet.Event{Kind: wallet.EventConsentWithdrawn, Actor: wallet.ActorCitizen,
		Fields: map[string]string{"administration": admin, "purpose": purpose}})
	if _, ierr := s.OpenInbox(ctx); ierr != nil && err == nil {
		err = ierr
	}
	return err
}
