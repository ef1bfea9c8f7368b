package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"time"
)

// pages are what a citizen browses, each equally likely. A detail page
// ("/credentials/:id") needs an id seen in a link; until the citizen has
// seen one it visits the list page (list) that shows those links.
var pages = []struct {
	path, list string
}{
	{"/", ""},
	{"/credentials", ""},
	{"/credentials/", "/credentials"},
	{"/procedures", ""},
	{"/procedures/", "/procedures"},
	{"/notifications", ""},
	{"/notifications/", "/notifications"},
	{"/data", ""},
	{"/consents", ""},
	{"/sessions", ""},
	{"/settings", ""},
}

// listPages are the pages whose links the citizen remembers.
var listPages = []string{"/", "/credentials", "/procedures", "/notifications"}

// devices are the browsers citizens use (the sessions page shows them).
var devices = []string{
	"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
}

// browser is one citizen's browser: its own cookie jar and keep-alive
// connection, no redirects followed, and the links it has seen. A browser
// is used by one goroutine at a time; tab gives another goroutine its own.
// A staff system's client is a browser too, with a bearer token and no
// cookies needed.
type browser struct {
	base     string
	who      citizen
	token    string // staff API token, sent as a bearer token when set
	client   *http.Client
	ua, lang string
	rng      *mrand.Rand
	links    map[string][]string // "/credentials/" -> ids seen
	rec      *recorder
	buf      bytes.Buffer
}

func newBrowser(base string, who citizen, rec *recorder, seed uint64) *browser {
	jar, _ := cookiejar.New(nil)
	rng := mrand.New(mrand.NewPCG(seed, 0x6573706169))
	langs := []string{"ca", "ca", "ca", "ca", "ca", "ca", "es", "es", "en", "ca"} // mostly Catalan
	return &browser{
		base: base, who: who, rec: rec, rng: rng,
		ua: devices[rng.IntN(len(devices))], lang: langs[rng.IntN(len(langs))],
		links: map[string][]string{},
		client: &http.Client{
			Jar:           jar,
			Timeout:       2 * time.Minute, // logins queue behind two Argon2id derivations at a time
			Transport:     &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// newStaff returns the client of a staff system calling the API with token:
// a pool of keep-alive connections, since it has many requests in flight.
func newStaff(base, token string, rec *recorder) *browser {
	return &browser{
		base: base, token: token, rec: rec, ua: "espai-load staff system", lang: "ca",
		client: &http.Client{
			Timeout:       2 * time.Minute,
			Transport:     &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// tab returns another tab of the same browser, for use by another
// goroutine: the same cookie jar (so the same session), connections and
// device, its own buffer. It does not browse (no random source, no links).
func (b *browser) tab() *browser {
	return &browser{base: b.base, who: b.who, token: b.token, client: b.client, ua: b.ua, lang: b.lang, rec: b.rec}
}

// response is what a request returned.
type response struct {
	code     int
	location string
	body     string // kept only when asked for
}

// do sends one request, with form (when not nil) as its urlencoded body;
// see send.
func (b *browser) do(ctx context.Context, method, path string, form url.Values, keepBody bool) (response, error) {
	if form == nil {
		return b.send(ctx, method, path, "", nil, keepBody)
	}
	return b.send(ctx, method, path, "application/x-www-form-urlencoded", []byte(form.Encode()), keepBody)
}

// send sends one request (path may carry a query) and records its
// client-side latency and outcome under its route, in the phase current when
// it was sent. A transport error, a status of 400 or more, or a page sending
// the citizen back to /login (the session was lost) is an error.
func (b *browser) send(ctx context.Context, method, path, contentType string, payload []byte, keepBody bool) (response, error) {
	phase := b.rec.phase.Load()
	p, _, _ := strings.Cut(path, "?")
	route := routeOf(method, p)
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("User-Agent", b.ua)
	req.Header.Set("Accept-Language", b.lang)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		b.rec.client(phase, route, 0, true)
		return response{}, err
	}
	b.buf.Reset()
	_, err = b.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	r := response{code: resp.StatusCode, location: resp.Header.Get("Location")}
	if keepBody {
		r.body = b.buf.String()
	}
	switch {
	case err != nil:
	case r.code >= 400:
		err = fmt.Errorf("%s %s: status %d", method, route, r.code)
	case r.location == "/login" && path != "/logout":
		err = fmt.Errorf("%s %s: sent back to /login", method, route)
	}
	b.rec.client(phase, route, d, err != nil)
	return r, err
}

// login signs in through the form, as a person would: the form's CSRF
// token (double submit with the pre-authentication cookie), then the home
// page the login redirects to.
func (b *browser) login(ctx context.Context) error {
	r, err := b.do(ctx, http.MethodGet, "/login", nil, true)
	if err != nil {
		return err
	}
	tok := csrfOf(r.body)
	if tok == "" {
		return errors.New("no csrf token in the login form")
	}
	r, err = b.do(ctx, http.MethodPost, "/login", url.Values{"csrf": {tok}, "citizen": {b.who.ID}, "passphrase": {b.who.Passphrase}}, false)
	if err != nil {
		return err
	}
	if r.code != http.StatusSeeOther || r.location != "/" {
		return fmt.Errorf("login: status %d, to %q", r.code, r.location)
	}
	return b.visit(ctx, "/")
}

// visit gets a page and remembers the links of list pages.
func (b *browser) visit(ctx context.Context, path string) error {
	list := slices.Contains(listPages, path)
	r, err := b.do(ctx, http.MethodGet, path, nil, list)
	if err != nil || !list {
		return err
	}
	for _, prefix := range []string{"/credentials/", "/procedures/", "/notifications/"} {
		for _, id := range links(r.body, prefix) {
			if !slices.Contains(b.links[prefix], id) {
				b.links[prefix] = append(b.links[prefix], id)
			}
		}
	}
	return nil
}

// browse visits random pages, thinking between them, until the deadline
// passes. A request started before the deadline is let finish. Errors are
// recorded; browsing goes on.
func (b *browser) browse(ctx context.Context, deadline time.Time, thinkMin, thinkMax time.Duration) {
	for {
		think := thinkMin
		if thinkMax > thinkMin {
			think += time.Duration(b.rng.Int64N(int64(thinkMax - thinkMin)))
		}
		if time.Now().Add(think).After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(think):
		}
		pg := pages[b.rng.IntN(len(pages))]
		path := pg.path
		if pg.list != "" {
			if ids := b.links[pg.path]; len(ids) > 0 {
				path += ids[b.rng.IntN(len(ids))]
			} else {
				path = pg.list
			}
		}
		_ = b.visit(ctx, path) // recorded by do
	}
}

// csrfOf returns the value of a page's first hidden csrf field.
func csrfOf(html string) string { return valueOf(html, "csrf") }

// valueOf returns the value of the first input named name in html, written
// as the templates write it (name="..." value="...").
func valueOf(html, name string) string {
	field := `name="` + name + `" value="`
	i := strings.Index(html, field)
	if i < 0 {
		return ""
	}
	v := html[i+len(field):]
	if j := strings.IndexByte(v, '"'); j >= 0 {
		return v[:j]
	}
	return ""
}

// links returns the last path segment of every href="<prefix><segment>" in
// html, in order, without duplicates. Deeper links (prefix + id + "/qr")
// are not detail pages and are skipped. strings.Index keeps this cheap: the
// client shares the machine with the server it measures.
func links(html, prefix string) []string {
	needle := `href="` + prefix
	var out []string
	for {
		i := strings.Index(html, needle)
		if i < 0 {
			return out
		}
		html = html[i+len(needle):]
		j := strings.IndexAny(html, `"/?#`)
		if j <= 0 || html[j] != '"' {
			continue
		}
		if id := html[:j]; !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
}
