package verifier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/jsonld"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/verdict"
	bolt "go.etcd.io/bbolt"
)

// PresentationRequest is what a verifier expects of a presentation.
type PresentationRequest struct {
	// Audience is the verifier's identifier: the KB-JWT aud, the VP domain. Required.
	Audience string
	// Nonce is the verifier's single-use nonce: the KB-JWT nonce, the VP challenge. Required.
	Nonce string
	// MaxAge bounds the age of the holder's proof. Zero: 5 minutes.
	MaxAge time.Duration
	// Type, when set, is the credential type asked for.
	Type credential.Type
	// Claims are the claims asked for. Every one must be disclosed, and an
	// SD-JWT presentation must disclose nothing else. Empty: any claims.
	Claims []string
}

// maxPresentation bounds a presentation's size.
const maxPresentation = 256 << 10

// VerifyPresentation checks a presentation: an SD-JWT VC with a key-binding
// JWT, or a JSON-LD VP with an authentication proof. It runs the credential
// checks (issuer signature and key, trust, validity, status) and the
// presentation checks (holder binding, audience, nonce, freshness, sd_hash,
// disclosures, requested claims). Single use of the nonce is not checked
// here: Service.VerifyPresentation and the request flow add it.
func (c *Checker) VerifyPresentation(ctx context.Context, raw []byte, req PresentationRequest) (*verdict.Verdict, error) {
	raw = bytes.TrimSpace(raw)
	v := &verdict.Verdict{}
	switch {
	case len(raw) == 0:
		v.Failf(verdict.Parse, "empty input")
		return v, nil
	case len(raw) > maxPresentation:
		v.Failf(verdict.Parse, "presentation larger than %d bytes", maxPresentation)
		return v, nil
	case req.Audience == "" || req.Nonce == "":
		v.Failf(verdict.Nonce, "a presentation is verified against an audience and a nonce; none given")
		return v, nil
	}
	if raw[0] == '{' {
		return c.verifyLDPresentation(ctx, raw, req)
	}
	v, cred, err := c.verifySDJWT(ctx, raw, &sdjwt.PresentationRequest{Audience: req.Audience, Nonce: req.Nonce, MaxAge: req.MaxAge})
	if err != nil || cred == nil {
		return v, err
	}
	claims := v.Claims
	checkType(v, req.Type)
	var disclosed []string
	for _, d := range cred.Disclosed {
		name, _, _ := strings.Cut(d, ".")
		name, _, _ = strings.Cut(name, "[")
		if !slices.Contains(disclosed, name) {
			disclosed = append(disclosed, name)
		}
	}
	checkRequested(v, req.Claims, disclosed, true)
	if v.Valid {
		v.Claims = claims
	}
	return v, nil
}

func (c *Checker) verifyLDPresentation(ctx context.Context, raw []byte, req PresentationRequest) (*verdict.Verdict, error) {
	maxAge := req.MaxAge
	v, pres, _ := c.LD.VerifyPresentation(ctx, raw, jsonld.DIDKeys{Resolver: c.resolver()},
		jsonld.PresentationRequest{Challenge: req.Nonce, Domain: req.Audience, MaxAge: maxAge}, c.now())
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if pres == nil {
		return v, nil
	}
	claims := v.Claims
	if len(pres.Credentials) != 1 {
		v.Failf(verdict.RequestedClaim, "the presentation holds %d credentials; Espai requests ask for one", len(pres.Credentials))
		return v, nil
	}
	cred := pres.Credentials[0]
	t, ok := credential.TypeFromLD(cred.Type())
	if !ok {
		v.Failf(verdict.IssuerTrusted, "credential type %q is not one Espai knows", cred.Type())
		return v, nil
	}
	v.Type, v.Issuer = string(t), cred.Issuer
	trusted := c.checkTrust(ctx, v, cred.Issuer, t)
	st := cred.Status
	if !trusted {
		failUntrustedStatus(v)
	} else if st == nil {
		v.Failf(verdict.Status, "the credential has no status entry: its revocation cannot be checked")
	} else if idx, err := parseIndex(st.StatusListIndex); err != nil || st.StatusPurpose != "message" || st.StatusSize != 2 {
		v.Failf(verdict.Status, "unsupported status entry (purpose %q, size %d, index %q)", st.StatusPurpose, st.StatusSize, st.StatusListIndex)
	} else {
		c.checkStatus(ctx, v, cred.Issuer, st.StatusListCredential, idx, c.decodeBitstring)
	}
	checkType(v, req.Type)
	names := make([]string, 0, len(cred.Claims))
	for k := range cred.Claims {
		names = append(names, k)
	}
	// A JSON-LD credential cannot be disclosed selectively: the holder shows
	// all of it, which the citizen's wallet tells them before they agree.
	checkRequested(v, req.Claims, names, false)
	if v.Valid {
		v.Claims = claims
	}
	return v, nil
}

func checkType(v *verdict.Verdict, want credential.Type) {
	if want == "" {
		return
	}
	if v.Type != string(want) {
		v.Failf(verdict.RequestedClaim, "a %s credential was presented, %s was requested", v.Type, want)
	}
}

// checkRequested records whether every requested claim was disclosed and,
// when exact, that nothing else was.
func checkRequested(v *verdict.Verdict, requested, disclosed []string, exact bool) {
	if len(requested) == 0 {
		v.Pass(verdict.RequestedClaim, "no particular claims requested; disclosed: "+strings.Join(sorted(disclosed), ", "))
		return
	}
	var missing, extra []string
	for _, r := range requested {
		if !slices.Contains(disclosed, r) {
			missing = append(missing, r)
		}
	}
	for _, d := range disclosed {
		if !slices.Contains(requested, d) {
			extra = append(extra, d)
		}
	}
	switch {
	case len(missing) > 0:
		v.Failf(verdict.RequestedClaim, "requested claims not disclosed: %s", strings.Join(sorted(missing), ", "))
	case exact && len(extra) > 0:
		v.Failf(verdict.RequestedClaim, "claims disclosed beyond the request: %s", strings.Join(sorted(extra), ", "))
	case len(extra) > 0:
		v.Pass(verdict.RequestedClaim, fmt.Sprintf("all %d requested claims present (JSON-LD shows the whole credential)", len(requested)))
	default:
		v.Pass(verdict.RequestedClaim, fmt.Sprintf("exactly the %d requested claims", len(requested)))
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// VerifyPresentation verifies a presentation with the deployment's checker
// and then spends its nonce: a nonce (and the presentation itself) is
// accepted once, so a replayed presentation fails the nonce check. Only a
// presentation that passed every other check spends the nonce.
func (s *Service) VerifyPresentation(ctx context.Context, raw []byte, req PresentationRequest) (*verdict.Verdict, error) {
	v, err := s.checker.VerifyPresentation(ctx, raw, req)
	if err != nil || !v.Valid {
		return v, err
	}
	if err := s.spend(req.Audience, req.Nonce, raw, req.MaxAge); err != nil {
		v.Fail(verdict.Nonce, err)
	}
	return v, nil
}

// spend marks the nonce and the presentation used until they could no longer
// pass the freshness check anyway.
//
// A nonce is spent for its audience only. Citizen-initiated (QR)
// presentations carry a nonce their wallet chose; were nonces one namespace,
// a QR presentation carrying a pending request's nonce (request objects are
// public), verified by any scanner, would spend that request's nonce and
// void the citizen's honest answer (attack suite: "a QR scan cannot spend a
// pending request's nonce").
func (s *Service) spend(audience, nonce string, raw []byte, maxAge time.Duration) error {
	if maxAge <= 0 {
		maxAge = s.cfg.Freshness
	}
	now := s.now()
	sum := sha256.Sum256(bytes.TrimSpace(raw))
	expiry := now.Add(maxAge + 2*jsonld.DefaultSkew)
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := markSeen(tx, "nonce:"+audience+"\x00"+nonce, expiry, now); err != nil {
			return fmt.Errorf("%w: nonce already used", err)
		}
		if err := markSeen(tx, "vp:"+hex.EncodeToString(sum[:]), expiry, now); err != nil {
			return fmt.Errorf("%w: this presentation was already accepted", err)
		}
		return nil
	})
	return err
}
