package verifier

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/jsonld"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/statuslist"
	"github.com/espai/espai/internal/verdict"
)

// issuerKeys resolves an SD-JWT issuer's key through DID resolution: the kid
// must be a DID URL of the iss DID, and the DID document must list that
// method for assertionMethod.
func (c *Checker) issuerKeys() sdjwt.IssuerKeys {
	return sdjwt.IssuerKeysFunc(func(ctx context.Context, iss, kid string) (sdjwt.IssuerKey, error) {
		d, _, err := did.SplitURL(kid)
		if err != nil {
			return sdjwt.IssuerKey{}, fmt.Errorf("kid %q is not a DID URL: %w", kid, err)
		}
		if d != iss {
			return sdjwt.IssuerKey{}, fmt.Errorf("kid %s does not belong to issuer %s", kid, iss)
		}
		doc, err := c.resolver().ResolveDID(ctx, iss)
		if err != nil {
			return sdjwt.IssuerKey{}, err
		}
		pub, err := doc.Key(kid, did.AssertionMethod)
		if err != nil {
			return sdjwt.IssuerKey{}, err
		}
		return sdjwt.IssuerKey{Key: pub}, nil
	})
}

// verifySDJWT verifies an issued SD-JWT VC (req nil) or an SD-JWT VC
// presentation with key binding (req set), then the checks the format
// package leaves to the caller: trust in the issuer for the type, and status.
func (c *Checker) verifySDJWT(ctx context.Context, raw []byte, req *sdjwt.PresentationRequest) (*verdict.Verdict, *sdjwt.Credential, error) {
	var (
		v    *verdict.Verdict
		cred *sdjwt.Credential
		err  error
	)
	if req == nil {
		v, cred, err = sdjwt.Verify(ctx, string(raw), c.issuerKeys(), c.now())
	} else {
		v, cred, err = sdjwt.VerifyPresentation(ctx, string(raw), c.issuerKeys(), *req, c.now())
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if v == nil {
		v = &verdict.Verdict{}
		v.Fail(verdict.Parse, err)
	}
	v.Format = string(credential.SDJWT)
	if cred == nil || err != nil {
		return v, nil, nil
	}
	v.Issuer = cred.Issuer
	claims := v.Claims
	t, ok := credential.TypeFromVCT(cred.VCT)
	if !ok {
		v.Failf(verdict.IssuerTrusted, "credential type %q is not one Espai knows", cred.VCT)
		return v, cred, nil
	}
	v.Type = string(t)
	if !c.checkTrust(ctx, v, cred.Issuer, t) {
		failUntrustedStatus(v)
		return v, cred, nil
	}
	if cred.Status == nil {
		v.Failf(verdict.Status, "the credential has no status_list reference: its revocation cannot be checked")
		return v, cred, nil
	}
	c.checkStatus(ctx, v, cred.Issuer, cred.Status.URI, cred.Status.Index, c.decodeToken)
	if v.Valid {
		v.Claims = claims
	}
	return v, cred, nil
}

// decodeToken verifies a Token Status List JWT; its signer is its iss, whose
// key is resolved like a credential issuer's.
func (c *Checker) decodeToken(ctx context.Context, uri string, raw []byte) (*StatusList, error) {
	tok, err := statuslist.VerifyToken(ctx, string(raw), uri, c.issuerKeys(), c.now(), 0)
	if err != nil {
		return nil, err
	}
	if tok.List.Bits() != 2 {
		return nil, fmt.Errorf("status list of %d-bit entries, want 2", tok.List.Bits())
	}
	return &StatusList{
		Signer: tok.Issuer,
		TTL:    tok.TTL,
		Get: func(idx int) (byte, error) {
			s, err := tok.List.Get(idx)
			return byte(s), err
		},
	}, nil
}

// decodeBitstring verifies a BitstringStatusListCredential: one assertion
// proof by a key of its issuer, the list's own id and validity, purpose
// "message" with 2-bit entries.
func (c *Checker) decodeBitstring(ctx context.Context, uri string, raw []byte) (*StatusList, error) {
	pr, err := c.LD.VerifyProof(ctx, raw, jsonld.DIDKeys{Resolver: c.resolver()}, jsonld.PurposeAssertion)
	if err != nil {
		return nil, err
	}
	var doc struct {
		ID                string             `json:"id"`
		Type              []string           `json:"type"`
		Issuer            string             `json:"issuer"`
		IssuanceDate      time.Time          `json:"issuanceDate"`
		ExpirationDate    *time.Time         `json:"expirationDate"`
		CredentialSubject statuslist.Subject `json:"credentialSubject"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("status list credential: %w", err)
	}
	now := c.now()
	switch {
	case doc.ID != uri:
		return nil, fmt.Errorf("status list credential id %q, fetched from %q", doc.ID, uri)
	case len(doc.Type) != 2 || doc.Type[0] != jsonld.TypeVerifiableCredential || doc.Type[1] != "BitstringStatusListCredential":
		return nil, fmt.Errorf("status list credential has type %v", doc.Type)
	case pr.Controller() != doc.Issuer:
		return nil, fmt.Errorf("status list proof key %s does not belong to its issuer %s", pr.VerificationMethod, doc.Issuer)
	case doc.IssuanceDate.After(now.Add(jsonld.DefaultSkew)):
		return nil, fmt.Errorf("status list issued in the future (%s)", doc.IssuanceDate)
	case doc.ExpirationDate != nil && doc.ExpirationDate.Before(now.Add(-jsonld.DefaultSkew)):
		return nil, fmt.Errorf("status list expired at %s", doc.ExpirationDate)
	}
	bs, err := doc.CredentialSubject.Decode(statuslist.Message, 2, 0)
	if err != nil {
		return nil, err
	}
	var ttl time.Duration
	if doc.CredentialSubject.TTL > 0 {
		ttl = time.Duration(doc.CredentialSubject.TTL) * time.Millisecond
	}
	return &StatusList{Signer: doc.Issuer, TTL: ttl, Get: bs.Get}, nil
}
