package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/trust"
	"github.com/espai/espai/internal/verdict"
	bolt "go.etcd.io/bbolt"
)

// Signer signs JWTs as an administration (its current ES256 key, kid = the
// key's DID URL). issuer.Service implements it.
type Signer interface {
	SignJWT(ctx context.Context, admin, typ string, claims any) (string, error)
}

// TrustSource returns the current verified trust list (issuers and verifier
// registrations). Implementations cache and refresh it; an error means no
// valid list is available and verification fails closed.
type TrustSource interface {
	TrustList(ctx context.Context) (*trust.List, error)
}

// Config configures the verifier. Zero values are documented defaults.
type Config struct {
	// PublicBase is the base URL wallets reach this verifier at, used in
	// request_uri and response_uri ("http://127.0.0.1:8080"). Required.
	PublicBase string
	// DIDDomain is the did:web domain of this deployment's administrations. Required.
	DIDDomain string
	// RequestTTL is how long a presentation request stays open. Zero: 5 minutes.
	RequestTTL time.Duration
	// Freshness is the maximum age of a key-binding JWT or VP proof. Zero: 5 minutes.
	Freshness time.Duration
	// Now is the clock. Nil: time.Now.
	Now func() time.Time
	// ScanReceipts, when set, gives the citizen who showed a scanned QR
	// presentation the receipt of its ledger entry (see ScanReceipts). Nil:
	// a scan's entry commits to nothing anyone keeps (a verifier used alone).
	ScanReceipts ScanReceipts
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c == nil {
		return errors.New("verifier config: nil")
	}
	if !strings.HasPrefix(c.PublicBase, "http://") && !strings.HasPrefix(c.PublicBase, "https://") {
		return fmt.Errorf("verifier config: public base %q must be an http(s) URL", c.PublicBase)
	}
	if c.DIDDomain == "" {
		return errors.New("verifier config: did domain is required")
	}
	if c.RequestTTL < 0 || c.RequestTTL > maxRequestTTL || c.Freshness < 0 {
		return fmt.Errorf("verifier config: request ttl must be within (0, %s]", maxRequestTTL)
	}
	return nil
}

// Service runs presentation requests and verifies what wallets send back.
// It is safe for concurrent use.
type Service struct {
	cfg      Config
	db       *bolt.DB
	signer   Signer
	checker  *Checker
	recorder Recorder
}

// Open opens (creating if needed) the verifier database at path.
func Open(path string, cfg Config, signer Signer, checker *Checker, recorder Recorder) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if recorder == nil {
		return nil, errors.New("verifier: a ledger recorder is required")
	}
	if checker == nil || checker.Trust == nil || checker.Resolver == nil || checker.Status == nil || checker.LD == nil {
		return nil, errors.New("verifier: incomplete checker")
	}
	if cfg.RequestTTL == 0 {
		cfg.RequestTTL = 5 * time.Minute
	}
	if cfg.Freshness == 0 {
		cfg.Freshness = 5 * time.Minute
	}
	cfg.PublicBase = strings.TrimRight(cfg.PublicBase, "/")
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, db: db, signer: signer, checker: checker, recorder: recorder}, nil
}

// Close closes the database.
func (s *Service) Close() error { return s.db.Close() }

func (s *Service) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// Request states.
const (
	StatePending  = "pending"  // shown as a QR, waiting for the wallet
	StateAccepted = "accepted" // a presentation arrived and verified
	StateRejected = "rejected" // a presentation arrived and failed verification
	StateRefused  = "refused"  // the citizen refused to share
	StateExpired  = "expired"  // nobody answered in time
)

// Request is a stored presentation request and its outcome.
type Request struct {
	ID       string           `json:"id"`
	Admin    string           `json:"admin"`
	Object   RequestObject    `json:"object"`
	Signed   string           `json:"signed,omitempty"` // the signed request object served at request_uri
	State    string           `json:"state"`
	Created  time.Time        `json:"created"`
	Answered time.Time        `json:"answered,omitzero"`
	Verdict  *verdict.Verdict `json:"verdict,omitempty"`
	// Reason is the wallet's refusal reason or the first failed check.
	Reason string `json:"reason,omitempty"`
}

// QR returns the openid4vp:// URI for the request's QR code.
func (r *Request) QR(base string) string {
	return QRURI(r.Object.ClientID, base+"/verifier/requests/"+r.ID+"/object")
}

// WalletLink is the request as an https link to the citizen space at base
// (see WalletLink): what a clerk's screen shows as a QR code.
func (r *Request) WalletLink(base string) string {
	return WalletLink(base, r.Object.ClientID, base+"/verifier/requests/"+r.ID+"/object")
}

// effectiveState reports expiry without a write.
func (r *Request) effectiveState(now time.Time) string {
	if r.State == StatePending && now.Unix() >= r.Object.Expires {
		return StateExpired
	}
	return r.State
}

// CreateRequest opens a presentation request by administration admin for its
// registered purpose purposeID, asking for claims of the purpose's credential
// type in the given format (FormatSDJWT or FormatLDPVC). claims nil means all
// claims the purpose registers. A request beyond the registration is refused
// here already, before any QR is shown.
func (s *Service) CreateRequest(ctx context.Context, admin, purposeID, format string, claims []string) (*Request, error) {
	list, err := s.checker.Trust.TrustList(ctx)
	if err != nil {
		return nil, err
	}
	verifierDID := did.Web(s.cfg.DIDDomain, "issuers", admin)
	e, ok := list.Entity(verifierDID)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a registered administration", trust.ErrNotRegistered, admin)
	}
	var purpose *trust.Purpose
	for i := range e.Purposes {
		if e.Purposes[i].ID == purposeID {
			purpose = &e.Purposes[i]
		}
	}
	if purpose == nil {
		return nil, fmt.Errorf("%w: %s has no purpose %q", trust.ErrNotRegistered, admin, purposeID)
	}
	if claims == nil {
		claims = purpose.Claims
	}
	if _, err := list.CheckRequest(verifierDID, purposeID, purpose.Type, claims); err != nil {
		return nil, err
	}
	if format == "" {
		format = FormatSDJWT
	}
	now := s.now()
	id := newNonce()[:22]
	obj := RequestObject{
		ClientID:     ClientIDPrefix + verifierDID,
		ResponseType: "vp_token",
		ResponseMode: "direct_post",
		ResponseURI:  s.cfg.PublicBase + "/verifier/requests/" + id + "/response",
		Nonce:        newNonce(),
		State:        id,
		Purpose:      PurposeInfo{ID: purpose.ID, Title: purpose.Title, LegalBasis: purpose.LegalBasis, RetentionDays: purpose.RetentionDays},
		IssuedAt:     now.Unix(),
		Expires:      now.Add(s.cfg.RequestTTL).Unix(),
		Audience:     "https://self-issued.me/v2",
	}
	cred := DCQLCredential{ID: purpose.Type, Format: format}
	switch format {
	case FormatSDJWT:
		cred.Meta.VCTValues = []string{credential.Type(purpose.Type).VCT()}
	case FormatLDPVC:
		cred.Meta.TypeValues = [][]string{{"VerifiableCredential", credential.Type(purpose.Type).LDType()}}
	default:
		return nil, fmt.Errorf("%w: format %q", ErrBadRequest, format)
	}
	for _, c := range claims {
		cred.Claims = append(cred.Claims, DCQLClaim{Path: []string{c}})
	}
	obj.DCQL = DCQL{Credentials: []DCQLCredential{cred}}
	if err := obj.Validate(now); err != nil {
		return nil, err
	}
	signed, err := s.signer.SignJWT(ctx, admin, RequestTyp, obj)
	if err != nil {
		return nil, err
	}
	r := &Request{ID: id, Admin: admin, Object: obj, Signed: signed, State: StatePending, Created: now.UTC()}
	err = s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketRequests), []byte(id), r) })
	if err != nil {
		return nil, fmt.Errorf("store request: %w", err)
	}
	return r, nil
}

// Request returns a stored request with its current state.
func (s *Service) Request(_ context.Context, id string) (*Request, error) {
	var r Request
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketRequests).Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &r)
	})
	if err != nil {
		return nil, err
	}
	r.State = r.effectiveState(s.now())
	return &r, nil
}

// RequestObject returns the signed request object a wallet fetches from
// request_uri. An expired or answered request is not served.
func (s *Service) RequestObject(ctx context.Context, id string) (string, error) {
	r, err := s.Request(ctx, id)
	if err != nil {
		return "", err
	}
	switch r.State {
	case StatePending:
		return r.Signed, nil
	case StateExpired:
		return "", ErrExpired
	default:
		return "", ErrAnswered
	}
}

// Refuse records the citizen's refusal of request id.
func (s *Service) Refuse(ctx context.Context, id, state, reason string) (*Request, error) {
	return s.finish(ctx, id, state, func(r *Request) error {
		r.State = StateRefused
		r.Reason = reason
		return nil
	})
}

// finish moves a pending request to its final state exactly once.
func (s *Service) finish(_ context.Context, id, state string, apply func(*Request) error) (*Request, error) {
	var out Request
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRequests)
		raw := b.Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		out = Request{}
		if err := json.Unmarshal(raw, &out); err != nil {
			return err
		}
		if state != out.Object.State {
			return fmt.Errorf("%w: state does not match the request", ErrBadRequest)
		}
		switch out.effectiveState(now) {
		case StateExpired:
			return ErrExpired
		case StatePending:
		default:
			return ErrAnswered
		}
		if err := apply(&out); err != nil {
			return err
		}
		out.Answered = now.UTC()
		return putJSON(b, []byte(id), &out)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Purge drops the disclosed claims of answered requests whose purpose's
// retention period has passed (the verdict's checks and the outcome stay, as
// the record that the verification happened), and deletes unanswered
// requests a day after they expired. It returns how many requests changed.
// The server runs it periodically.
func (s *Service) Purge(_ context.Context) (int, error) {
	now := s.now()
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRequests)
		var dead [][]byte
		type update struct {
			key []byte
			r   Request
		}
		var updates []update
		err := b.ForEach(func(k, v []byte) error {
			var r Request
			if err := json.Unmarshal(v, &r); err != nil {
				return nil // not ours to fix here; Request reports it
			}
			switch {
			case r.effectiveState(now) == StateExpired && now.Unix() > r.Object.Expires+24*3600:
				dead = append(dead, append([]byte(nil), k...))
			case !r.Answered.IsZero() && r.Verdict != nil && r.Verdict.Claims != nil &&
				now.After(r.Answered.AddDate(0, 0, r.Object.Purpose.RetentionDays)):
				r.Verdict.Claims = nil
				r.Reason = strings.TrimSpace(r.Reason + " (disclosed data deleted after the retention period)")
				updates = append(updates, update{append([]byte(nil), k...), r})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		for _, u := range updates {
			if err := putJSON(b, u.key, &u.r); err != nil {
				return err
			}
		}
		n = len(dead) + len(updates)
		return pruneSeen(tx, now) // replay entries past their expiry (markSeen ignores them anyway)
	})
	return n, err
}
