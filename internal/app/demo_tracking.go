package app

import (
	"context"
	"fmt"
	"time"

	"github.com/espai/espai/internal/demo"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
)

// demoSteps is one demo procedure: its statuses, each days before today.
type demoProcedure struct {
	admin, ref, title string
	steps             []demoStep
}

type demoStep struct {
	status  tracking.Status
	daysAgo float64
	note    string
}

// demoNotification is one demo notification; act (if any) happens
// actDaysAgo days before today.
type demoNotification struct {
	admin, ref, subject, body string
	daysAgo                   float64
	act                       tracking.State
	actDaysAgo                float64
}

type demoLogin struct {
	admin, service, method, device string
	daysAgo                        float64
}

// demoPresentation is a verifier request the persona answered.
type demoPresentation struct {
	admin, purpose string
	approve        bool
}

type demoLife struct {
	procedures    []demoProcedure
	notifications []demoNotification
	logins        []demoLogin
	presentations []demoPresentation
}

// demoLives gives each persona (by position in demo.Personas) a lived-in
// space: procedures in several states, notifications with deadlines (one
// closing within three days), logins to other services and data exchanges.
var demoLives = []demoLife{
	{ // Laia Puig Serra, Girona
		procedures: []demoProcedure{
			{"ahc", "AHC-LLOG-2026-104233", "Ajut per al pagament del lloguer 2026", []demoStep{
				{tracking.Submitted, 12, "Sol·licitud registrada amb el número AHC-LLOG-2026-104233."},
				{tracking.InReview, 9, "La sol·licitud està en revisió per l'Oficina d'Habitatge de Girona."},
				{tracking.InfoNeeded, 2, "Cal que aporteu el contracte de lloguer signat per les dues parts. Teniu 10 dies hàbils."},
			}},
			{"ajuntament-girona", "GI-2026-018734", "Targeta d'aparcament de zona verda per a residents", []demoStep{
				{tracking.Submitted, 21, "Sol·licitud presentada a la seu electrònica."},
				{tracking.InReview, 16, ""},
				{tracking.Resolved, 6, "Concedida. Podeu recollir el distintiu a l'OAC de la plaça del Vi, 1."},
			}},
			{"udg", "UDG-MU-2026-00871", "Matrícula al Màster en Infermeria d'Urgències", []demoStep{
				{tracking.Submitted, 70, ""},
				{tracking.Resolved, 60, "Matrícula formalitzada per al curs 2026-2027."},
			}},
		},
		notifications: []demoNotification{
			{"atc", "ATC-NOT-2026-558120", "Proposta de liquidació provisional de l'impost sobre successions",
				"Us comuniquem la proposta de liquidació provisional de l'impost sobre successions i donacions (expedient 2026/SUC/014522). Podeu presentar al·legacions en el termini de 10 dies hàbils des de l'endemà de la notificació.", 8, "", 0},
			{"ahc", "AHC-NOT-2026-031877", "Requeriment de documentació: ajut al lloguer",
				"En relació amb la vostra sol·licitud AHC-LLOG-2026-104233, us requerim el contracte de lloguer signat. Si no l'aporteu en 10 dies hàbils, us tindrem per desistida de la sol·licitud.", 2, "", 0},
			{"ajuntament-girona", "GI-NOT-2026-004411", "Resolució de la targeta d'aparcament per a residents",
				"Resolució d'Alcaldia per la qual s'atorga la targeta d'aparcament de zona verda per a residents al carrer de la Rutlla.", 6, tracking.Accepted, 5},
			{"tgss", "TGSS-NOT-2026-771203", "Comunicació d'alta al Règim General",
				"La Tresoreria General de la Seguretat Social us comunica l'alta al Règim General per compte de l'Institut Català de la Salut.", 30, "", 0},
		},
		logins: []demoLogin{
			{"aoc", "Seu electrònica de la Generalitat", "idCAT Mòbil", "Android · Chrome", 14},
			{"aoc", "La Meva Salut", "idCAT Mòbil", "Android · Chrome", 6},
			{"atc", "Agència Tributària de Catalunya", "certificat digital", "Windows · Firefox", 1},
		},
		presentations: []demoPresentation{{"ics", "borsa-infermeria", true}, {"ahc", "ajut-lloguer-residencia", true}},
	},
	{ // Jordi Casals Vidal, Sabadell: a tax debt
		procedures: []demoProcedure{
			{"atc", "ATC-AJ-2026-220914", "Sol·licitud d'ajornament i fraccionament de deute", []demoStep{
				{tracking.Submitted, 18, ""},
				{tracking.InReview, 11, "S'està estudiant la proposta de fraccionament en 12 terminis."},
			}},
		},
		notifications: []demoNotification{
			{"atc", "ATC-NOT-2026-559843", "Provisió de constrenyiment: impost sobre les estades en establiments turístics",
				"Deute pendent en període executiu. Podeu pagar-lo amb el recàrrec reduït del 10% fins a la data que indica la provisió.", 9, "", 0},
		},
		logins: []demoLogin{{"aoc", "Seu electrònica de la Generalitat", "Cl@ve PIN", "Android · Samsung Internet", 3}},
	},
	{ // Montserrat Ferrer Soler, Lleida: retired
		procedures: []demoProcedure{
			{"ajuntament-lleida", "LL-2026-009921", "Bonificació de la taxa d'escombraries per a pensionistes", []demoStep{
				{tracking.Submitted, 40, ""},
				{tracking.InReview, 30, ""},
				{tracking.Resolved, 10, "Concedida una bonificació del 50% per a l'exercici 2027."},
			}},
		},
		notifications: []demoNotification{
			{"ajuntament-lleida", "LL-NOT-2026-002210", "Resolució de la bonificació de la taxa d'escombraries",
				"Us notifiquem la resolució favorable de la bonificació sol·licitada.", 10, tracking.Accepted, 9},
		},
		logins: []demoLogin{{"aoc", "La Meva Salut", "idCAT Mòbil", "iPhone · Safari", 4}},
	},
	{ // Youssef El Amrani, Salt: newly registered
		procedures: []demoProcedure{
			{"ajuntament-salt", "SALT-PAD-2026-1187", "Alta al padró municipal d'habitants", []demoStep{
				{tracking.Submitted, 45, ""},
				{tracking.Resolved, 41, "Alta efectuada al carrer Major de Salt."},
			}},
			{"soc", "SOC-DEM-2026-55120", "Inscripció com a demandant d'ocupació", []demoStep{
				{tracking.Submitted, 5, "Cita a l'Oficina de Treball de Salt el dia que us indicarem."},
			}},
		},
		notifications: []demoNotification{
			{"ajuntament-salt", "SALT-NOT-2026-0412", "Resolució d'alta al padró municipal",
				"Us notifiquem l'alta al padró municipal d'habitants de Salt.", 41, tracking.Accepted, 40},
			{"soc", "SOC-NOT-2026-90127", "Citació a l'Oficina de Treball",
				"Se us cita a l'Oficina de Treball de Salt per a l'entrevista d'inscripció.", 3, tracking.Read, 2},
		},
		logins: []demoLogin{{"aoc", "Seu electrònica de la Generalitat", "idCAT Mòbil", "Android · Chrome", 5}},
	},
	{ // Marta Garcia López, Manresa: social services
		procedures: []demoProcedure{
			{"ajuntament-manresa", "MAN-SS-2026-03318", "Ajut de menjador escolar curs 2026-2027", []demoStep{
				{tracking.Submitted, 25, ""},
				{tracking.InReview, 20, "Pendent de l'informe dels serveis socials bàsics."},
			}},
		},
		notifications: []demoNotification{
			{"ajuntament-manresa", "MAN-NOT-2026-01874", "Citació a l'entrevista amb la treballadora social",
				"Se us cita a l'entrevista de seguiment amb la treballadora social a l'Espai Plana de l'Om.", 1, "", 0},
		},
		logins:        []demoLogin{{"aoc", "Seu electrònica de la Generalitat", "idCAT Mòbil", "Android · Chrome", 7}},
		presentations: []demoPresentation{{"ajuntament-manresa", "serveis-socials", true}, {"ahc", "ajut-lloguer-residencia", false}},
	},
}

// seedDemoLives fills each persona's space with demoLives, dated relative to
// now, through the same calls administrations and citizens make.
func (a *App) seedDemoLives(ctx context.Context, personas []demo.Persona) error {
	now := a.now()
	ago := func(days float64) time.Time { return now.Add(-time.Duration(days * 24 * float64(time.Hour))) }
	for i, life := range demoLives {
		p := personas[i]
		for _, pr := range life.procedures {
			for j, st := range pr.steps {
				u := ProcedureUpdate{Administration: pr.admin, Ref: pr.ref, Citizen: p.ID, Status: st.status, Note: st.note, Time: ago(st.daysAgo)}
				if j == 0 {
					u.Title = pr.title
				}
				if _, err := a.UpdateProcedure(ctx, u); err != nil {
					return fmt.Errorf("procedure %s: %w", pr.ref, err)
				}
			}
		}
		for _, l := range life.logins {
			if err := a.RecordLogin(ctx, Login{Administration: l.admin, Citizen: p.ID, Service: l.service, Method: l.method, Device: l.device, Time: ago(l.daysAgo)}); err != nil {
				return err
			}
		}
		var acts []demoNotification
		for _, n := range life.notifications {
			if _, err := a.DepositNotification(ctx, NotificationDeposit{Administration: n.admin, Ref: n.ref, Citizen: p.ID, Subject: n.subject, Body: n.body, Time: ago(n.daysAgo)}); err != nil {
				return fmt.Errorf("notification %s: %w", n.ref, err)
			}
			if n.act != "" {
				acts = append(acts, n)
			}
		}
		if len(acts) == 0 && len(life.presentations) == 0 {
			continue
		}
		s, err := a.Wallet.Unlock(ctx, p.ID, p.Passphrase)
		if err != nil {
			return err
		}
		err = a.seedActs(ctx, s, acts, life.presentations)
		s.Lock()
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	return a.SweepTracking(ctx) // the demo's old unanswered notifications expire
}

// seedActs makes the persona act on notifications and answer verifier
// requests, as they would from their phone.
func (a *App) seedActs(ctx context.Context, s *wallet.Session, acts []demoNotification, pres []demoPresentation) error {
	ago := func(days float64) time.Time { return a.now().Add(-time.Duration(days * 24 * float64(time.Hour))) }
	for _, act := range acts {
		n, err := a.Tracking.Notification(ctx, act.admin, act.ref)
		if err != nil {
			return err
		}
		if act.act != tracking.Read {
			if _, err := a.actOnNotification(ctx, s, n.Key, tracking.Read, ago(act.actDaysAgo)); err != nil {
				return err
			}
		}
		if _, err := a.actOnNotification(ctx, s, n.Key, act.act, ago(act.actDaysAgo)); err != nil {
			return fmt.Errorf("notification %s: %w", act.ref, err)
		}
	}
	for _, p := range pres {
		r, err := a.Verifier.CreateRequest(ctx, p.admin, p.purpose, verifier.FormatSDJWT, nil)
		if err != nil {
			return err
		}
		ir, err := a.OpenRequest(ctx, s, r.QR(a.publicBase))
		if err != nil {
			return fmt.Errorf("request %s/%s: %w", p.admin, p.purpose, err)
		}
		if !p.approve {
			err = a.Decline(ctx, s, ir, "")
		} else if len(ir.Candidates) > 0 {
			_, err = a.Approve(ctx, s, ir, ir.Candidates[0].ID)
		}
		if err != nil {
			return fmt.Errorf("request %s/%s: %w", p.admin, p.purpose, err)
		}
	}
	return nil
}
