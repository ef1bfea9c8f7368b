package web

// Strings of the installable app: the offline page and the QR page's note.
func init() {
	addMessages(map[string]map[string]string{
		"ca": {
			"offline.title": "Sense connexió",
			"offline.intro": "Ara no hi ha connexió. Quan torni, el teu espai s'obrirà com sempre.",
			"offline.none":  "No tens cap codi QR vàlid desat en aquest dispositiu.",
			"offline.qralt": "L'últim codi QR que has mostrat",
			"offline.retry": "Torna-ho a provar",
			"qr.saved":      "Desat en aquest dispositiu: si perds la connexió, obre l'app i el podràs mostrar fins que caduqui.",
		},
		"es": {
			"offline.title": "Sin conexión",
			"offline.intro": "Ahora no hay conexión. Cuando vuelva, tu espacio se abrirá como siempre.",
			"offline.none":  "No tienes ningún código QR válido guardado en este dispositivo.",
			"offline.qralt": "El último código QR que has mostrado",
			"offline.retry": "Vuelve a probar",
			"qr.saved":      "Guardado en este dispositivo: si pierdes la conexión, abre la app y podrás mostrarlo hasta que caduque.",
		},
		"en": {
			"offline.title": "Offline",
			"offline.intro": "There is no connection right now. When it is back, your space opens as usual.",
			"offline.none":  "There is no valid QR code saved on this device.",
			"offline.qralt": "The last QR code you showed",
			"offline.retry": "Try again",
			"qr.saved":      "Saved on this device: if you lose the connection, open the app and you can show it until it expires.",
		},
	})
}
