package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/espai/espai/internal/demo"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
)

// demoProcedure is one demo procedure (e-TRAM): its statuses, each some
// days before today.
type demoProcedure struct {
	admin, ref, title string
	steps             []demoStep
}

type demoStep struct {
	status  tracking.Status
	daysAgo float64
	note    string
}

// demoNotification is one demo notification (e-NOTUM), deposited daysAgo
// days before today; act (if any) happens actDaysAgo days before today. One
// left unanswered for more than ten days expires.
type demoNotification struct {
	admin, ref, subject, body string
	daysAgo                   float64
	act                       tracking.State
	actDaysAgo                float64
}

// demoLogin is a login to a public service, reported by the service. device
// is written as the web layer writes it for Espai's own logins
// (internal/web deviceOf: "Chrome / Android").
type demoLogin struct {
	admin, service, method, device string
	daysAgo                        float64
}

// demoExchange is a Via Oberta query by one administration, for a purpose
// it registered on the trust list, answered from another administration's
// register. It is answered when the demo is built (the ledger records it at
// its own time), while a procedure it serves is in review.
type demoExchange struct {
	requester, purpose string
}

// demoPresentation is a verifier request the persona answered, when the demo
// is built: approved with the persona's matching credential, or declined.
type demoPresentation struct {
	admin, purpose string
	approve        bool
}

type demoLife struct {
	procedures    []demoProcedure
	notifications []demoNotification
	logins        []demoLogin
	exchanges     []demoExchange
	presentations []demoPresentation
}

// demoLives gives each persona (by position in demo.Personas) a lived-in
// space: procedures in several states with their timelines, notifications
// with deadlines (one still open, and some accepted or expired), logins
// from several devices, Via Oberta exchanges between administrations and
// verified presentations. Refs, titles and notes may say {Y} (the year of
// the procedure's first step or of the deposit), {Y+1} and {curs} (the
// school year then, "2026-2027"), so the demo reads right whenever it is
// built.
var demoLives = []demoLife{
	{ // Laia Puig Serra, Girona: nurse, renting, studying a master's
		procedures: []demoProcedure{
			{"ahc", "AHC-LLOG-{Y}-104233", "Ajut per al pagament del lloguer {Y}", []demoStep{
				{tracking.Submitted, 12, "Sol·licitud registrada amb el número AHC-LLOG-{Y}-104233."},
				{tracking.InReview, 9, "La sol·licitud està en revisió per l'Oficina d'Habitatge de Girona. Comprovarem per Via Oberta el vostre empadronament i que esteu al corrent amb l'Agència Tributària de Catalunya."},
				{tracking.InfoNeeded, 2, "Cal que aporteu el contracte de lloguer signat per les dues parts. Teniu 10 dies hàbils."},
			}},
			{"ajuntament-girona", "GI-{Y}-018734", "Targeta d'aparcament de zona verda per a residents", []demoStep{
				{tracking.Submitted, 21, "Sol·licitud presentada a la seu electrònica."},
				{tracking.InReview, 16, ""},
				{tracking.Resolved, 6, "Concedida. Podeu recollir el distintiu a l'OAC de la plaça del Vi, 1."},
			}},
			{"udg", "UDG-MU-{Y}-00871", "Matrícula al Màster en Infermeria d'Urgències", []demoStep{
				{tracking.Submitted, 70, ""},
				{tracking.Resolved, 60, "Matrícula formalitzada per al curs {curs}."},
			}},
		},
		notifications: []demoNotification{
			{"tgss", "TGSS-NOT-{Y}-771203", "Comunicació d'alta al Règim General",
				"La Tresoreria General de la Seguretat Social us comunica l'alta al Règim General per compte de l'Institut Català de la Salut.", 30, "", 0},
			{"atc", "ATC-NOT-{Y}-558120", "Proposta de liquidació provisional de l'impost sobre successions",
				"Us comuniquem la proposta de liquidació provisional de l'impost sobre successions i donacions (expedient {Y}/SUC/014522). Podeu presentar al·legacions en el termini de 10 dies hàbils des de l'endemà de la notificació.", 8, "", 0},
			{"ajuntament-girona", "GI-NOT-{Y}-004411", "Resolució de la targeta d'aparcament per a residents",
				"Resolució d'Alcaldia per la qual s'atorga la targeta d'aparcament de zona verda per a residents al carrer de la Rutlla.", 6, tracking.Accepted, 5},
			{"ahc", "AHC-NOT-{Y}-031877", "Requeriment de documentació: ajut al lloguer",
				"En relació amb la vostra sol·licitud AHC-LLOG-{Y}-104233, us requerim el contracte de lloguer signat. Si no l'aporteu en 10 dies hàbils, us tindrem per desistida de la sol·licitud.", 2, "", 0},
		},
		logins: []demoLogin{
			{"aoc", "Seu electrònica de la Generalitat", "idCAT Mòbil", "Chrome / Android", 14},
			{"aoc", "La Meva Salut", "idCAT Mòbil", "Chrome / Android", 6},
			{"aoc", "Seu electrònica de l'Ajuntament de Girona", "idCAT Mòbil", "Safari / iOS", 22},
			{"atc", "Agència Tributària de Catalunya", "certificat digital", "Firefox / Windows", 1},
		},
		exchanges: []demoExchange{{"ahc", "ajut-lloguer-residencia"}, {"ahc", "ajut-lloguer"}},
		// Applying to the ICS nursing job pool, she shows her degree.
		presentations: []demoPresentation{{"ics", "borsa-infermeria", true}},
	},
	{ // Jordi Casals Vidal, Sabadell: a tax debt in enforcement, renting
		procedures: []demoProcedure{
			{"ajuntament-sabadell", "SBD-{Y}-042817", "Recollida de mobles i trastos vells a domicili", []demoStep{
				{tracking.Submitted, 26, ""},
				{tracking.Resolved, 24, "Recollida programada. Deixeu els mobles davant del portal la nit abans, a partir de les 20 h."},
			}},
			{"atc", "ATC-AJ-{Y}-220914", "Sol·licitud d'ajornament i fraccionament de deute", []demoStep{
				{tracking.Submitted, 18, "Sol·licitud d'ajornament de la liquidació de l'impost sobre transmissions patrimonials (3.480,00 €)."},
				{tracking.InReview, 11, "S'està estudiant la proposta de fraccionament en 12 terminis mensuals."},
			}},
			{"ahc", "AHC-LLOG-{Y}-118406", "Ajut per al pagament del lloguer {Y}", []demoStep{
				{tracking.Submitted, 4, "Sol·licitud registrada a la convocatòria d'ajuts per al pagament del lloguer."},
				{tracking.InReview, 0.1, "Es comprova per Via Oberta que esteu al corrent de les obligacions amb l'Agència Tributària de Catalunya, requisit de la convocatòria."},
			}},
		},
		notifications: []demoNotification{
			{"atc", "ATC-NOT-{Y}-412077", "Liquidació de l'impost sobre transmissions patrimonials",
				"Us notifiquem la liquidació de l'impost sobre transmissions patrimonials i actes jurídics documentats per import de 3.480,00 €, amb el termini de pagament en període voluntari que s'hi indica.", 95, tracking.Accepted, 93},
			{"ajuntament-sabadell", "SBD-NOT-{Y}-031455", "Recollida de mobles i trastos vells",
				"Us comuniquem el dia de la recollida de mobles i trastos vells sol·licitada a l'adreça del carrer de Sant Pere.", 24, "", 0},
			{"atc", "ATC-NOT-{Y}-559843", "Provisió de constrenyiment: impost sobre transmissions patrimonials",
				"Deute de 3.480,00 € en període executiu (liquidació de l'impost sobre transmissions patrimonials i actes jurídics documentats). Podeu pagar-lo amb el recàrrec de constrenyiment reduït del 10% fins a la data que indica la provisió.", 9, "", 0},
		},
		logins: []demoLogin{
			{"aoc", "Seu electrònica de l'Ajuntament de Sabadell", "idCAT Mòbil", "Chrome / Android", 26},
			{"atc", "Agència Tributària de Catalunya", "certificat digital", "Edge / Windows", 18},
			{"aoc", "Seu electrònica de la Generalitat", "Cl@ve PIN", "Chrome / Android", 4},
		},
		exchanges: []demoExchange{{"ahc", "ajut-lloguer"}},
		// For the same application he shows his census record from Espai.
		presentations: []demoPresentation{{"ahc", "ajut-lloguer-residencia", true}},
	},
	{ // Montserrat Ferrer Soler, Lleida: retired, lives with her husband
		procedures: []demoProcedure{
			{"ajuntament-lleida", "LL-{Y}-009921", "Bonificació de la taxa d'escombraries per a pensionistes", []demoStep{
				{tracking.Submitted, 40, ""},
				{tracking.InReview, 30, ""},
				{tracking.Resolved, 10, "Concedida una bonificació del 50% per a l'exercici {Y+1}."},
			}},
			{"ajuntament-lleida", "LL-SS-{Y}-001547", "Servei de teleassistència", []demoStep{
				{tracking.Submitted, 12, "Sol·licitud per a vós i el vostre cònjuge."},
				{tracking.InReview, 9, "Pendent de la visita de valoració de la treballadora social al domicili."},
			}},
			{"ahc", "AHC-LLOG-{Y}-121978", "Ajut per al pagament del lloguer {Y}", []demoStep{
				{tracking.Submitted, 3, "Sol·licitud registrada a la convocatòria d'ajuts per al pagament del lloguer."},
				{tracking.InReview, 0.1, "Es comprova per Via Oberta el vostre empadronament a Lleida."},
			}},
		},
		notifications: []demoNotification{
			{"ajuntament-lleida", "LL-NOT-{Y}-002210", "Resolució de la bonificació de la taxa d'escombraries",
				"Us notifiquem la resolució favorable de la bonificació sol·licitada.", 10, tracking.Accepted, 9},
			{"ajuntament-lleida", "LL-NOT-{Y}-002388", "Citació per a la visita de valoració del servei de teleassistència",
				"La treballadora social dels serveis socials bàsics us visitarà al domicili el dia i l'hora que s'indiquen per valorar la vostra sol·licitud de teleassistència. Si no hi podeu ser, comuniqueu-ho a l'Oficina Municipal d'Atenció Ciutadana.", 8, tracking.Read, 6},
		},
		logins: []demoLogin{
			{"aoc", "La Meva Salut", "idCAT Mòbil", "Safari / iOS", 25},
			{"aoc", "Seu electrònica de l'Ajuntament de Lleida", "idCAT Mòbil", "Chrome / Windows", 12},
			{"aoc", "La Meva Salut", "idCAT Mòbil", "Safari / iOS", 4},
			{"aoc", "Seu electrònica de la Generalitat", "idCAT Mòbil", "Chrome / Windows", 3},
		},
		exchanges: []demoExchange{{"ahc", "ajut-lloguer-residencia"}},
		// Social services ask who lives with her, for the teleassistance.
		presentations: []demoPresentation{{"ajuntament-lleida", "serveis-socials", true}},
	},
	{ // Youssef El Amrani, Salt: newly registered, working, renting
		procedures: []demoProcedure{
			{"ajuntament-salt", "SALT-PAD-{Y}-1187", "Alta al padró municipal d'habitants", []demoStep{
				{tracking.Submitted, 45, ""},
				{tracking.Resolved, 41, "Alta efectuada al carrer de Sant Antoni, 5, de Salt."},
			}},
			{"soc", "SOC-DEM-{Y}-55120", "Inscripció com a demandant d'ocupació", []demoStep{
				{tracking.Submitted, 5, "Cita a l'Oficina de Treball de Salt el dia que us indicarem."},
			}},
			{"ahc", "AHC-LLOG-{Y}-123551", "Ajut per al pagament del lloguer {Y}", []demoStep{
				{tracking.Submitted, 2, "Sol·licitud registrada a la convocatòria d'ajuts per al pagament del lloguer."},
				{tracking.InReview, 0.1, "Es comprova per Via Oberta que esteu al corrent amb l'Agència Tributària de Catalunya."},
			}},
		},
		notifications: []demoNotification{
			{"ajuntament-salt", "SALT-NOT-{Y}-0412", "Resolució d'alta al padró municipal",
				"Us notifiquem l'alta al padró municipal d'habitants de Salt.", 41, tracking.Accepted, 40},
			{"soc", "SOC-NOT-{Y}-90127", "Citació a l'Oficina de Treball",
				"Se us cita a l'Oficina de Treball de Salt per a l'entrevista d'inscripció.", 3, tracking.Read, 2},
		},
		logins: []demoLogin{
			{"aoc", "Seu electrònica de la Generalitat", "idCAT Mòbil", "Chrome / Windows", 30},
			{"aoc", "Seu electrònica de la Generalitat", "idCAT Mòbil", "Chrome / Android", 5},
			{"aoc", "Seu electrònica de la Generalitat", "idCAT Mòbil", "Chrome / Android", 2},
		},
		exchanges: []demoExchange{{"ahc", "ajut-lloguer"}},
		// For the same application he shows his new census record from Espai.
		presentations: []demoPresentation{{"ahc", "ajut-lloguer-residencia", true}},
	},
	{ // Marta Garcia López, Manresa: social services, a nurse since this year
		procedures: []demoProcedure{
			{"udl", "UDL-TIT-{Y}-04412", "Expedició del títol de Grau en Infermeria", []demoStep{
				{tracking.Submitted, 100, "Taxa d'expedició del títol pagada."},
				{tracking.Resolved, 20, "Títol expedit. Podeu recollir-lo a la secretaria del campus d'Igualada amb el DNI."},
			}},
			{"ajuntament-manresa", "MAN-SS-{Y}-03318", "Ajut de menjador escolar curs {curs}", []demoStep{
				{tracking.Submitted, 25, ""},
				{tracking.InReview, 20, "Pendent de l'informe dels serveis socials bàsics."},
			}},
			{"ics", "ICS-BT-{Y}-07731", "Inscripció a la borsa de treball d'infermeria", []demoStep{
				{tracking.Submitted, 3, ""},
				{tracking.InReview, 0.1, "Es comprova per Via Oberta el vostre títol amb la Universitat de Lleida."},
			}},
		},
		notifications: []demoNotification{
			{"ajuntament-manresa", "MAN-NOT-{Y}-01533", "Resolució de l'ajut d'urgència social",
				"Us notifiquem la resolució favorable de l'ajut d'urgència social per a necessitats bàsiques de la unitat familiar, que s'abonarà al compte indicat a la sol·licitud.", 38, tracking.Accepted, 37},
			{"udl", "UDL-NOT-{Y}-00981", "Títol de Grau en Infermeria a punt per recollir",
				"Us comuniquem que el títol de Grau en Infermeria ja es pot recollir a la secretaria del campus d'Igualada.", 20, "", 0},
			{"ajuntament-manresa", "MAN-NOT-{Y}-01874", "Citació a l'entrevista amb la treballadora social",
				"Se us cita a l'entrevista de seguiment amb la treballadora social a l'Espai Plana de l'Om.", 1, "", 0},
		},
		logins: []demoLogin{
			{"aoc", "Seu electrònica de l'Ajuntament de Manresa", "idCAT Mòbil", "Chrome / Android", 25},
			{"aoc", "Seu electrònica de la Generalitat", "idCAT Mòbil", "Chrome / Android", 7},
			{"aoc", "Borsa de treball de l'ICS", "idCAT Mòbil", "Firefox / Windows", 3},
		},
		exchanges:     []demoExchange{{"ics", "borsa-infermeria"}},
		presentations: []demoPresentation{{"ajuntament-manresa", "serveis-socials", true}, {"ahc", "ajut-lloguer-residencia", false}},
	},
}

// demoText fills {Y}, {Y+1} and {curs} for a date.
func demoText(s string, at time.Time) string {
	if !strings.Contains(s, "{") {
		return s
	}
	y := Local(at).Year()
	curs := y // the school year starts in September
	if Local(at).Month() < time.July {
		curs--
	}
	return strings.NewReplacer("{Y}", strconv.Itoa(y), "{Y+1}", strconv.Itoa(y+1),
		"{curs}", strconv.Itoa(curs)+"-"+strconv.Itoa(curs+1)).Replace(s)
}

// demoAction is one dated thing of a persona's past.
type demoAction struct {
	at time.Time
	// act is set for what the citizen does in their wallet (the
	// deliveries before it are opened first, so the feed stays in order).
	act bool
	do  func(ctx context.Context, s *wallet.Session) error
}

// seedDemoLives fills each persona's space with demoLives through the same
// calls administrations and citizens make: first their past, dated relative
// to now and applied in time order, then the expiry of what they left
// unanswered, then today's Via Oberta exchanges and presentations, whose
// ledger receipts reach their wallets.
func (a *App) seedDemoLives(ctx context.Context, personas []demo.Persona) (err error) {
	if len(personas) != len(demoLives) {
		return fmt.Errorf("%d demo personas, %d demo lives", len(personas), len(demoLives))
	}
	sessions := make([]*wallet.Session, 0, len(personas))
	defer func() {
		for _, s := range sessions {
			s.Lock()
		}
	}()
	for i, life := range demoLives {
		p := personas[i]
		s, err := a.Wallet.Unlock(ctx, p.ID, p.Passphrase)
		if err != nil {
			return err
		}
		sessions = append(sessions, s)
		if err := a.seedPast(ctx, s, life); err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	if err := a.SweepTracking(ctx); err != nil { // the old unanswered notifications expire
		return err
	}
	for i, life := range demoLives {
		if err := a.seedToday(ctx, sessions[i], life); err != nil {
			return fmt.Errorf("%s: %w", personas[i].Name, err)
		}
	}
	return nil
}

// seedPast applies a persona's procedures, notifications, acts and logins
// in time order.
func (a *App) seedPast(ctx context.Context, s *wallet.Session, life demoLife) error {
	now := a.now()
	ago := func(days float64) time.Time { return now.Add(-time.Duration(days * 24 * float64(time.Hour))) }
	citizen := s.CitizenID()
	var acts []demoAction
	for _, pr := range life.procedures {
		first := ago(pr.steps[0].daysAgo)
		for _, st := range pr.steps {
			// Every update names the procedure, so each line of the
			// citizen's activity says which one moved.
			u := ProcedureUpdate{Administration: pr.admin, Ref: demoText(pr.ref, first), Citizen: citizen, Status: st.status,
				Title: demoText(pr.title, first), Note: demoText(st.note, first), Time: ago(st.daysAgo)}
			acts = append(acts, demoAction{at: u.Time, do: func(ctx context.Context, _ *wallet.Session) error {
				if _, err := a.UpdateProcedure(ctx, u); err != nil {
					return fmt.Errorf("procedure %s: %w", u.Ref, err)
				}
				return nil
			}})
		}
	}
	for _, n := range life.notifications {
		d := NotificationDeposit{Administration: n.admin, Citizen: citizen, Time: ago(n.daysAgo)}
		d.Ref, d.Subject, d.Body = demoText(n.ref, d.Time), demoText(n.subject, d.Time), demoText(n.body, d.Time)
		acts = append(acts, demoAction{at: d.Time, do: func(ctx context.Context, _ *wallet.Session) error {
			if _, err := a.DepositNotification(ctx, d); err != nil {
				return fmt.Errorf("notification %s: %w", d.Ref, err)
			}
			return nil
		}})
		if n.act == "" {
			continue
		}
		at, to := ago(n.actDaysAgo), n.act
		acts = append(acts, demoAction{at: at, act: true, do: func(ctx context.Context, s *wallet.Session) error {
			tn, err := a.Tracking.Notification(ctx, d.Administration, d.Ref)
			if err != nil {
				return err
			}
			if to != tracking.Read { // opened, then answered
				if _, err := a.actOnNotification(ctx, s, tn.Key, tracking.Read, at); err != nil {
					return err
				}
			}
			if _, err := a.actOnNotification(ctx, s, tn.Key, to, at); err != nil {
				return fmt.Errorf("notification %s: %w", d.Ref, err)
			}
			return nil
		}})
	}
	for _, l := range life.logins {
		lg := Login{Administration: l.admin, Citizen: citizen, Service: l.service, Method: l.method, Device: l.device, Time: ago(l.daysAgo)}
		acts = append(acts, demoAction{at: lg.Time, do: func(ctx context.Context, _ *wallet.Session) error { return a.RecordLogin(ctx, lg) }})
	}
	slices.SortStableFunc(acts, func(x, y demoAction) int { return x.at.Compare(y.at) })
	for _, act := range acts {
		if act.act {
			if _, err := s.OpenInbox(ctx); err != nil {
				return err
			}
		}
		if err := act.do(ctx, s); err != nil {
			return err
		}
	}
	_, err := s.OpenInbox(ctx)
	return err
}

// seedToday answers the persona's Via Oberta exchanges and verifier
// requests now, as the administrations and the citizen's phone would.
func (a *App) seedToday(ctx context.Context, s *wallet.Session, life demoLife) error {
	if _, err := s.OpenInbox(ctx); err != nil { // expiries first
		return err
	}
	for _, x := range life.exchanges {
		if _, err := a.Exchange(ctx, ExchangeQuery{Requester: x.requester, Purpose: x.purpose, Citizen: s.CitizenID()}); err != nil {
			return fmt.Errorf("exchange %s/%s: %w", x.requester, x.purpose, err)
		}
	}
	for _, p := range life.presentations {
		r, err := a.Verifier.CreateRequest(ctx, p.admin, p.purpose, verifier.FormatSDJWT, nil)
		if err != nil {
			return err
		}
		ir, err := a.OpenRequest(ctx, s, r.QR(a.publicBase))
		if err != nil {
			return fmt.Errorf("request %s/%s: %w", p.admin, p.purpose, err)
		}
		switch {
		case !p.approve:
			err = a.Decline(ctx, s, ir, "")
		case len(ir.Candidates) == 0:
			err = errors.New("no credential answers it")
		default:
			var out *verifier.Outcome
			out, err = a.Approve(ctx, s, ir, ir.Candidates[0].ID)
			if err == nil && out.State != verifier.StateAccepted {
				err = fmt.Errorf("the verifier answered %s", out.State)
			}
		}
		if err != nil {
			return fmt.Errorf("request %s/%s: %w", p.admin, p.purpose, err)
		}
	}
	_, err := s.OpenInbox(ctx) // the exchanges' receipts
	return err
}
