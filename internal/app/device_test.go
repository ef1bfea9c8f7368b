package app

import "testing"

func TestDeviceLabels(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36":                       "Chrome / Android",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1": "Safari / iOS",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                                  "Firefox / Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0":                   "Edge / Windows",
		"curl/8.5": "Web / ?",
		"":         "Web / ?",
	} {
		if got := DeviceLabel(ua); got != want {
			t.Errorf("DeviceLabel(%q) = %q, want %q", ua, got, want)
		}
	}
	for in, want := range map[string]string{
		"Android · Chrome":   "Chrome / Android",
		"Chrome / Android":   "Chrome / Android",
		"chrome on android":  "Chrome / Android",
		"iOS · Safari":       "Safari / iOS",
		"Chrome / ChromeOS":  "Chrome / ChromeOS",
		"Caixer automàtic 7": "Caixer automàtic 7",
		"  App Mòbil  ":      "App Mòbil",
	} {
		if got := NormalizeDevice(in); got != want {
			t.Errorf("NormalizeDevice(%q) = %q, want %q", in, got, want)
		}
	}
}
