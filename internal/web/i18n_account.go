package web

func init() {
	addMessages(map[string]map[string]string{
		"ca": {
			"mfa.title": "Segon factor", "mfa.code": "Codi de 6 xifres de l'aplicació d'autenticació", "mfa.help": "Obre l'aplicació d'autenticació del mòbil i escriu el codi que mostra ara per a El Meu Espai.",
			"mfa.wrong": "El codi no és correcte o ja s'ha fet servir.", "mfa.expired": "L'accés ha caducat. Torna a escriure la contrasenya.",
			"mfa.scan":    "Escaneja aquest codi amb l'aplicació d'autenticació del mòbil (per exemple, Google Authenticator, Microsoft Authenticator o FreeOTP).",
			"mfa.qrlabel": "Codi QR per a l'aplicació d'autenticació", "mfa.manual": "Si no pots escanejar-lo, escriu aquesta clau a l'aplicació:",
			"mfa.confirm": "Activa'l", "mfa.enabled": "Segon factor activat: a partir d'ara l'accés demanarà un codi.", "mfa.notconfirmed": "No s'ha pogut activar: el codi no és correcte o ha passat massa temps. Torna-ho a provar.",
			"mfa.disabled": "Segon factor desactivat.", "mfa.already": "Ja tens un segon factor actiu.", "mfa.on": "Actiu: l'accés demana la contrasenya i un codi del mòbil.",
			"mfa.off": "Afegeix un codi del mòbil a la contrasenya per protegir més el teu espai.", "mfa.enable": "Activa el segon factor", "mfa.disable": "Desactiva'l",
			"settings.email": "Avisos per correu electrònic", "settings.emailhelp": "T'avisarem quan rebis una notificació i quan li quedin menys de 3 dies. El correu no en diu el contingut.",
			"settings.emailoff": "(Aquest servidor encara no envia correus: els avisos es veuen aquí.)", "settings.emaillabel": "Adreça electrònica (deixa-la buida per no rebre'n)",
			"settings.emailsave": "Desa", "settings.emailsaved": "Desat: t'avisarem per correu.", "settings.emailremoved": "Ja no t'enviarem avisos per correu.", "settings.emailbad": "L'adreça electrònica no és vàlida.",
			"activity.second_factor_on": "Segon factor activat", "activity.second_factor_off": "Segon factor desactivat",
			"logins.method.passphrase": "contrasenya", "logins.method.passphrase+totp": "contrasenya i codi del mòbil",
		},
		"es": {
			"mfa.title": "Segundo factor", "mfa.code": "Código de 6 cifras de la aplicación de autenticación", "mfa.help": "Abre la aplicación de autenticación del móvil y escribe el código que muestra ahora para El Meu Espai.",
			"mfa.wrong": "El código no es correcto o ya se ha usado.", "mfa.expired": "El acceso ha caducado. Vuelve a escribir la contraseña.",
			"mfa.scan":    "Escanea este código con la aplicación de autenticación del móvil (por ejemplo, Google Authenticator, Microsoft Authenticator o FreeOTP).",
			"mfa.qrlabel": "Código QR para la aplicación de autenticación", "mfa.manual": "Si no puedes escanearlo, escribe esta clave en la aplicación:",
			"mfa.confirm": "Actívalo", "mfa.enabled": "Segundo factor activado: a partir de ahora el acceso pedirá un código.", "mfa.notconfirmed": "No se ha podido activar: el código no es correcto o ha pasado demasiado tiempo. Vuelve a intentarlo.",
			"mfa.disabled": "Segundo factor desactivado.", "mfa.already": "Ya tienes un segundo factor activo.", "mfa.on": "Activo: el acceso pide la contraseña y un código del móvil.",
			"mfa.off": "Añade un código del móvil a la contraseña para proteger más tu espacio.", "mfa.enable": "Activa el segundo factor", "mfa.disable": "Desactívalo",
			"settings.email": "Avisos por correo electrónico", "settings.emailhelp": "Te avisaremos cuando recibas una notificación y cuando le queden menos de 3 días. El correo no dice su contenido.",
			"settings.emailoff": "(Este servidor todavía no envía correos: los avisos se ven aquí.)", "settings.emaillabel": "Correo electrónico (déjalo vacío para no recibirlos)",
			"settings.emailsave": "Guarda", "settings.emailsaved": "Guardado: te avisaremos por correo.", "settings.emailremoved": "Ya no te enviaremos avisos por correo.", "settings.emailbad": "El correo electrónico no es válido.",
			"activity.second_factor_on": "Segundo factor activado", "activity.second_factor_off": "Segundo factor desactivado",
			"logins.method.passphrase": "contraseña", "logins.method.passphrase+totp": "contraseña y código del móvil",
		},
		"en": {
			"mfa.title": "Second factor", "mfa.code": "6-digit code from your authenticator app", "mfa.help": "Open the authenticator app on your phone and type the code it shows now for El Meu Espai.",
			"mfa.wrong": "The code is wrong or was already used.", "mfa.expired": "The sign-in expired. Type your passphrase again.",
			"mfa.scan":    "Scan this code with your phone's authenticator app (for example Google Authenticator, Microsoft Authenticator or FreeOTP).",
			"mfa.qrlabel": "QR code for the authenticator app", "mfa.manual": "If you cannot scan it, type this key into the app:",
			"mfa.confirm": "Turn it on", "mfa.enabled": "Second factor on: from now on signing in asks for a code.", "mfa.notconfirmed": "It could not be turned on: the code is wrong or too much time passed. Try again.",
			"mfa.disabled": "Second factor off.", "mfa.already": "You already have a second factor.", "mfa.on": "On: signing in asks for your passphrase and a code from your phone.",
			"mfa.off": "Add a code from your phone to your passphrase to protect your space better.", "mfa.enable": "Turn on the second factor", "mfa.disable": "Turn it off",
			"settings.email": "Alerts by e-mail", "settings.emailhelp": "We will tell you when you receive a notification and when it has less than 3 days left. The e-mail does not say what it is about.",
			"settings.emailoff": "(This server does not send e-mail yet: alerts are shown here.)", "settings.emaillabel": "E-mail address (leave it empty to receive none)",
			"settings.emailsave": "Save", "settings.emailsaved": "Saved: we will alert you by e-mail.", "settings.emailremoved": "We will no longer send you alerts by e-mail.", "settings.emailbad": "That e-mail address is not valid.",
			"activity.second_factor_on": "Second factor on", "activity.second_factor_off": "Second factor off",
			"logins.method.passphrase": "passphrase", "logins.method.passphrase+totp": "passphrase and phone code",
		},
	})
}
