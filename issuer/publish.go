package issuer

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/jsonld"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/statuslist"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

// publishedLifetime is how long a published status list stays valid (its exp
// or expirationDate). Verifiers refetch after the list's TTL anyway; the
// lifetime only bounds how long a stale copy can be replayed.
const publishedLifetime = 24 * time.Hour

// published caches signed status lists per list version, so a busy verifier
// does not make the issuer sign on every fetch.
type published struct {
	mu    sync.Mutex
	items map[string]publishedList
}

type publishedList struct {
	version uint64
	signed  time.Time
	body    []byte
}

func (p *published) get(key string, version uint64, now time.Time, ttl time.Duration) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	it, ok := p.items[key]
	if !ok || it.version != version || now.Sub(it.signed) >= ttl {
		return nil, false
	}
	return it.body, true
}

func (p *published) put(key string, version uint64, now time.Time, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.items == nil {
		p.items = map[string]publishedList{}
	}
	p.items[key] = publishedList{version: version, signed: now, body: body}
}

// StatusListToken returns list no of admin as a signed Token Status List JWT
// (typ statuslist+jwt, draft-ietf-oauth-status-list): the status of every
// SD-JWT VC that points at it. Tokens are re-signed when the list changes or
// after the TTL.
func (s *Service) StatusListToken(ctx context.Context, admin string, no int) (string, error) {
	l, err := s.listSnapshot(admin, no)
	if err != nil {
		return "", err
	}
	now := s.now().UTC().Truncate(time.Second)
	key := admin + "/" + strconv.Itoa(no) + "/jwt"
	if b, ok := s.pub.get(key, l.Version, now, s.cfg.StatusListTTL); ok {
		return string(b), nil
	}
	list, err := statuslist.ListFromBytes(l.Values, 2)
	if err != nil {
		return "", err
	}
	sk, err := s.signer(ctx, admin, algES256)
	if err != nil {
		return "", err
	}
	tok, err := statuslist.SignToken(sdjwt.Signer{Key: sk.jwk, Alg: jwa.ES256, KeyID: sk.kid, Raw: sk.raw}, statuslist.Token{
		Issuer:   sk.issuer,
		URI:      s.statusURI(admin, no, credential.SDJWT),
		IssuedAt: now,
		Expiry:   now.Add(publishedLifetime),
		TTL:      s.cfg.StatusListTTL,
		List:     list,
	})
	if err != nil {
		return "", fmt.Errorf("sign status list %s/%d: %w", admin, no, err)
	}
	s.pub.put(key, l.Version, now, []byte(tok))
	return tok, nil
}

// BitstringStatusCredential returns list no of admin as a signed W3C
// BitstringStatusListCredential (statusPurpose "message", 2-bit entries with
// the same values as the token list), the status of every JSON-LD VC that
// points at it.
func (s *Service) BitstringStatusCredential(ctx context.Context, admin string, no int) ([]byte, error) {
	l, err := s.listSnapshot(admin, no)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	key := admin + "/" + strconv.Itoa(no) + "/ld"
	if b, ok := s.pub.get(key, l.Version, now, s.cfg.StatusListTTL); ok {
		return b, nil
	}
	bs, err := statuslist.NewBitstring(ListSize, 2)
	if err != nil {
		return nil, err
	}
	for i := range ListSize {
		if v := l.get(i); v != StatusValid {
			if err := bs.Set(i, v); err != nil {
				return nil, err
			}
		}
	}
	uri := s.statusURI(admin, no, credential.JSONLD)
	subj, err := statuslist.NewSubject(uri+"#list", statuslist.Message, bs)
	if err != nil {
		return nil, err
	}
	sk, err := s.signer(ctx, admin, algEd25519)
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(map[string]any{
		"@context":          []string{jsonld.ContextCredentialsV1, jsonld.ContextEd25519Signature2020, jsonld.ContextEspaiV1},
		"id":                uri,
		"type":              []string{jsonld.TypeVerifiableCredential, "BitstringStatusListCredential"},
		"issuer":            sk.issuer,
		"issuanceDate":      now.Format(time.RFC3339),
		"expirationDate":    now.Add(publishedLifetime).Format(time.RFC3339),
		"credentialSubject": subj,
	})
	if err != nil {
		return nil, err
	}
	signed, err := s.ld.Sign(ctx, doc, jsonld.Signer{MethodID: sk.kid, Key: sk.ed}, jsonld.ProofOptions{Purpose: jsonld.PurposeAssertion, Created: now})
	if err != nil {
		return nil, fmt.Errorf("sign bitstring status list %s/%d: %w", admin, no, err)
	}
	s.pub.put(key, l.Version, now, signed)
	return signed, nil
}
