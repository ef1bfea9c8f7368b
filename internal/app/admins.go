package app

import (
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/demo"
	"github.com/espai/espai/internal/trust"
	"github.com/espai/espai/issuer"
)

// StandardAdministrations are the public bodies every Espai deployment in
// Catalonia knows: the trust scheme operator, the issuers of the region-wide
// registers, the Ajuntaments and the public universities, each with its
// registered verifier purposes (what it may ask citizens to present, why and
// on what legal basis).
func StandardAdministrations() []issuer.Administration {
	out := []issuer.Administration{
		{ID: "aoc", Name: "Consorci Administració Oberta de Catalunya", Operator: true},
		{ID: issuer.TaxAdmin, Name: "Agència Tributària de Catalunya", Types: []credential.Type{credential.Tax}},
		{ID: issuer.WorkLifeAdmin, Name: "Tresoreria General de la Seguretat Social", Types: []credential.Type{credential.WorkLife}},
		{ID: "ahc", Name: "Agència de l'Habitatge de Catalunya", Purposes: []trust.Purpose{
			{ID: "ajut-lloguer", Title: "Ajuts al pagament del lloguer", LegalBasis: "Llei 18/2007, del dret a l'habitatge; RGPD art. 6.1.e",
				Type: string(credential.Tax), Claims: []string{"upToDate", "validUntil"}, RetentionDays: 365},
			{ID: "ajut-lloguer-residencia", Title: "Ajuts al lloguer: residència a Catalunya", LegalBasis: "Llei 18/2007, del dret a l'habitatge; RGPD art. 6.1.e",
				Type: string(credential.Census), Claims: []string{"givenName", "familyName", "municipality", "registrationDate"}, RetentionDays: 365},
		}},
		{ID: "soc", Name: "Servei Públic d'Ocupació de Catalunya", Purposes: []trust.Purpose{
			{ID: "garantia-juvenil", Title: "Programa de Garantia Juvenil: experiència laboral", LegalBasis: "Llei 13/2015, d'ordenació del sistema d'ocupació; RGPD art. 6.1.e",
				Type: string(credential.WorkLife), Claims: []string{"givenName", "familyName", "totalDaysContributed"}, RetentionDays: 730},
		}},
		{ID: "ics", Name: "Institut Català de la Salut", Purposes: []trust.Purpose{
			{ID: "borsa-infermeria", Title: "Borsa de treball d'infermeria: titulació", LegalBasis: "Llei 44/2003, d'ordenació de les professions sanitàries; RGPD art. 6.1.b",
				Type: string(credential.Degree), Claims: []string{"givenName", "familyName", "degreeTitle", "university", "awardDate"}, RetentionDays: 1460},
		}},
	}
	for _, m := range demo.Municipalities() {
		out = append(out, issuer.Administration{
			ID: issuer.CensusAdmin(m.Slug), Name: m.Ajuntament(), Types: []credential.Type{credential.Census},
			Purposes: []trust.Purpose{
				{ID: "preinscripcio-escolar", Title: "Preinscripció escolar: proximitat del domicili", LegalBasis: "Llei 12/2009, d'educació, art. 47; RGPD art. 6.1.e",
					Type: string(credential.Census), Claims: []string{"municipality", "address", "postalCode"}, RetentionDays: 365},
				{ID: "serveis-socials", Title: "Serveis socials bàsics: unitat de convivència", LegalBasis: "Llei 12/2007, de serveis socials; RGPD art. 6.1.e i 9.2.h",
					Type: string(credential.Census), Claims: []string{"givenName", "familyName", "address", "household"}, RetentionDays: 1825},
				{ID: "bonificacio-ibi", Title: "Bonificació de l'IBI per família nombrosa: estar al corrent", LegalBasis: "Text refós de la Llei d'hisendes locals, art. 74.4; RGPD art. 6.1.e",
					Type: string(credential.Tax), Claims: []string{"upToDate", "validUntil"}, RetentionDays: 365},
			},
		})
	}
	for _, u := range demo.Universities() {
		out = append(out, issuer.Administration{ID: u.Slug, Name: u.Name, Types: []credential.Type{credential.Degree}})
	}
	return out
}
