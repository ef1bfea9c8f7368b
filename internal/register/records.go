package register

import "strings"

// Source names one register. Its value is also the credential type issued
// from it (internal/credential), and File is its file name.
type Source string

// The four Via Oberta registers Espai issues from.
const (
	SourceCensus   Source = "census"   // padró municipal, kept by each Ajuntament
	SourceTax      Source = "tax"      // Agència Tributària de Catalunya
	SourceDegree   Source = "degree"   // university degrees (the universities' registers)
	SourceWorkLife Source = "worklife" // Tresoreria General de la Seguretat Social
)

// Sources lists every register in a fixed order.
var Sources = []Source{SourceCensus, SourceTax, SourceDegree, SourceWorkLife}

// File is the name of the source's file in a register directory.
func (s Source) File() string {
	switch s {
	case SourceCensus:
		return "census.json"
	case SourceTax:
		return "tax.json"
	case SourceDegree:
		return "degrees.json"
	case SourceWorkLife:
		return "worklife.json"
	}
	return string(s) + ".json"
}

// Census is a citizen's entry in the padró municipal: who they are and
// where they live, with the people registered at the same address.
type Census struct {
	ID               string `json:"nationalId"` // DNI or NIE, canonical (NormalizeID)
	GivenName        string `json:"givenName"`
	FamilyName       string `json:"familyName"`                 // first surname
	SecondFamilyName string `json:"secondFamilyName,omitempty"` // second surname; many foreign nationals have none
	BirthDate        Date   `json:"birthDate"`

	Address          string `json:"address"`          // street line: "Carrer de la Força 12, 2n 1a"
	PostalCode       string `json:"postalCode"`       // 5 digits, prefix of the province (08, 17, 25, 43)
	Municipality     string `json:"municipality"`     // official name: "Sant Cugat del Vallès"
	MunicipalitySlug string `json:"municipalitySlug"` // "sant-cugat-del-valles": its Ajuntament issues as "ajuntament-<slug>"
	Province         string `json:"province"`         // Barcelona, Girona, Lleida or Tarragona
	RegistrationDate Date   `json:"registrationDate"` // registered at this address since

	Household      []HouseholdMember   `json:"household,omitempty"`      // other people registered at the address
	SocialServices *SocialServicesCase `json:"socialServices,omitempty"` // nil: no open case
}

// FullName is "given first-surname second-surname".
func (c *Census) FullName() string {
	return strings.Join(strings.Fields(c.GivenName+" "+c.FamilyName+" "+c.SecondFamilyName), " ")
}

// HouseholdMember is another person registered at the same address.
type HouseholdMember struct {
	Name         string `json:"name"`         // full name
	ID           string `json:"id,omitempty"` // their DNI/NIE when they have one (minors often do not)
	Relationship string `json:"relationship"` // to the citizen, in Catalan: "cònjuge", "parella", "fill", "filla", "mare", ...
	BirthYear    int    `json:"birthYear"`
}

// SocialServicesCase marks a household followed by the municipal social
// services (serveis socials bàsics). Its presence is special-category data
// in spirit: issue it only into the citizen's own wallet.
type SocialServicesCase struct {
	Since     Date   `json:"since"`
	Programme string `json:"programme"` // "Servei d'Atenció a la Família", "Renda garantida de ciutadania", ...
}

// TaxCompliance is the Agència Tributària de Catalunya's answer to "is this
// person up to date with their tax obligations?", valid for a limited time.
type TaxCompliance struct {
	ID          string   `json:"nationalId"`
	UpToDate    bool     `json:"upToDate"`
	Obligations []string `json:"obligationsChecked"` // "IRPF 2025", "Impost sobre successions i donacions", ...
	CheckDate   Date     `json:"checkDate"`
	ValidUntil  Date     `json:"validUntil"`                // the certificate is worthless after this day
	Debt        string   `json:"debtDescription,omitempty"` // required when !UpToDate, empty otherwise
}

// Degrees are every university degree awarded to one citizen.
type Degrees struct {
	ID      string   `json:"nationalId"`
	Degrees []Degree `json:"degrees"`
}

// Degree is one official university degree.
type Degree struct {
	Title          string  `json:"degreeTitle"`    // "Grau en Infermeria", "Màster Universitari en ..."
	University     string  `json:"university"`     // official name: "Universitat de Girona"
	UniversitySlug string  `json:"universitySlug"` // "udg": the university issues as this administration
	AwardDate      Date    `json:"awardDate"`
	ECTS           int     `json:"ects"`  // 30..360
	Grade          float64 `json:"grade"` // average mark, 5.00..10.00, at most 2 decimals
}

// Regime is a Social Security regime.
type Regime string

// Regimes of the Seguretat Social that appear in a working life.
const (
	RegimeGeneral      Regime = "general" // Règim General: employees
	RegimeSelfEmployed Regime = "autonom" // RETA: self-employed (autònoms)
)

// WorkLife is a citizen's working-life report (informe de vida laboral).
type WorkLife struct {
	ID         string       `json:"nationalId"`
	ReportDate Date         `json:"reportDate"`           // the day the report was drawn up; open periods count up to it
	Periods    []Employment `json:"employment,omitempty"` // none: never registered
	TotalDays  int          `json:"totalDaysContributed"` // must equal the sum of the periods' days
}

// Employment is one period of registration with the Social Security.
type Employment struct {
	Employer      string `json:"employer"`                // company or public body; for self-employment, the activity
	EmployerTaxID string `json:"employerTaxId,omitempty"` // CIF, when known; checked when present
	Regime        Regime `json:"regime"`
	Start         Date   `json:"startDate"`
	End           Date   `json:"endDate,omitzero"` // zero: still open
	Days          int    `json:"daysContributed"`  // at most the calendar days of the period
}

// Open reports whether the period has not ended.
func (e *Employment) Open() bool { return e.End.IsZero() }
