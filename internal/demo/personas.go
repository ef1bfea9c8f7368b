package demo

import (
	"github.com/espai/espai/internal/register"
)

// Persona is one of the hand-written demo citizens, always first in the
// dataset, with facts the walkthrough relies on.
type Persona struct {
	ID           string // DNI or NIE, check letter computed by register.DNI / register.NIE
	Name         string // full name
	Municipality string
	Description  string // one line in Catalan, for the README and the login page
	Passphrase   string // demo wallet passphrase (public: demo only)
}

// personaIDs are the document numbers of the personas; check letters are
// computed, never typed.
var personaIDs = []struct {
	nie    byte // 0 for a DNI
	number int
}{
	{0, 12345678},  // Laia Puig Serra: 12345678Z
	{0, 38765432},  // Jordi Casals Vidal
	{0, 40123456},  // Montserrat Ferrer Soler
	{'Y', 2345678}, // Youssef El Amrani
	{0, 39876543},  // Marta Garcia López
}

func personaID(i int) string {
	p := personaIDs[i]
	if p.nie != 0 {
		id, _ := register.NIE(p.nie, p.number) // constants in range
		return id
	}
	id, _ := register.DNI(p.number)
	return id
}

// Personas returns the five demo personas in dataset order.
func Personas() []Persona {
	return []Persona{
		{personaID(0), "Laia Puig Serra", "Girona",
			"Infermera graduada a la UdG, estudia un màster i treballa a temps parcial a l'Hospital Trueta; té una credencial de cada tipus.",
			"laia-demo-2026"},
		{personaID(1), "Jordi Casals Vidal", "Sabadell",
			"Transportista de 45 anys amb un deute pendent amb l'Agència Tributària de Catalunya: no està al corrent i n'ha demanat l'ajornament.",
			"jordi-demo-2026"},
		{personaID(2), "Montserrat Ferrer Soler", "Lleida",
			"Jubilada de 71 anys amb una vida laboral llarga al tèxtil i a l'escola pública; viu de lloguer amb el seu marit.",
			"montserrat-demo-2026"},
		{personaID(3), "Youssef El Amrani", "Salt",
			"Nouvingut amb NIE, empadronat fa poc a Salt, amb una vida laboral curta com a conductor.",
			"youssef-demo-2026"},
		{personaID(4), "Marta Garcia López", "Manresa",
			"Mare de dos fills, amb la seva parella, atesa pels serveis socials municipals; s'acaba de graduar en Infermeria a la UdL.",
			"marta-demo-2026"},
	}
}

// addPersonas appends the personas' records. Identity facts are fixed;
// what depends on the day (tax checks, the open periods of a working life)
// is relative to g.today.
func (g *gen) addPersonas() {
	d := register.NewDate
	ps := Personas()
	for _, p := range ps {
		g.used[p.ID] = true
	}
	recent := g.today.AddDate(0, 0, -12)

	// 1. Laia Puig Serra, Girona: one credential of each type.
	laia := ps[0].ID
	g.census(register.Census{ID: laia, GivenName: "Laia", FamilyName: "Puig", SecondFamilyName: "Serra",
		BirthDate: d(2000, 5, 14), Address: "Carrer de la Força 12, 2n 1a", PostalCode: "17004",
		Municipality: "Girona", MunicipalitySlug: "girona", Province: "Girona", RegistrationDate: d(2018, 9, 3)})
	g.taxOK(laia, recent)
	g.ds.Degrees = append(g.ds.Degrees, register.Degrees{ID: laia, Degrees: []register.Degree{{
		Title: "Grau en Infermeria", University: "Universitat de Girona", UniversitySlug: "udg",
		AwardDate: d(2022, 7, 15), ECTS: 240, Grade: 8.42}}})
	g.worklife(laia, []register.Employment{
		g.job("Farmàcia Vidal Costa SL", d(2021, 7, 1), d(2021, 9, 15), 100),
		g.job("Hospital Universitari de Girona Doctor Josep Trueta", d(2022, 9, 1), register.Date{}, 60),
	})

	// 2. Jordi Casals Vidal, Sabadell: a worker with a tax debt.
	jordi := ps[1].ID
	g.census(register.Census{ID: jordi, GivenName: "Jordi", FamilyName: "Casals", SecondFamilyName: "Vidal",
		BirthDate: d(1981, 3, 22), Address: "Carrer de Sant Pere 41, 3r 2a", PostalCode: "08201",
		Municipality: "Sabadell", MunicipalitySlug: "sabadell", Province: "Barcelona", RegistrationDate: d(2009, 4, 20),
		Household: []register.HouseholdMember{{Name: "Núria Bosch Font", Relationship: "cònjuge", BirthYear: 1983}}})
	g.ds.Tax = append(g.ds.Tax, register.TaxCompliance{ID: jordi, UpToDate: false,
		Obligations: append([]string(nil), taxObligations[:3]...), CheckDate: recent, ValidUntil: recent.AddDate(0, 6, 0),
		Debt: "Liquidació de l'Impost sobre transmissions patrimonials de 2025 pendent de pagament (3.480,00 €)"})
	g.worklife(jordi, []register.Employment{
		g.job("Logística Penedès SL", d(1999, 9, 1), d(2006, 2, 28), 100),
		g.job("Transports Vallès SL", d(2006, 3, 1), register.Date{}, 100),
	})

	// 3. Montserrat Ferrer Soler, Lleida: retired.
	montse := ps[2].ID
	g.census(register.Census{ID: montse, GivenName: "Montserrat", FamilyName: "Ferrer", SecondFamilyName: "Soler",
		BirthDate: d(1955, 1, 9), Address: "Carrer Major 58, 1r", PostalCode: "25007",
		Municipality: "Lleida", MunicipalitySlug: "lleida", Province: "Lleida", RegistrationDate: d(1979, 6, 1),
		Household: []register.HouseholdMember{{Name: "Josep Mas Pujol", Relationship: "cònjuge", BirthYear: 1952}}})
	g.taxOK(montse, recent)
	g.worklife(montse, []register.Employment{
		g.job("Tèxtil Anoia SA", d(1971, 3, 1), d(1979, 5, 31), 100),
		g.job("Fruites Segrià SCCL", d(1980, 9, 1), d(1988, 8, 31), 100),
		g.job("Departament d'Educació de la Generalitat de Catalunya", d(1988, 9, 1), d(2020, 1, 9), 100),
	})

	// 4. Youssef El Amrani, Salt: newcomer with an NIE.
	youssef := ps[3].ID
	g.census(register.Census{ID: youssef, GivenName: "Youssef", FamilyName: "El Amrani",
		BirthDate: d(1994, 2, 20), Address: "Carrer de Sant Antoni 5, 1r 2a", PostalCode: "17190",
		Municipality: "Salt", MunicipalitySlug: "salt", Province: "Girona", RegistrationDate: g.today.AddDate(0, 0, -41)}) // "empadronat fa poc": six weeks before the demo's today
	g.taxOK(youssef, recent)
	g.worklife(youssef, []register.Employment{
		g.job("Distribucions Empordà SL", d(2025, 7, 1), register.Date{}, 100),
	})

	// 5. Marta Garcia López, Manresa: a family followed by social services;
	// she has just finished nursing at the UdL's Igualada campus.
	marta := ps[4].ID
	g.census(register.Census{ID: marta, GivenName: "Marta", FamilyName: "Garcia", SecondFamilyName: "López",
		BirthDate: d(1988, 11, 2), Address: "Carrer del Bruc 23, 3r 1a", PostalCode: "08241",
		Municipality: "Manresa", MunicipalitySlug: "manresa", Province: "Barcelona", RegistrationDate: d(2015, 3, 10),
		Household: []register.HouseholdMember{
			{Name: "Pau Soler Vila", Relationship: "parella", BirthYear: 1986},
			{Name: "Nil Soler Garcia", Relationship: "fill", BirthYear: 2016},
			{Name: "Abril Soler Garcia", Relationship: "filla", BirthYear: 2019},
		},
		SocialServices: &register.SocialServicesCase{Since: d(2024, 2, 1), Programme: "Servei Bàsic d'Atenció Social: pla de treball familiar"}})
	g.taxOK(marta, recent)
	// A nursing degree awarded four months before today: recent enough for
	// the "degree awarded" life-event alert (internal/app: within a year).
	g.ds.Degrees = append(g.ds.Degrees, register.Degrees{ID: marta, Degrees: []register.Degree{{
		Title: "Grau en Infermeria", University: "Universitat de Lleida", UniversitySlug: "udl",
		AwardDate: g.today.AddDate(0, -4, 0), ECTS: 240, Grade: 7.86}}})
	g.worklife(marta, []register.Employment{
		g.job("Serveis de Neteja Llevant SL", d(2007, 1, 8), d(2012, 10, 31), 100),
		g.job("Supermercats Comarcals SA", d(2014, 4, 1), d(2023, 6, 30), 50),
	})
}
