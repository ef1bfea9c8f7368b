package web

func init() {
	addMessages(map[string]map[string]string{
		"ca": {
			"exchange.help": "Consulta, per a una finalitat registrada de la teva administració, les dades que té el registre d'una altra administració. La consulta queda al registre públic i la persona la veu al seu espai.", "exchange.purpose": "Finalitat", "exchange.submit": "Consulta", "exchange.recorded": "Només es tornen les dades que cobreix la finalitat.", "exchange.nopurposes": "La teva administració no té cap finalitat registrada per consultar dades.", "exchange.answer": "Resposta", "exchange.source": "Registre consultat", "exchange.entry": "Entrada al registre públic",
			"console.brand": "Espai · Consola de l'administració", "console.menu": "Consola", "console.home": "Inici", "console.footer": "consola del personal de les administracions",
			"console.title": "Què vols fer?", "console.login": "Accés del personal", "console.loginname": "Nom d'usuari", "console.password": "Contrasenya",
			"console.loginhelp": "Accés per al personal de les administracions. Els ciutadans entren pel seu espai.", "console.failed": "El nom d'usuari o la contrasenya no són correctes.",
			"console.forbidden": "No hi tens accés", "console.forbiddenhelp": "El teu compte no té el rol que cal per a aquesta pàgina.", "console.back": "Torna a la consola",
			"console.issuer": "Emissió", "console.issuerhelp": "Cerca una persona als registres, emet o revoca credencials i consulta'n les estadístiques.",
			"console.verifier": "Verificació", "console.verifierhelp": "Demana a un ciutadà que acrediti dades amb un codi QR i mira'n el resultat.",
			"console.scan": "Lector QR", "console.scanhelp": "Llegeix el codi QR que mostra un ciutadà amb la càmera o enganxa'n el contingut.",
			"console.exchange": "Via Oberta", "console.exchangehelp": "Consulta dades d'una persona al registre d'una altra administració, amb finalitat i base legal.",
			"console.audit": "Registre públic", "console.audithelp": "Entrades, punts de control i ancoratges a Ethereum; verifica'n la integritat.",
			"console.stats": "Estadístiques", "console.statshelp": "Intercanvis per administració, finalitat i base legal; consentiments; accessos sense consentiment.",
			"console.admin": "Personal", "console.adminhelp": "Comptes i rols del personal de la teva administració.",
		},
		"es": {
			"exchange.help": "Consulta, para una finalidad registrada de tu administración, los datos que tiene el registro de otra administración. La consulta queda en el registro público y la persona la ve en su espacio.", "exchange.purpose": "Finalidad", "exchange.submit": "Consulta", "exchange.recorded": "Solo se devuelven los datos que cubre la finalidad.", "exchange.nopurposes": "Tu administración no tiene ninguna finalidad registrada para consultar datos.", "exchange.answer": "Respuesta", "exchange.source": "Registro consultado", "exchange.entry": "Entrada en el registro público",
			"console.brand": "Espai · Consola de la administración", "console.menu": "Consola", "console.home": "Inicio", "console.footer": "consola del personal de las administraciones",
			"console.title": "¿Qué quieres hacer?", "console.login": "Acceso del personal", "console.loginname": "Nombre de usuario", "console.password": "Contraseña",
			"console.loginhelp": "Acceso para el personal de las administraciones. La ciudadanía entra por su espacio.", "console.failed": "El nombre de usuario o la contraseña no son correctos.",
			"console.forbidden": "No tienes acceso", "console.forbiddenhelp": "Tu cuenta no tiene el rol necesario para esta página.", "console.back": "Vuelve a la consola",
			"console.issuer": "Emisión", "console.issuerhelp": "Busca a una persona en los registros, emite o revoca credenciales y consulta sus estadísticas.",
			"console.verifier": "Verificación", "console.verifierhelp": "Pide a un ciudadano que acredite datos con un código QR y consulta el resultado.",
			"console.scan": "Lector QR", "console.scanhelp": "Lee el código QR que muestra un ciudadano con la cámara o pega su contenido.",
			"console.exchange": "Vía Abierta", "console.exchangehelp": "Consulta datos de una persona en el registro de otra administración, con finalidad y base legal.",
			"console.audit": "Registro público", "console.audithelp": "Entradas, puntos de control y anclajes en Ethereum; verifica su integridad.",
			"console.stats": "Estadísticas", "console.statshelp": "Intercambios por administración, finalidad y base legal; consentimientos; accesos sin consentimiento.",
			"console.admin": "Personal", "console.adminhelp": "Cuentas y roles del personal de tu administración.",
		},
		"en": {
			"exchange.help": "For one of your administration's registered purposes, query the data another administration's register holds. The query goes on the public ledger and the person sees it in their space.", "exchange.purpose": "Purpose", "exchange.submit": "Query", "exchange.recorded": "Only the data the purpose covers is returned.", "exchange.nopurposes": "Your administration has no registered purpose to query data for.", "exchange.answer": "Answer", "exchange.source": "Register queried", "exchange.entry": "Public ledger entry",
			"console.brand": "Espai · Administration console", "console.menu": "Console", "console.home": "Home", "console.footer": "console for administration staff",
			"console.title": "What do you want to do?", "console.login": "Staff sign-in", "console.loginname": "User name", "console.password": "Password",
			"console.loginhelp": "For administration staff. Citizens sign in to their own space.", "console.failed": "The user name or the password is wrong.",
			"console.forbidden": "No access", "console.forbiddenhelp": "Your account lacks the role this page needs.", "console.back": "Back to the console",
			"console.issuer": "Issuing", "console.issuerhelp": "Find a person in the registers, issue or revoke credentials and see issuing statistics.",
			"console.verifier": "Verifying", "console.verifierhelp": "Ask a citizen to prove data with a QR code and see the verdict.",
			"console.scan": "QR reader", "console.scanhelp": "Read the QR code a citizen shows with the camera or paste its content.",
			"console.exchange": "Via Oberta", "console.exchangehelp": "Query a person's data in another administration's register, with a purpose and legal basis.",
			"console.audit": "Public ledger", "console.audithelp": "Entries, checkpoints and Ethereum anchors; verify its integrity.",
			"console.stats": "Statistics", "console.statshelp": "Exchanges per administration, purpose and legal basis; consents; accesses without consent.",
			"console.admin": "Staff", "console.adminhelp": "Accounts and roles of your administration's staff.",
		},
	})
}
