// Package credential names what Espai issues and verifies: the credential
// types (one per Via Oberta register) and the two formats, with their
// identifiers in each standard (SD-JWT VC vct, JSON-LD type) and the names
// citizens read. Issuer, verifier, wallet and web share these so a type is
// spelled the same everywhere.
package credential

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrUnknownType means the credential type is not one Espai issues: a
	// usage error (CLI exit 2, HTTP 400).
	ErrUnknownType = errors.New("unknown credential type")
	// ErrUnknownFormat means the format is neither sd-jwt nor jsonld: a usage error.
	ErrUnknownFormat = errors.New("unknown credential format")
)

// Type is a credential type Espai issues.
type Type string

// Credential types, one per Via Oberta register.
const (
	Census   Type = "census"   // certificat d'empadronament (padró municipal)
	Tax      Type = "tax"      // certificat d'estar al corrent de les obligacions tributàries
	Degree   Type = "degree"   // títol universitari
	WorkLife Type = "worklife" // informe de vida laboral
)

// Types lists every credential type in display order.
var Types = []Type{Census, Tax, Degree, WorkLife}

// ParseType validates a type name.
func ParseType(s string) (Type, error) {
	for _, t := range Types {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("%w %q (want census, tax, degree or worklife)", ErrUnknownType, s)
}

// VCT is the SD-JWT VC type identifier of t.
func (t Type) VCT() string { return "urn:espai:credential:" + string(t) + ":1" }

// LDType is the JSON-LD credential type name of t (defined in Espai's context).
func (t Type) LDType() string {
	switch t {
	case Census:
		return "CensusCredential"
	case Tax:
		return "TaxComplianceCredential"
	case Degree:
		return "UniversityDegreeCredential"
	case WorkLife:
		return "WorkLifeCredential"
	}
	return ""
}

// TypeFromVCT maps an SD-JWT VC vct back to its type.
func TypeFromVCT(vct string) (Type, bool) {
	for _, t := range Types {
		if t.VCT() == vct {
			return t, true
		}
	}
	return "", false
}

// TypeFromLD maps a JSON-LD credential type name back to its type.
func TypeFromLD(name string) (Type, bool) {
	for _, t := range Types {
		if t.LDType() == name {
			return t, true
		}
	}
	return "", false
}

// Title is the Catalan name of the credential shown to citizens.
func (t Type) Title() string {
	switch t {
	case Census:
		return "Certificat d'empadronament"
	case Tax:
		return "Certificat d'estar al corrent de les obligacions tributàries"
	case Degree:
		return "Títol universitari"
	case WorkLife:
		return "Informe de vida laboral"
	}
	return string(t)
}

// DefaultLifetime is how long a credential of type t stays valid when the
// register does not say: a padró certificate is accepted for three months by
// most procedures, a working-life report is a snapshot valid for one month, a
// degree does not expire (zero). Tax compliance validity comes from the register.
func (t Type) DefaultLifetime() time.Duration {
	switch t {
	case Census:
		return 90 * 24 * time.Hour
	case WorkLife:
		return 30 * 24 * time.Hour
	case Tax:
		return 180 * 24 * time.Hour
	}
	return 0
}

// Format is a credential encoding.
type Format string

// Formats.
const (
	SDJWT  Format = "sd-jwt"
	JSONLD Format = "jsonld"
)

// ParseFormat validates a format name.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case SDJWT, JSONLD:
		return Format(s), nil
	}
	return "", fmt.Errorf("%w %q (want sd-jwt or jsonld)", ErrUnknownFormat, s)
}
