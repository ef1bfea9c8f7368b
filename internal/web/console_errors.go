package web

// consoleError is a failed console action for staff, in their language: the
// HTTP status and a message naming the error's class (statusOf's code). For
// the classes whose English text names what was wrong (a bad value, an
// unregistered purpose) that text follows in brackets, as staff may need it
// to correct the form; internal details never reach the page.
func consoleError(tr translator, err error) (int, string) {
	code, body := statusOf(err)
	key := "console.err." + body.Code
	msg := tr.T(key)
	if msg == key {
		return code, body.Message
	}
	switch body.Code {
	case "bad_request", "not_registered", "conflict":
		msg += " (" + body.Message + ")"
	}
	return code, msg
}

func init() {
	addMessages(map[string]map[string]string{
		"ca": {
			"console.err.bad_request": "Les dades del formulari no són vàlides.", "console.err.not_found": "No s'ha trobat.",
			"console.err.nothing_to_issue":        "El registre no té cap dada d'aquest tipus per a aquesta persona.",
			"console.err.no_wallet":               "Aquesta persona encara no té El Meu Espai: les credencials es lliuren a la seva cartera.",
			"console.err.register_record_invalid": "El registre d'aquesta persona s'està corregint; no s'ha emès res.",
			"console.err.forbidden":               "La vostra administració no pot fer això.",
			"console.err.conflict":                "Aquest canvi d'estat no és possible.",
			"console.err.expired":                 "La sol·licitud ha caducat: obriu-ne una de nova.",
			"console.err.answered":                "La sol·licitud ja s'ha respost.",
			"console.err.not_registered":          "La vostra administració no té registrada aquesta finalitat.",
			"console.err.storage_full":            "El servidor s'ha quedat sense espai: torneu-ho a provar més tard (el que ja s'havia desat es manté).",
			"console.err.storage_unavailable":     "El servidor no pot desar dades ara: torneu-ho a provar més tard.",
			"console.err.overloaded":              "El registre públic està ocupat: torneu-ho a provar d'aquí a un moment.",
			"console.err.internal":                "No s'ha pogut fer per un error intern; s'ha enregistrat per revisar-lo.",
		},
		"es": {
			"console.err.bad_request": "Los datos del formulario no son válidos.", "console.err.not_found": "No se ha encontrado.",
			"console.err.nothing_to_issue":        "El registro no tiene ningún dato de este tipo para esta persona.",
			"console.err.no_wallet":               "Esta persona todavía no tiene El Meu Espai: las credenciales se entregan en su cartera.",
			"console.err.register_record_invalid": "El registro de esta persona se está corrigiendo; no se ha emitido nada.",
			"console.err.forbidden":               "Vuestra administración no puede hacer esto.",
			"console.err.conflict":                "Este cambio de estado no es posible.",
			"console.err.expired":                 "La solicitud ha caducado: abrid una nueva.",
			"console.err.answered":                "La solicitud ya se ha respondido.",
			"console.err.not_registered":          "Vuestra administración no tiene registrada esta finalidad.",
			"console.err.storage_full":            "El servidor se ha quedado sin espacio: volved a probarlo más tarde (lo que ya se había guardado se mantiene).",
			"console.err.storage_unavailable":     "El servidor no puede guardar datos ahora: volved a probarlo más tarde.",
			"console.err.overloaded":              "El registro público está ocupado: volved a probarlo en un momento.",
			"console.err.internal":                "No se ha podido hacer por un error interno; se ha registrado para revisarlo.",
		},
		"en": {
			"console.err.bad_request": "The form's data are not valid.", "console.err.not_found": "Not found.",
			"console.err.nothing_to_issue":        "The register holds no data of this kind for this person.",
			"console.err.no_wallet":               "This person has no Espai yet: credentials are delivered into their wallet.",
			"console.err.register_record_invalid": "This person's register record is being corrected; nothing was issued.",
			"console.err.forbidden":               "Your administration may not do this.",
			"console.err.conflict":                "That status change is not possible.",
			"console.err.expired":                 "The request expired: open a new one.",
			"console.err.answered":                "The request was already answered.",
			"console.err.not_registered":          "Your administration has not registered this purpose.",
			"console.err.storage_full":            "The server is out of storage: try again later (what was saved before is kept).",
			"console.err.storage_unavailable":     "The server cannot save data now: try again later.",
			"console.err.overloaded":              "The public ledger is busy: try again in a moment.",
			"console.err.internal":                "It could not be done because of an internal error; it was logged for review.",
		},
	})
}
