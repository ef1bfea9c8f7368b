package verifier

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/jsonld"
	"github.com/espai/espai/internal/verdict"
)

// Checker verifies credentials in either format: the issuer's signature, that
// the key belongs to the issuer (DID resolution), that the trust list allows
// the issuer to issue that type, the validity window and the status list.
// Every check runs; none can be switched off. It is safe for concurrent use.
type Checker struct {
	Resolver did.Resolver
	Trust    TrustSource
	Status   *StatusCache
	LD       *jsonld.Processor
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// resolver is c.Resolver for every DID the checker resolves (issuers, status
// list signers, holders).
func (c *Checker) resolver() did.Resolver { return trustedResolver{c} }

// trustedResolver resolves a did:web only when it is an entity of the trust
// list. did:web resolution fetches a document from the DID's host: resolving
// whatever iss or verification method a presented credential names, before
// its signature is checked, would let anyone make a verifier with an HTTP
// resolver send requests to hosts of their choosing (attack suite: "an
// issuer at an unknown did:web"). Such an issuer fails issuer_trusted
// anyway. did:key (holders, self-issued credentials) resolves locally.
type trustedResolver struct{ c *Checker }

func (r trustedResolver) ResolveDID(ctx context.Context, id string) (*did.Document, error) {
	if strings.HasPrefix(id, "did:web:") {
		list, err := r.c.Trust.TrustList(ctx)
		if err != nil {
			return nil, fmt.Errorf("no valid trust list to resolve %s against: %w", id, err)
		}
		if _, ok := list.Entity(id); !ok {
			return nil, fmt.Errorf("%w: %s is not on the trust list: its DID document is not fetched", did.ErrNotFound, id)
		}
	}
	return r.c.Resolver.ResolveDID(ctx, id)
}

// maxCredential bounds a credential's size: the largest Espai credential (a
// working life with decades of employment) is a few KB.
const maxCredential = 64 << 10

// Verified is what a valid credential says, beyond its claims: what the
// wallet stores and the consoles show.
type Verified struct {
	Format    credential.Format
	Type      credential.Type
	Issuer    string
	IssuedAt  time.Time
	ExpiresAt time.Time // zero: no expiry
	// StatusURI and StatusIndex locate the credential's status entry.
	StatusURI   string
	StatusIndex int
	// Holder is what the credential is bound to: the RFC 7638 thumbprint
	// (base64url, SHA-256) of cnf.jwk for SD-JWT, the subject DID for JSON-LD.
	Holder string
	Claims map[string]any
}

// VerifyCredential checks one credential, SD-JWT VC (compact) or JSON-LD. The
// verdict lists every check; it is valid only when all passed. The error is
// for failures to run at all (a cancelled context), not for invalid input.
func (c *Checker) VerifyCredential(ctx context.Context, raw []byte) (*verdict.Verdict, error) {
	v, _, err := c.Check(ctx, raw)
	return v, err
}

// Check is VerifyCredential that also returns what the credential says when
// the verdict is valid (nil otherwise).
func (c *Checker) Check(ctx context.Context, raw []byte) (*verdict.Verdict, *Verified, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		v := &verdict.Verdict{}
		v.Failf(verdict.Parse, "empty input")
		return v, nil, nil
	case len(raw) > maxCredential:
		v := &verdict.Verdict{}
		v.Failf(verdict.Parse, "credential larger than %d bytes", maxCredential)
		return v, nil, nil
	case raw[0] == '{':
		return c.verifyLD(ctx, raw)
	}
	v, cred, err := c.verifySDJWT(ctx, raw, nil)
	if err != nil || !v.Valid {
		return v, nil, err
	}
	out := &Verified{
		Format: credential.SDJWT, Type: credential.Type(v.Type), Issuer: cred.Issuer,
		IssuedAt: cred.IssuedAt, ExpiresAt: cred.Expiry, Claims: v.Claims,
		StatusURI: cred.Status.URI, StatusIndex: cred.Status.Index,
	}
	if cred.Confirmation != nil {
		tp, err := cred.Confirmation.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, nil, err
		}
		out.Holder = base64.RawURLEncoding.EncodeToString(tp)
	}
	return v, out, nil
}

func (c *Checker) verifyLD(ctx context.Context, raw []byte) (*verdict.Verdict, *Verified, error) {
	now := c.now()
	v, cred, err := c.LD.Verify(ctx, raw, jsonld.DIDKeys{Resolver: c.resolver()}, now)
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if cred == nil || err != nil {
		return v, nil, nil
	}
	v.Issuer = cred.Issuer
	t, ok := credential.TypeFromLD(cred.Type())
	if !ok {
		v.Failf(verdict.IssuerTrusted, "credential type %q is not one Espai knows", cred.Type())
		return v, nil, nil
	}
	v.Type = string(t)
	claims := v.Claims
	if !c.checkTrust(ctx, v, cred.Issuer, t) {
		failUntrustedStatus(v)
		return v, nil, nil
	}
	if cred.Status == nil {
		v.Failf(verdict.Status, "the credential has no status entry: its revocation cannot be checked")
		return v, nil, nil
	}
	st := cred.Status
	idx, err := strconv.Atoi(st.StatusListIndex)
	if err != nil || idx < 0 || st.StatusPurpose != "message" || st.StatusSize != 2 {
		v.Failf(verdict.Status, "unsupported status entry (purpose %q, size %d, index %q)", st.StatusPurpose, st.StatusSize, st.StatusListIndex)
		return v, nil, nil
	}
	c.checkStatus(ctx, v, cred.Issuer, st.StatusListCredential, idx, c.decodeBitstring)
	if !v.Valid {
		return v, nil, nil
	}
	v.Claims = claims
	return v, &Verified{
		Format: credential.JSONLD, Type: t, Issuer: cred.Issuer,
		IssuedAt: cred.IssuanceDate, ExpiresAt: cred.ExpirationDate,
		StatusURI: st.StatusListCredential, StatusIndex: idx,
		Holder: cred.SubjectID, Claims: claims,
	}, nil
}

// checkTrust records whether the trust list lets issuer issue type t, and
// reports it.
func (c *Checker) checkTrust(ctx context.Context, v *verdict.Verdict, issuer string, t credential.Type) bool {
	list, err := c.Trust.TrustList(ctx)
	if err != nil {
		v.Fail(verdict.IssuerTrusted, fmt.Errorf("no valid trust list: %w", err))
		return false
	}
	e, ok := list.Entity(issuer)
	switch {
	case !ok:
		v.Failf(verdict.IssuerTrusted, "%s is not on the trust list", issuer)
		return false
	case !list.Allows(issuer, string(t)):
		v.Failf(verdict.IssuerTrusted, "%s is on the trust list but may not issue %s credentials", e.Name, t)
		return false
	}
	v.Pass(verdict.IssuerTrusted, fmt.Sprintf("%s may issue %s credentials", e.Name, t))
	return true
}

// failUntrustedStatus records the status check of a credential whose issuer
// failed issuer_trusted. Its status list is not fetched: anyone can sign a
// credential with a did:key, so its status URI is chosen by whoever made it,
// and fetching it would let any presenter make the verifier send requests
// wherever they like (attack suite: "untrusted issuers"). Fails closed.
func failUntrustedStatus(v *verdict.Verdict) {
	v.Failf(verdict.Status, "not checked: the issuer is not trusted for this credential type, so its status list is not fetched")
}

// checkStatus looks up entry idx of the list at uri, which must be signed by
// issuer, and records the outcome.
func (c *Checker) checkStatus(ctx context.Context, v *verdict.Verdict, issuer, uri string, idx int, decode StatusDecoder) {
	list, err := c.Status.Lookup(ctx, uri, decode)
	if err != nil {
		v.Fail(verdict.Status, err)
		return
	}
	if list.Signer != issuer {
		v.Failf(verdict.Status, "the status list is signed by %s, not by the issuer %s", list.Signer, issuer)
		return
	}
	val, err := list.Get(idx)
	if err != nil {
		v.Fail(verdict.Status, err)
		return
	}
	switch val {
	case 0:
		v.Pass(verdict.Status, "not revoked, not suspended")
	case 1:
		v.Failf(verdict.Status, "revoked by the issuer")
	case 2:
		v.Failf(verdict.Status, "suspended by the issuer")
	default:
		v.Failf(verdict.Status, "unknown status value 0x%x", val)
	}
}

func parseIndex(s string) (int, error) {
	i, err := strconv.Atoi(s)
	if err == nil && i < 0 {
		err = fmt.Errorf("negative index %d", i)
	}
	return i, err
}
