package main

import (
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"none", nil, 99, 0},
		{"one", ms(7), 50, 7 * time.Millisecond},
		{"median of four", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p90 of 100", ms(hundred...), 90, 90 * time.Millisecond},
		{"max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.samples, tc.p); got != tc.want {
				t.Fatalf("percentile(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestRouteOf(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/", "GET /"},
		{"GET", "/healthz", "GET /healthz"},
		{"POST", "/login", "POST /login"},
		{"GET", "/credentials", "GET /credentials"},
		{"GET", "/credentials/9f86d081884c7d65", "GET /credentials/:id"},
		{"GET", "/credentials/9f86d081884c7d65/qr", "GET /credentials/:id/qr"},
		{"GET", "/procedures/6b1f3c0e-8d4a-4e0c-9d55-1c2b3a4d5e6f", "GET /procedures/:key"},
		{"POST", "/notifications/6b1f3c0e/accept", "POST /notifications/:key/accept"},
		{"GET", "/notifications/", "GET (other)"},
		{"GET", "/static/espai.css", "GET /static/*filepath"},
		{"GET", "/issuers/atc/did.json", "GET (other)"},
		{"GET", "/credentials/a/b/c/d", "GET (other)"},
	} {
		if got := routeOf(tc.method, tc.path); got != tc.want {
			t.Errorf("routeOf(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestLinks(t *testing.T) {
	html := `<a href="/credentials/ab12">x</a><a href="/credentials/ab12/qr">qr</a>` +
		`<a href="/credentials/cd34">y</a><a href="/credentials/ab12">again</a><a href="/credentials">all</a>` +
		`<a href="/notifications/n-1?x=1">n</a><a href="/notifications/n-2">n</a>`
	if got, want := links(html, "/credentials/"), []string{"ab12", "cd34"}; !slices.Equal(got, want) {
		t.Errorf("credentials: %q, want %q", got, want)
	}
	if got, want := links(html, "/notifications/"), []string{"n-2"}; !slices.Equal(got, want) {
		t.Errorf("notifications: %q, want %q", got, want)
	}
	if got := links(html, "/procedures/"); got != nil {
		t.Errorf("procedures: %q", got)
	}
	if got := csrfOf(`<input type="hidden" name="csrf" value="tok-1"><input name="csrf" value="tok-2">`); got != "tok-1" {
		t.Errorf("csrf: %q", got)
	}
}
