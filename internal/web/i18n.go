package web

import (
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"
)

// Languages of the citizen's space; Catalan is the default.
var languages = []string{"ca", "es", "en"}

const langCookie = "espai_lang"

// messages holds every string of the citizen's pages in each language.
var messages = map[string]map[string]string{
	"ca": {
		"app.name": "El Meu Espai", "nav.home": "Inici", "nav.credentials": "Credencials", "nav.data": "Qui ha usat les meves dades",
		"nav.sessions": "Sessions", "nav.logout": "Surt", "lang.label": "Idioma",
		"login.title": "Accedeix al teu espai", "login.id": "DNI o NIE", "login.passphrase": "Contrasenya de la cartera",
		"login.submit": "Entra", "login.failed": "El DNI/NIE o la contrasenya no són correctes.",
		"login.limited": "Massa intents. Torna-ho a provar d'aquí a uns minuts.", "login.help": "La contrasenya obre la teva cartera: ningú més, ni l'administració, la pot llegir.",
		"home.title": "Hola, %s", "home.activity": "Activitat recent", "home.expiring": "Credencials que caduquen aviat", "home.none": "Res a destacar ara mateix.",
		"creds.title": "Les meves credencials", "creds.empty": "Encara no tens cap credencial.", "creds.issuer": "Emesa per", "creds.issued": "Emesa el",
		"creds.expires": "Caduca el", "creds.never": "No caduca", "creds.claims": "Dades", "creds.format": "Format", "creds.rejected": "Lliuraments rebutjats",
		"data.title": "Qui ha usat les meves dades", "data.empty": "Cap administració ha usat encara les teves dades.", "data.verified": "Rebut verificat al registre públic",
		"data.unverified": "El rebut no es pot verificar", "data.index": "Entrada", "data.purpose": "Finalitat", "data.basis": "Base legal", "data.when": "Quan",
		"sessions.title": "Sessions obertes", "sessions.current": "aquesta", "sessions.end": "Tanca", "sessions.started": "Oberta el",
		"type.census": "Volant d'empadronament", "type.tax": "Certificat d'estar al corrent de les obligacions tributàries", "type.degree": "Títol universitari", "type.worklife": "Vida laboral",
		"kind.credential-issued": "Credencial emesa", "kind.credential-revoked": "Credencial revocada", "kind.credential-suspended": "Credencial suspesa",
		"kind.credential-reinstated": "Credencial restablerta", "kind.consent-given": "Consentiment donat", "kind.consent-refused": "Consentiment denegat",
		"kind.consent-withdrawn": "Consentiment retirat", "kind.presentation-verified": "Dades verificades", "kind.data-exchange": "Consulta entre administracions",
		"qr.title": "Mostra-ho amb un codi QR", "qr.choose": "Tria què vols mostrar (només això es mostrarà)", "qr.show": "Genera el codi",
		"qr.valid": "Vàlid fins a les %s, una sola lectura", "creds.showqr": "Mostra amb QR", "nav.requests": "Sol·licituds", "nav.consents": "Consentiments",
		"req.title": "Una administració et demana dades", "req.uri": "Enllaç de la sol·licitud (openid4vp://)", "req.open": "Obre",
		"req.asks": "Demana", "req.retention": "Dies que ho conservarà", "req.approve": "Comparteix només això", "req.refuse": "No ho comparteixis",
		"req.nocred": "No tens cap credencial que respongui aquesta sol·licitud.", "req.outcome.accepted": "Fet: l'administració ha verificat les dades.", "req.outcome.rejected": "L'administració no ha pogut verificar les dades.",
		"req.outcome.refused": "Has rebutjat la sol·licitud. Queda registrat.",
		"consents.title":      "Els meus consentiments", "consents.empty": "No tens cap consentiment actiu.", "consents.withdraw": "Retira'l",
		"nav.skip": "Salta al contingut", "home.alerts": "Cal que hi paris atenció", "alert.mute": "No m'avisis més d'això",
		"alert.credential_expiring":    "El teu %[1]s caduca el %[2]s. Demana'n un de nou abans.",
		"alert.credential_expired":     "El teu %[1]s va caducar el %[2]s: ja no serveix per a cap tràmit.",
		"alert.credential_revoked":     "L'administració ha revocat o suspès una credencial (%[1]s): %[2]s.",
		"alert.new_device":             "S'ha entrat al teu espai des d'un dispositiu nou (%[1]s, %[2]s). Si no has estat tu, tanca la sessió i canvia la contrasenya.",
		"alert.access_without_consent": "%[1]s ha usat les teves dades (%[2]s) sense consentiment ni base legal declarada.",
		"alert.life_new_address":       "T'has empadronat a %[1]s: actualitza l'adreça al metge de capçalera, a l'escola i al banc.",
		"alert.life_degree":            "Has obtingut el %[1]s: si exerciràs, mira si cal col·legiar-te.",
		"alert.life_family_support":    "La teva família té un expedient de %[1]s: consulta els ajuts a què pots tenir dret (beques menjador, renda garantida).",
		"type.census.short":            "volant d'empadronament", "type.tax.short": "certificat tributari", "type.degree.short": "títol", "type.worklife.short": "informe de vida laboral",
		"nav.settings": "Configuració", "settings.title": "Configuració", "settings.alerts": "Avisos",
		"settings.passphrase": "Canvia la contrasenya", "settings.current": "Contrasenya actual",
		"settings.new": "Contrasenya nova (mínim 12 caràcters)", "settings.change": "Canvia-la", "settings.changed": "Contrasenya canviada.",
		"settings.wrong": "La contrasenya actual no és correcta o la nova és massa curta.", "settings.export": "Descarrega una còpia de seguretat",
		"settings.exporthelp": "Un fitxer xifrat amb la teva contrasenya, que pots importar en un altre Espai.", "settings.download": "Descarrega",
		"settings.erase": "Esborra el meu espai", "settings.erasehelp": "Es destrueixen les claus i tots els registres. No es pot desfer; el registre públic continua sent vàlid però ja no es pot vincular amb tu.",
		"settings.eraseconfirm": "Entenc que no es pot desfer", "settings.erasebutton": "Esborra-ho tot",
		"alertkind.credential_expiring": "Credencials a punt de caducar", "alertkind.credential_expired": "Credencials caducades", "alertkind.credential_revoked": "Credencials revocades", "alertkind.new_device": "Accés des d'un dispositiu nou", "alertkind.access_without_consent": "Ús de dades sense consentiment", "alertkind.life_new_address": "Canvi d'adreça", "alertkind.life_degree": "Títol obtingut", "alertkind.life_family_support": "Ajuts per a la família",
		"req.which": "Amb quina credencial?", "error.title": "No s'ha pogut fer", "error.back": "Torna a l'inici",
	},
	"es": {
		"app.name": "Mi Espacio", "nav.home": "Inicio", "nav.credentials": "Credenciales", "nav.data": "Quién ha usado mis datos",
		"nav.sessions": "Sesiones", "nav.logout": "Salir", "lang.label": "Idioma",
		"login.title": "Accede a tu espacio", "login.id": "DNI o NIE", "login.passphrase": "Contraseña de la cartera",
		"login.submit": "Entrar", "login.failed": "El DNI/NIE o la contraseña no son correctos.",
		"login.limited": "Demasiados intentos. Vuelve a probar dentro de unos minutos.", "login.help": "La contraseña abre tu cartera: nadie más, ni la administración, puede leerla.",
		"home.title": "Hola, %s", "home.activity": "Actividad reciente", "home.expiring": "Credenciales que caducan pronto", "home.none": "Nada que destacar ahora mismo.",
		"creds.title": "Mis credenciales", "creds.empty": "Todavía no tienes ninguna credencial.", "creds.issuer": "Emitida por", "creds.issued": "Emitida el",
		"creds.expires": "Caduca el", "creds.never": "No caduca", "creds.claims": "Datos", "creds.format": "Formato", "creds.rejected": "Entregas rechazadas",
		"data.title": "Quién ha usado mis datos", "data.empty": "Ninguna administración ha usado todavía tus datos.", "data.verified": "Recibo verificado en el registro público",
		"data.unverified": "El recibo no se puede verificar", "data.index": "Entrada", "data.purpose": "Finalidad", "data.basis": "Base legal", "data.when": "Cuándo",
		"sessions.title": "Sesiones abiertas", "sessions.current": "esta", "sessions.end": "Cerrar", "sessions.started": "Abierta el",
		"type.census": "Volante de empadronamiento", "type.tax": "Certificado de estar al corriente de las obligaciones tributarias", "type.degree": "Título universitario", "type.worklife": "Vida laboral",
		"kind.credential-issued": "Credencial emitida", "kind.credential-revoked": "Credencial revocada", "kind.credential-suspended": "Credencial suspendida",
		"kind.credential-reinstated": "Credencial restablecida", "kind.consent-given": "Consentimiento dado", "kind.consent-refused": "Consentimiento denegado",
		"kind.consent-withdrawn": "Consentimiento retirado", "kind.presentation-verified": "Datos verificados", "kind.data-exchange": "Consulta entre administraciones",
		"qr.title": "Muéstralo con un código QR", "qr.choose": "Elige qué quieres mostrar (solo se mostrará eso)", "qr.show": "Genera el código",
		"qr.valid": "Válido hasta las %s, una sola lectura", "creds.showqr": "Mostrar con QR", "nav.requests": "Solicitudes", "nav.consents": "Consentimientos",
		"req.title": "Una administración te pide datos", "req.uri": "Enlace de la solicitud (openid4vp://)", "req.open": "Abrir",
		"req.asks": "Pide", "req.retention": "Días que lo conservará", "req.approve": "Comparte solo esto", "req.refuse": "No lo compartas",
		"req.nocred": "No tienes ninguna credencial que responda a esta solicitud.", "req.outcome.accepted": "Hecho: la administración ha verificado los datos.", "req.outcome.rejected": "La administración no ha podido verificar los datos.",
		"req.outcome.refused": "Has rechazado la solicitud. Queda registrado.",
		"consents.title":      "Mis consentimientos", "consents.empty": "No tienes ningún consentimiento activo.", "consents.withdraw": "Retirarlo",
		"nav.skip": "Salta al contenido", "home.alerts": "Requiere tu atención", "alert.mute": "No me avises más de esto",
		"alert.credential_expiring":    "Tu %[1]s caduca el %[2]s. Pide uno nuevo antes.",
		"alert.credential_expired":     "Tu %[1]s caducó el %[2]s: ya no sirve para ningún trámite.",
		"alert.credential_revoked":     "La administración ha revocado o suspendido una credencial (%[1]s): %[2]s.",
		"alert.new_device":             "Se ha entrado en tu espacio desde un dispositivo nuevo (%[1]s, %[2]s). Si no has sido tú, cierra la sesión y cambia la contraseña.",
		"alert.access_without_consent": "%[1]s ha usado tus datos (%[2]s) sin consentimiento ni base legal declarada.",
		"alert.life_new_address":       "Te has empadronado en %[1]s: actualiza la dirección en tu centro de salud, la escuela y el banco.",
		"alert.life_degree":            "Has obtenido el %[1]s: si vas a ejercer, mira si debes colegiarte.",
		"alert.life_family_support":    "Tu familia tiene un expediente de %[1]s: consulta las ayudas a las que puedes tener derecho (becas comedor, renta garantizada).",
		"type.census.short":            "volante de empadronamiento", "type.tax.short": "certificado tributario", "type.degree.short": "título", "type.worklife.short": "informe de vida laboral",
		"nav.settings": "Configuración", "settings.title": "Configuración", "settings.alerts": "Avisos",
		"settings.passphrase": "Cambia la contraseña", "settings.current": "Contraseña actual",
		"settings.new": "Contraseña nueva (mínimo 12 caracteres)", "settings.change": "Cambiarla", "settings.changed": "Contraseña cambiada.",
		"settings.wrong": "La contraseña actual no es correcta o la nueva es demasiado corta.", "settings.export": "Descarga una copia de seguridad",
		"settings.exporthelp": "Un fichero cifrado con tu contraseña, que puedes importar en otro Espai.", "settings.download": "Descargar",
		"settings.erase": "Borra mi espacio", "settings.erasehelp": "Se destruyen las claves y todos los registros. No se puede deshacer; el registro público sigue siendo válido pero ya no se puede vincular contigo.",
		"settings.eraseconfirm": "Entiendo que no se puede deshacer", "settings.erasebutton": "Borrarlo todo",
		"alertkind.credential_expiring": "Credenciales a punto de caducar", "alertkind.credential_expired": "Credenciales caducadas", "alertkind.credential_revoked": "Credenciales revocadas", "alertkind.new_device": "Acceso desde un dispositivo nuevo", "alertkind.access_without_consent": "Uso de datos sin consentimiento", "alertkind.life_new_address": "Cambio de dirección", "alertkind.life_degree": "Título obtenido", "alertkind.life_family_support": "Ayudas para la familia",
		"req.which": "¿Con qué credencial?", "error.title": "No se ha podido hacer", "error.back": "Vuelve al inicio",
	},
	"en": {
		"app.name": "My Space", "nav.home": "Home", "nav.credentials": "Credentials", "nav.data": "Who used my data",
		"nav.sessions": "Sessions", "nav.logout": "Log out", "lang.label": "Language",
		"login.title": "Sign in to your space", "login.id": "DNI or NIE", "login.passphrase": "Wallet passphrase",
		"login.submit": "Sign in", "login.failed": "The DNI/NIE or the passphrase is not correct.",
		"login.limited": "Too many attempts. Try again in a few minutes.", "login.help": "Your passphrase opens your wallet: nobody else, not even the administration, can read it.",
		"home.title": "Hello, %s", "home.activity": "Recent activity", "home.expiring": "Credentials expiring soon", "home.none": "Nothing needs your attention right now.",
		"creds.title": "My credentials", "creds.empty": "You have no credentials yet.", "creds.issuer": "Issued by", "creds.issued": "Issued on",
		"creds.expires": "Expires on", "creds.never": "Does not expire", "creds.claims": "Data", "creds.format": "Format", "creds.rejected": "Refused deliveries",
		"data.title": "Who used my data", "data.empty": "No administration has used your data yet.", "data.verified": "Receipt verified on the public ledger",
		"data.unverified": "The receipt cannot be verified", "data.index": "Entry", "data.purpose": "Purpose", "data.basis": "Legal basis", "data.when": "When",
		"sessions.title": "Open sessions", "sessions.current": "this one", "sessions.end": "End", "sessions.started": "Started",
		"type.census": "Census registration certificate", "type.tax": "Tax compliance certificate", "type.degree": "University degree", "type.worklife": "Working life report",
		"kind.credential-issued": "Credential issued", "kind.credential-revoked": "Credential revoked", "kind.credential-suspended": "Credential suspended",
		"kind.credential-reinstated": "Credential reinstated", "kind.consent-given": "Consent given", "kind.consent-refused": "Consent refused",
		"kind.consent-withdrawn": "Consent withdrawn", "kind.presentation-verified": "Data verified", "kind.data-exchange": "Exchange between administrations",
		"qr.title": "Show it with a QR code", "qr.choose": "Choose what to show (only that is shown)", "qr.show": "Make the code",
		"qr.valid": "Valid until %s, one scan only", "creds.showqr": "Show as QR", "nav.requests": "Requests", "nav.consents": "Consents",
		"req.title": "An administration asks for your data", "req.uri": "Request link (openid4vp://)", "req.open": "Open",
		"req.asks": "Asks for", "req.retention": "Days it keeps it", "req.approve": "Share only this", "req.refuse": "Do not share",
		"req.nocred": "None of your credentials answers this request.", "req.outcome.accepted": "Done: the administration verified the data.", "req.outcome.rejected": "The administration could not verify the data.",
		"req.outcome.refused": "You refused the request. It is on record.",
		"consents.title":      "My consents", "consents.empty": "You have no active consents.", "consents.withdraw": "Withdraw",
		"nav.skip": "Skip to content", "home.alerts": "Needs your attention", "alert.mute": "Stop telling me about this",
		"alert.credential_expiring":    "Your %[1]s expires on %[2]s. Ask for a new one before then.",
		"alert.credential_expired":     "Your %[1]s expired on %[2]s: it no longer works for any procedure.",
		"alert.credential_revoked":     "The administration revoked or suspended a credential (%[1]s): %[2]s.",
		"alert.new_device":             "Someone signed in to your space from a new device (%[1]s, %[2]s). If it was not you, end that session and change your passphrase.",
		"alert.access_without_consent": "%[1]s used your data (%[2]s) with no consent and no declared legal basis.",
		"alert.life_new_address":       "You registered in %[1]s: update your address with your GP, school and bank.",
		"alert.life_degree":            "You were awarded the %[1]s: if you will practise, check whether you must join a professional association.",
		"alert.life_family_support":    "Your family has a %[1]s case: check the benefits you may be entitled to (school meal grants, guaranteed income).",
		"type.census.short":            "census certificate", "type.tax.short": "tax certificate", "type.degree.short": "degree", "type.worklife.short": "working life report",
		"nav.settings": "Settings", "settings.title": "Settings", "settings.alerts": "Alerts",
		"settings.passphrase": "Change your passphrase", "settings.current": "Current passphrase",
		"settings.new": "New passphrase (at least 12 characters)", "settings.change": "Change it", "settings.changed": "Passphrase changed.",
		"settings.wrong": "The current passphrase is wrong or the new one is too short.", "settings.export": "Download a backup",
		"settings.exporthelp": "A file encrypted with your passphrase, which another Espai can import.", "settings.download": "Download",
		"settings.erase": "Erase my space", "settings.erasehelp": "Your keys and every record are destroyed. This cannot be undone; the public ledger stays valid but can no longer be linked to you.",
		"settings.eraseconfirm": "I understand it cannot be undone", "settings.erasebutton": "Erase everything",
		"alertkind.credential_expiring": "Credentials about to expire", "alertkind.credential_expired": "Expired credentials", "alertkind.credential_revoked": "Revoked credentials", "alertkind.new_device": "Sign-in from a new device", "alertkind.access_without_consent": "Data used without consent", "alertkind.life_new_address": "Change of address", "alertkind.life_degree": "Degree awarded", "alertkind.life_family_support": "Family support",
		"req.which": "With which credential?", "error.title": "That did not work", "error.back": "Back to home",
	},
}

// addMessages merges a feature's strings into the catalogue; feature files
// call it from init so each keeps its strings next to its handlers.
func addMessages(all map[string]map[string]string) {
	for lang, m := range all {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

// translator renders a key in one language, falling back to Catalan and then
// to the key itself (a test checks every key exists in every language).
type translator string

func (l translator) T(key string, args ...any) string {
	m, ok := messages[string(l)][key]
	if !ok {
		m, ok = messages["ca"][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// langOf picks the language: ?lang=, then the cookie, then Accept-Language,
// then Catalan.
func langOf(c *gin.Context) string {
	if l := c.Query("lang"); supported(l) {
		c.SetSameSite(3) // http.SameSiteStrictMode
		c.SetCookie(langCookie, l, 365*24*3600, "/", "", c.GetBool(ctxOverTLS), true)
		return l
	}
	if l, err := c.Cookie(langCookie); err == nil && supported(l) {
		return l
	}
	for _, part := range strings.Split(c.GetHeader("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if supported(base) {
			return base
		}
	}
	return "ca"
}

func supported(l string) bool {
	for _, x := range languages {
		if x == l {
			return true
		}
	}
	return false
}
