package web

import (
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

// The citizen's space installs on a phone as an app (a progressive web app):
// a web app manifest, icons, and a service worker that keeps the app shell
// and the last QR code the citizen showed, so that the code can be shown at
// a counter without a connection (static/sw.js says what it keeps and for
// how long). The service worker is served at /sw.js, not under /static/, so
// that its scope is the whole space; the only script the pages load is
// static/espai.js, which registers it (the CSP forbids inline scripts).
//
//go:generate go run gen_icons.go

// pwaFile is one embedded file served at the root.
type pwaFile struct {
	path, contentType string
	body              []byte
}

func mustStatic(name, contentType string) pwaFile {
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil {
		panic("web: missing embedded static/" + name) // a build defect, not a runtime condition
	}
	return pwaFile{path: "/" + name, contentType: contentType, body: b}
}

func (s *Server) mountPWA(r *gin.Engine) {
	for _, f := range []pwaFile{
		mustStatic("manifest.webmanifest", "application/manifest+json"),
		mustStatic("sw.js", "text/javascript; charset=utf-8"),
	} {
		r.GET(f.path, func(c *gin.Context) {
			// Revalidated at every use, so that a new release reaches
			// installed apps at their next start.
			c.Header("Cache-Control", "no-cache")
			c.Data(http.StatusOK, f.contentType, f.body)
		})
	}
	r.GET("/offline", s.offline)
}

// offline is the page the service worker shows when there is no network:
// no personal data, so it can be kept; the script fills in the kept QR.
func (s *Server) offline(c *gin.Context) {
	s.render(c, http.StatusOK, "offline", "offline.title", "", nil, nil)
}
