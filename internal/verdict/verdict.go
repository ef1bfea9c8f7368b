// Package verdict is the shared shape of a verification result: every check a
// verifier ran, in order, with its outcome. Issuer-side credential checks, the
// JSON-LD and SD-JWT format checks and the presentation checks all report into
// one Verdict, so a citizen, a staff member and an auditor read the same list.
//
// A Verdict is valid only when at least one check ran and every check passed:
// there is no way to mark a check as skipped-but-fine.
package verdict

import (
	"encoding/json"
	"fmt"
)

// Check names. They are part of the public output (CLI JSON, API, consoles):
// add new names, never rename.
const (
	Parse          = "parse"            // the input is well-formed for its format
	Signature      = "signature"        // the issuer's signature verifies
	IssuerKey      = "issuer_key"       // the signing key is listed in the issuer's DID document for assertion
	IssuerTrusted  = "issuer_trusted"   // the trust list allows this issuer to issue this credential type
	ProofPurpose   = "proof_purpose"    // JSON-LD proof purpose is assertionMethod (credential) / authentication (presentation)
	Validity       = "validity"         // issuance/not-before/expiry window, with bounded clock skew
	Status         = "status"           // status list says valid (not revoked, not suspended)
	Disclosures    = "disclosures"      // every SD-JWT disclosure digest present exactly once
	HolderBinding  = "holder_binding"   // key-binding JWT / VP proof signed by the credential's holder key
	Audience       = "audience"         // presentation addressed to this verifier
	Nonce          = "nonce"            // nonce matches the request and was not used before
	Freshness      = "freshness"        // presentation issued recently
	SDHash         = "sd_hash"          // key-binding JWT covers exactly the presented SD-JWT
	RequestedClaim = "requested_claims" // every requested claim present, nothing else disclosed
)

// Check is the outcome of one verification step.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Verdict lists every check that ran. Claims holds the verified (disclosed)
// claims, present only when the verdict is valid.
type Verdict struct {
	Valid  bool           `json:"valid"`
	Format string         `json:"format"`
	Type   string         `json:"type,omitempty"`
	Issuer string         `json:"issuer,omitempty"`
	Checks []Check        `json:"checks"`
	Claims map[string]any `json:"claims,omitempty"`
}

// Pass records a passed check.
func (v *Verdict) Pass(name, detail string) { v.add(name, true, detail) }

// Fail records a failed check.
func (v *Verdict) Fail(name string, err error) {
	d := ""
	if err != nil {
		d = err.Error()
	}
	v.add(name, false, d)
}

// Failf records a failed check with a formatted detail.
func (v *Verdict) Failf(name, format string, a ...any) { v.add(name, false, fmt.Sprintf(format, a...)) }

func (v *Verdict) add(name string, ok bool, detail string) {
	v.Checks = append(v.Checks, Check{Name: name, OK: ok, Detail: detail})
	v.Valid = v.allOK()
	if !v.Valid {
		v.Claims = nil
	}
}

func (v *Verdict) allOK() bool {
	if len(v.Checks) == 0 {
		return false
	}
	for _, c := range v.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// FirstFailure returns the first failed check, or nil when all passed.
func (v *Verdict) FirstFailure() *Check {
	for i := range v.Checks {
		if !v.Checks[i].OK {
			return &v.Checks[i]
		}
	}
	return nil
}

// Passed reports whether a check with this name ran and passed.
func (v *Verdict) Passed(name string) bool {
	found := false
	for _, c := range v.Checks {
		if c.Name == name {
			if !c.OK {
				return false
			}
			found = true
		}
	}
	return found
}

// MarshalJSON recomputes Valid so a hand-built Verdict can never claim validity
// its checks do not support.
func (v Verdict) MarshalJSON() ([]byte, error) {
	type plain Verdict
	p := plain(v)
	p.Valid = v.allOK()
	if p.Checks == nil {
		p.Checks = []Check{}
	}
	return json.Marshal(p)
}
