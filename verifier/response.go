package verifier

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/ledger"
	bolt "go.etcd.io/bbolt"
)

// Recorder appends to the transparency ledger; *ledger.Log implements it.
type Recorder interface {
	Append(ctx context.Context, e ledger.Entry) (*ledger.Receipt, error)
}

// Response is a wallet's direct_post to a request's response_uri.
type Response struct {
	// State must equal the request's state.
	State string
	// VPToken is the OpenID4VP vp_token: a JSON object mapping the DCQL
	// credential id to one presentation (or an array of one), or the bare
	// presentation.
	VPToken string
	// Error is set instead of VPToken when the citizen refused
	// ("access_denied"), with ErrorDescription.
	Error, ErrorDescription string
	// Pseudonym and Commitment (hex, 32 bytes each) are Espai's extension:
	// the citizen's pseudonym towards this verifier and a commitment to the
	// receipt document the wallet keeps, so the ledger entry of this
	// verification is one the citizen can later prove. A foreign wallet may
	// omit them: the entry then gets a random one-time pseudonym.
	Pseudonym, Commitment string
}

// Outcome is what the verifier answers a wallet's response with.
type Outcome struct {
	State   string          `json:"state"`
	Checks  []verdict.Check `json:"checks,omitempty"`
	Receipt *ledger.Receipt `json:"receipt,omitempty"`
}

// Respond verifies a wallet's response to request id: every presentation
// check against the request (audience = its client_id, its nonce, the
// requested type and claims), then records the outcome on the request
// (exactly once: a second response is ErrAnswered) and on the ledger. An
// invalid presentation is an answer too: the request becomes rejected and the
// failing check is shown to the staff member.
func (s *Service) Respond(ctx context.Context, id string, resp Response) (*Request, *Outcome, error) {
	r, err := s.Request(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if resp.State != r.Object.State {
		return nil, nil, fmt.Errorf("%w: state does not match the request", ErrBadRequest)
	}
	switch r.State {
	case StatePending:
	case StateExpired:
		return nil, nil, ErrExpired
	default:
		return nil, nil, ErrAnswered
	}
	if resp.Error != "" {
		reason := resp.Error
		if resp.ErrorDescription != "" {
			reason += ": " + resp.ErrorDescription
		}
		out, err := s.Refuse(ctx, id, resp.State, truncate(reason, 256))
		if err != nil {
			return nil, nil, err
		}
		return out, &Outcome{State: out.State}, nil
	}
	pres, err := presentationFromToken(resp.VPToken, r.Object.DCQL.Credentials[0].ID)
	if err != nil {
		return nil, nil, err
	}
	q := r.Object.DCQL.Credentials[0]
	req := PresentationRequest{
		Audience: r.Object.ClientID,
		Nonce:    r.Object.Nonce,
		MaxAge:   s.cfg.Freshness,
		Type:     credential.Type(q.ID),
		Claims:   r.Object.ClaimNames(),
	}
	v, err := s.checker.VerifyPresentation(ctx, []byte(pres), req)
	if err != nil {
		return nil, nil, err
	}
	if v.Valid {
		if err := checkFormat(q.Format, pres); err != nil {
			v.Fail(verdict.Parse, err)
		}
	}
	if v.Valid {
		if err := s.spend(req.Audience, req.Nonce, []byte(pres), req.MaxAge); err != nil {
			v.Fail(verdict.Nonce, err)
		}
	}
	state := StateRejected
	if v.Valid {
		state = StateAccepted
	}
	out, err := s.finish(ctx, id, resp.State, func(r *Request) error {
		r.State, r.Verdict = state, v
		if f := v.FirstFailure(); f != nil {
			r.Reason = f.Name + ": " + f.Detail
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	rcpt, err := s.record(ctx, out.Admin, out.Object.Purpose.ID, out.Object.Purpose.LegalBasis, credential.Type(q.ID), req.Claims, v, resp.Pseudonym, resp.Commitment)
	if err != nil {
		return out, nil, fmt.Errorf("presentation %s, not recorded on the ledger: %w", state, err)
	}
	return out, &Outcome{State: state, Checks: v.Checks, Receipt: rcpt}, nil
}

func checkFormat(format, pres string) error {
	isLD := strings.HasPrefix(strings.TrimSpace(pres), "{")
	if (format == FormatLDPVC) != isLD {
		return fmt.Errorf("the request asked for %s", format)
	}
	return nil
}

// presentationFromToken extracts the one presentation from a vp_token.
func presentationFromToken(tok, queryID string) (string, error) {
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", fmt.Errorf("%w: vp_token is empty", ErrBadRequest)
	}
	if len(tok) > maxPresentation+1024 {
		return "", fmt.Errorf("%w: vp_token larger than %d bytes", ErrBadRequest, maxPresentation)
	}
	if !strings.HasPrefix(tok, "{") {
		return tok, nil // a bare SD-JWT presentation
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(tok), &m); err != nil {
		return "", fmt.Errorf("%w: vp_token: %v", ErrBadRequest, err)
	}
	if _, isVP := m["@context"]; isVP {
		return tok, nil // a bare JSON-LD presentation
	}
	raw, ok := m[queryID]
	if !ok || len(m) != 1 {
		return "", fmt.Errorf("%w: vp_token must hold exactly the credential query %q", ErrBadRequest, queryID)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		list = []json.RawMessage{raw}
	}
	if len(list) != 1 {
		return "", fmt.Errorf("%w: vp_token must hold one presentation", ErrBadRequest)
	}
	var str string
	if err := json.Unmarshal(list[0], &str); err == nil {
		if strings.TrimSpace(str) == "" {
			return "", fmt.Errorf("%w: empty presentation", ErrBadRequest)
		}
		return str, nil
	}
	return string(list[0]), nil // a JSON-LD VP object
}

// record appends the presentation-verified entry.
func (s *Service) record(ctx context.Context, admin, purpose, basis string, t credential.Type, claims []string, v *verdict.Verdict, pseudonym, commitment string) (*ledger.Receipt, error) {
	e, err := entry(admin, purpose, basis, t, claims, v, pseudonym, commitment)
	if err != nil {
		return nil, err
	}
	return s.recorder.Append(ctx, e)
}

// entry builds a presentation-verified entry (its time is left to the ledger).
func entry(admin, purpose, basis string, t credential.Type, claims []string, v *verdict.Verdict, pseudonym, commitment string) (ledger.Entry, error) {
	e := ledger.Entry{
		Kind: ledger.KindPresentationVerified, Administration: admin, Purpose: purpose, LegalBasis: basis,
		CredentialType: t.LDType(), Categories: claims, Outcome: ledger.OutcomeRefused,
	}
	if e.CredentialType == "" {
		// A scan refused before the credential's type was established (its
		// issuer JWT or key binding failed; the verdict's type is then the
		// unverified vct or empty). It is recorded all the same, with no
		// type it claims: the ledger requires one, and a refused
		// presentation left off the ledger would hide the attempt.
		e.CredentialType = UnverifiedCredentialType
	}
	if v.Valid {
		e.Outcome = ledger.OutcomeAccepted
	}
	if err := decodeHex32(pseudonym, e.Pseudonym[:]); err != nil {
		return e, fmt.Errorf("%w: pseudonym: %v", ErrBadRequest, err)
	}
	if err := decodeHex32(commitment, e.Commitment[:]); err != nil {
		return e, fmt.Errorf("%w: commitment: %v", ErrBadRequest, err)
	}
	return e, nil
}

// decodeHex32 fills dst from 64 hex digits, or with random bytes when s is
// empty (an unlinkable one-time value).
func decodeHex32(s string, dst []byte) error {
	if s == "" {
		_, err := rand.Read(dst)
		return err
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(dst) {
		return errors.New("want 64 hex digits")
	}
	copy(dst, b)
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// UnverifiedCredentialType is the ledger credential type of a refused scan
// whose credential type could not be established.
const UnverifiedCredentialType = "UnverifiedCredential"

// QRMaxAge bounds the age of a citizen-initiated (QR) presentation.
const QRMaxAge = 3 * time.Minute

// QRPurpose is how a citizen-initiated presentation is recorded: the citizen
// chose to show it.
const (
	QRPurpose    = "presentacio-qr"
	QRLegalBasis = "Consentiment de la persona interessada (RGPD art. 6.1.a)"
)

// QRAudience is the key-binding audience of citizen-initiated presentations
// in the trust framework of didDomain: any of its administrations may scan
// them (the replay cache makes each usable once).
func QRAudience(didDomain string) string { return "urn:espai:qr:" + didDomain }

// Scan verifies a citizen-initiated presentation read from a QR code by
// administration admin's scanner: an "ESPAI1:" payload, or the one-time URL
// this deployment hands out for presentations too large for a QR code. The
// presentation must be an SD-JWT VC with key binding for QRAudience, at most
// QRMaxAge old; its nonce and the presentation are spent, so a second scan
// (the same QR shown twice, or a photo of it) fails the nonce check. A valid
// or refused scan is recorded on the ledger under a one-time pseudonym; with
// Config.ScanReceipts set, its entry commits to the receipt the hook hands
// the citizen who showed the code.
func (s *Service) Scan(ctx context.Context, admin, payload string) (*verdict.Verdict, error) {
	payload = strings.TrimSpace(payload)
	var pres []byte
	switch {
	case strings.HasPrefix(payload, qrpayload.Prefix):
		p, err := qrpayload.Unpack(payload)
		if err != nil {
			v := &verdict.Verdict{}
			v.Fail(verdict.Parse, err)
			return v, nil
		}
		pres = p
	case strings.HasPrefix(payload, s.cfg.PublicBase+handoffPath):
		p, err := s.takeHandoff(strings.TrimPrefix(payload, s.cfg.PublicBase+handoffPath))
		if err != nil {
			v := &verdict.Verdict{}
			v.Fail(verdict.Parse, err)
			return v, nil
		}
		pres = p
	default:
		v := &verdict.Verdict{}
		v.Failf(verdict.Parse, "not an Espai presentation QR code")
		return v, nil
	}
	if strings.HasPrefix(strings.TrimSpace(string(pres)), "{") {
		v := &verdict.Verdict{}
		v.Failf(verdict.Parse, "a QR presentation must be an SD-JWT VC with key binding")
		return v, nil
	}
	nonce, err := peekKBNonce(string(pres))
	if err != nil {
		v := &verdict.Verdict{}
		v.Fail(verdict.Parse, err)
		return v, nil
	}
	req := PresentationRequest{Audience: QRAudience(s.cfg.DIDDomain), Nonce: nonce, MaxAge: QRMaxAge}
	v, err := s.VerifyPresentation(ctx, pres, req)
	if err != nil {
		return nil, err
	}
	var claims, envelope []string
	for k := range v.Claims {
		if envelopeClaims[k] {
			envelope = append(envelope, k)
		} else {
			claims = append(claims, k)
		}
	}
	if len(claims) == 0 {
		claims = envelope // nothing else was shown
	}
	if len(claims) == 0 {
		// A refused scan: nothing it claims can be trusted, not even names.
		claims = []string{"unverified-presentation"}
	}
	notRecorded := func(err error) error {
		return fmt.Errorf("scan %s, not recorded on the ledger: %w", map[bool]string{true: "accepted", false: "refused"}[v.Valid], err)
	}
	e, err := entry(admin, QRPurpose, QRLegalBasis, credential.Type(v.Type), sorted(claims), v, "", "")
	if err != nil {
		return v, notRecorded(err)
	}
	// The pseudonym stays one-time and random: the scanner cannot know the
	// citizen's, and the citizen's receipt is proven by the commitment alone.
	var rc *ScanReceipt
	if s.cfg.ScanReceipts != nil {
		rc = s.cfg.ScanReceipts.PrepareScan(ctx, QRScan{Admin: admin, Nonce: nonce,
			Presentation: sha256.Sum256(bytes.TrimSpace(pres)), Verdict: v})
		if rc != nil && (rc.Commitment == (ledger.Commitment{}) || rc.Time.IsZero()) {
			rc = nil // not a usable receipt: record as without a hook
		}
	}
	if rc != nil {
		e.Time, e.Commitment = rc.Time, rc.Commitment
	}
	rcpt, err := s.recorder.Append(ctx, e)
	if rc != nil && rc.Appended != nil {
		rc.Appended(ctx, rcpt, err)
	}
	if err != nil {
		return v, notRecorded(err)
	}
	return v, nil
}

// envelopeClaims are an SD-JWT VC's own claims (issuer, type, dates, holder
// key, status reference): a scan's entry names the claims shown about the
// citizen, as a request's entry names the claims it asked for.
var envelopeClaims = map[string]bool{"iss": true, "vct": true, "vct#integrity": true, "iat": true, "nbf": true, "exp": true, "cnf": true, "status": true}

// QRScan is one verified scan of a citizen-initiated presentation, as Scan
// hands it to its ScanReceipts hook.
type QRScan struct {
	// Admin is the scanning administration.
	Admin string
	// Nonce is the key-binding JWT's nonce. It is read before verification:
	// when the verdict is refused nothing vouches for it, so a hook matches
	// the presentation too.
	Nonce string
	// Presentation is the SHA-256 of the scanned presentation (its text, as
	// the wallet made it).
	Presentation [32]byte
	// Verdict is the outcome; the hook must not modify it.
	Verdict *verdict.Verdict
}

// ScanReceipt is what a ScanReceipts hook prepared for a scan's ledger entry.
type ScanReceipt struct {
	// Time is the entry's time (the receipt document's).
	Time time.Time
	// Commitment is the entry's commitment to the receipt document.
	Commitment ledger.Commitment
	// Appended is called once, after the append, with its outcome: the
	// entry's receipt, or the error that kept the entry off the ledger.
	Appended func(ctx context.Context, rcpt *ledger.Receipt, err error)
}

// ScanReceipts lets the deployment whose wallet made a QR presentation give
// the citizen the receipt of each scan of it (Config.ScanReceipts).
type ScanReceipts interface {
	// PrepareScan is called by Scan after verification, before the entry
	// is appended. It returns the receipt's commitment when the presentation
	// is one of its wallets' pending QR codes, and nil otherwise; it reports
	// its own failures and returns nil then, so a scan is always recorded
	// (under a random commitment, as without a hook).
	PrepareScan(ctx context.Context, s QRScan) *ScanReceipt
}

// peekKBNonce reads the nonce of a presentation's key-binding JWT without
// verifying it; verification with that nonce follows.
func peekKBNonce(pres string) (string, error) {
	i := strings.LastIndexByte(pres, '~')
	if i < 0 || i == len(pres)-1 {
		return "", errors.New("no key-binding JWT: a QR presentation must be bound to the holder")
	}
	_, claims, err := sdjwt.ParseJWT(pres[i+1:])
	if err != nil {
		return "", err
	}
	n, _ := claims["nonce"].(string)
	if n == "" || len(n) > 256 {
		return "", errors.New("the key-binding JWT has no usable nonce")
	}
	return n, nil
}

// handoffPath is where one-time presentation URLs live.
const handoffPath = "/p/"

// handoffTTL is how long a handed-off presentation can be fetched.
const handoffTTL = QRMaxAge

type handoff struct {
	Presentation []byte    `json:"presentation"`
	Expires      time.Time `json:"expires"`
}

// Handoff stores a presentation too large for a QR code and returns the short
// one-time URL to put in the QR instead. The first fetch (Scan, or GET
// /p/{id}) removes it; it expires after QRMaxAge.
func (s *Service) Handoff(_ context.Context, presentation []byte) (string, error) {
	if len(presentation) == 0 || len(presentation) > maxPresentation {
		return "", fmt.Errorf("%w: presentation of %d bytes", ErrBadRequest, len(presentation))
	}
	id := newNonce()[:22]
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHandoff)
		var dead [][]byte
		_ = b.ForEach(func(k, v []byte) error {
			var h handoff
			if json.Unmarshal(v, &h) != nil || now.After(h.Expires) {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return putJSON(b, []byte(id), handoff{Presentation: presentation, Expires: now.Add(handoffTTL)})
	})
	if err != nil {
		return "", err
	}
	return s.cfg.PublicBase + handoffPath + id, nil
}

// TakeHandoff returns a handed-off presentation once (GET /p/{id}).
func (s *Service) TakeHandoff(_ context.Context, id string) ([]byte, error) { return s.takeHandoff(id) }

func (s *Service) takeHandoff(id string) ([]byte, error) {
	var h handoff
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHandoff)
		raw := b.Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("%w: this one-time presentation link was already used or never existed", ErrNotFound)
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			return err
		}
		return b.Delete([]byte(id))
	})
	if err != nil {
		return nil, err
	}
	if now.After(h.Expires) {
		return nil, fmt.Errorf("%w: the one-time presentation link expired", ErrExpired)
	}
	return h.Presentation, nil
}
