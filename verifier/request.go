package verifier

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// RequestTyp is the JWS typ of a signed request object (OpenID4VP / RFC 9101).
const RequestTyp = "oauth-authz-req+jwt"

// ClientIDPrefix is OpenID4VP 1.0's client identifier prefix for a verifier
// identified by a DID: the request object is signed by a key in its document.
const ClientIDPrefix = "decentralized_identifier:"

// Credential formats as OpenID4VP names them.
const (
	FormatSDJWT   = "dc+sd-jwt"
	FormatLDPVC   = "ldp_vc"
	maxRequestTTL = 15 * time.Minute
)

// DCQL is the Digital Credentials Query Language query of a request
// (OpenID4VP 1.0 section 6), restricted to what Espai verifiers ask: one
// credential with a list of top-level claims.
type DCQL struct {
	Credentials []DCQLCredential `json:"credentials"`
}

// DCQLCredential asks for one credential.
type DCQLCredential struct {
	ID     string      `json:"id"`
	Format string      `json:"format"`
	Meta   DCQLMeta    `json:"meta"`
	Claims []DCQLClaim `json:"claims"`
}

// DCQLMeta restricts the credential type.
type DCQLMeta struct {
	VCTValues  []string   `json:"vct_values,omitempty"`
	TypeValues [][]string `json:"type_values,omitempty"`
}

// DCQLClaim asks for one claim by path.
type DCQLClaim struct {
	Path []string `json:"path"`
}

// PurposeInfo is Espai's extension to the request: why the data is asked for.
// It must match the verifier's registration on the trust list.
type PurposeInfo struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	LegalBasis    string `json:"legal_basis"`
	RetentionDays int    `json:"retention_days"`
}

// RequestObject is the signed OpenID4VP authorization request.
type RequestObject struct {
	ClientID     string      `json:"client_id"`
	ResponseType string      `json:"response_type"`
	ResponseMode string      `json:"response_mode"`
	ResponseURI  string      `json:"response_uri"`
	Nonce        string      `json:"nonce"`
	State        string      `json:"state"`
	DCQL         DCQL        `json:"dcql_query"`
	Purpose      PurposeInfo `json:"espai_purpose"`
	IssuedAt     int64       `json:"iat"`
	Expires      int64       `json:"exp"`
	Audience     string      `json:"aud,omitempty"`
}

var claimNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// Validate checks the shape of a request object (not its signature).
func (r *RequestObject) Validate(now time.Time) error {
	switch {
	case r == nil:
		return errors.New("request: nil")
	case len(r.ClientID) <= len(ClientIDPrefix) || r.ClientID[:len(ClientIDPrefix)] != ClientIDPrefix:
		return fmt.Errorf("%w: client_id %q must be %s<did>", ErrBadRequest, r.ClientID, ClientIDPrefix)
	case r.ResponseType != "vp_token" || r.ResponseMode != "direct_post":
		return fmt.Errorf("%w: want response_type vp_token and response_mode direct_post", ErrBadRequest)
	case len(r.Nonce) < 22:
		return fmt.Errorf("%w: nonce shorter than 128 bits", ErrBadRequest)
	case r.State == "":
		return fmt.Errorf("%w: state is required", ErrBadRequest)
	case len(r.DCQL.Credentials) != 1:
		return fmt.Errorf("%w: Espai requests ask for exactly one credential", ErrBadRequest)
	case r.Purpose.ID == "" || r.Purpose.LegalBasis == "":
		return fmt.Errorf("%w: purpose and legal basis are required", ErrBadRequest)
	case r.Expires <= r.IssuedAt || time.Duration(r.Expires-r.IssuedAt)*time.Second > maxRequestTTL:
		return fmt.Errorf("%w: lifetime must be positive and at most %s", ErrBadRequest, maxRequestTTL)
	case now.Unix() >= r.Expires:
		return fmt.Errorf("%w: request expired", ErrExpired)
	}
	u, err := url.Parse(r.ResponseURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%w: response_uri %q", ErrBadRequest, r.ResponseURI)
	}
	c := r.DCQL.Credentials[0]
	if c.Format != FormatSDJWT && c.Format != FormatLDPVC {
		return fmt.Errorf("%w: format %q", ErrBadRequest, c.Format)
	}
	if len(c.Claims) == 0 {
		return fmt.Errorf("%w: no claims requested", ErrBadRequest)
	}
	var seen []string
	for _, cl := range c.Claims {
		if len(cl.Path) != 1 || !claimNameRE.MatchString(cl.Path[0]) || slices.Contains(seen, cl.Path[0]) {
			return fmt.Errorf("%w: claim path %v", ErrBadRequest, cl.Path)
		}
		seen = append(seen, cl.Path[0])
	}
	return nil
}

// VerifierDID is the DID in client_id.
func (r *RequestObject) VerifierDID() string { return r.ClientID[len(ClientIDPrefix):] }

// ClaimNames lists the requested claim names.
func (r *RequestObject) ClaimNames() []string {
	var out []string
	for _, c := range r.DCQL.Credentials[0].Claims {
		out = append(out, c.Path[0])
	}
	return out
}

// QRURI is the openid4vp:// URI a verifier screen shows as a QR code: it
// carries only the client id and where to fetch the signed request (by
// reference, so the QR stays small).
func QRURI(clientID, requestURI string) string {
	v := url.Values{}
	v.Set("client_id", clientID)
	v.Set("request_uri", requestURI)
	return "openid4vp://?" + v.Encode()
}

// WalletLink is the same request as an https link to a web wallet's
// request page (walletBase + "/requests", Espai's citizen space): what the
// QR code on a clerk's screen holds, so a phone's camera opens it in the
// citizen's space without an app. OpenID4VP lets a wallet be invoked at an
// https address; wallets that register openid4vp:// use QRURI.
func WalletLink(walletBase, clientID, requestURI string) string {
	v := url.Values{}
	v.Set("client_id", clientID)
	v.Set("request_uri", requestURI)
	return walletBase + "/requests?" + v.Encode()
}

// ParseQRURI extracts client_id and request_uri from an openid4vp:// URI or
// a WalletLink.
func ParseQRURI(s string) (clientID, requestURI string, err error) {
	if len(s) > 2048 {
		return "", "", fmt.Errorf("%w: request URI longer than 2048 bytes", ErrBadRequest)
	}
	u, err := url.Parse(s)
	link := err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && strings.HasSuffix(u.Path, "/requests")
	if err != nil || (u.Scheme != "openid4vp" && !link) {
		return "", "", fmt.Errorf("%w: not an openid4vp:// URI or a wallet request link", ErrBadRequest)
	}
	q := u.Query()
	clientID, requestURI = q.Get("client_id"), q.Get("request_uri")
	ru, err := url.Parse(requestURI)
	if clientID == "" || err != nil || (ru.Scheme != "https" && ru.Scheme != "http") || ru.Host == "" {
		return "", "", fmt.Errorf("%w: client_id and an http(s) request_uri are required", ErrBadRequest)
	}
	return clientID, requestURI, nil
}

// newNonce returns 256 random bits, base64url: unguessable and never reused.
func newNonce() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
