package issuer

import (
	"context"
	"fmt"
	"strconv"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/jsonld"
)

// statusMessages are the values of Espai's 2-bit status entries, the same in
// both formats (the IETF Token Status List's VALID, INVALID, SUSPENDED).
var statusMessages = []jsonld.StatusMessage{
	{Status: "0x0", Message: "valid"},
	{Status: "0x1", Message: "revoked"},
	{Status: "0x2", Message: "suspended"},
}

func (s *Service) signJSONLD(ctx context.Context, rec *Record, sub *subject, h *Holder) (string, error) {
	if h == nil || h.DID == "" {
		return "", fmt.Errorf("%w: a JSON-LD credential names its holder's DID; the citizen has no wallet (enrol first)", ErrNoHolder)
	}
	sk, err := s.signer(ctx, rec.Admin, algEd25519)
	if err != nil {
		return "", err
	}
	c := jsonld.Credential{
		ID:             rec.ID,
		Types:          []string{jsonld.TypeVerifiableCredential, rec.Type.LDType()},
		Issuer:         sk.issuer,
		IssuanceDate:   rec.IssuedAt,
		ExpirationDate: rec.ExpiresAt,
		SubjectID:      h.DID,
		Claims:         sub.claims,
		Status: &jsonld.StatusEntry{
			ID:                   s.statusURI(rec.Admin, rec.List, credential.JSONLD) + "#" + strconv.Itoa(rec.Index),
			Type:                 jsonld.TypeStatusEntry,
			StatusPurpose:        "message",
			StatusListIndex:      strconv.Itoa(rec.Index),
			StatusListCredential: s.statusURI(rec.Admin, rec.List, credential.JSONLD),
			StatusSize:           2,
			StatusMessage:        statusMessages,
		},
	}
	out, err := s.ld.Issue(ctx, c, jsonld.Signer{MethodID: sk.kid, Key: sk.ed})
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// statusURI is where the status list of a credential is published: the Token
// Status List JWT for SD-JWT VCs, the Bitstring Status List credential for
// JSON-LD.
func (s *Service) statusURI(admin string, list int, f credential.Format) string {
	u := s.cfg.PublicBase + "/status/" + admin + "/" + strconv.Itoa(list)
	if f == credential.JSONLD {
		u += "/ld"
	}
	return u
}

// StatusURI is where the status of rec is published.
func (s *Service) StatusURI(rec *Record) string { return s.statusURI(rec.Admin, rec.List, rec.Format) }
