package app

import "strings"

// Devices in the login history are short labels, "Chrome / Android", never
// a whole User-Agent: enough for a citizen to recognise their phone, too
// little to fingerprint it. Espai's own logins and those other public
// services report through the API are put in the same form, so the
// new-device alert compares like with like.

var (
	browsers = []struct{ key, name string }{{"edg", "Edge"}, {"edge", "Edge"}, {"firefox", "Firefox"}, {"samsungbrowser", "Samsung Internet"},
		{"opr", "Opera"}, {"opera", "Opera"}, {"chrome", "Chrome"}, {"chromium", "Chrome"}, {"crios", "Chrome"}, {"safari", "Safari"}}
	systems = []struct{ key, name string }{{"android", "Android"}, {"iphone", "iOS"}, {"ios", "iOS"}, {"ipad", "iPadOS"},
		{"windows", "Windows"}, {"mac os x", "macOS"}, {"macos", "macOS"}, {"cros", "ChromeOS"}, {"chromeos", "ChromeOS"}, {"linux", "Linux"}}
)

// DeviceLabel is the login-history label of a browser's User-Agent:
// "Browser / System", "Web" or "?" for what it does not recognise.
func DeviceLabel(userAgent string) string {
	ua := strings.ToLower(userAgent)
	browser, system := findName(browsers, func(key string) bool { return strings.Contains(ua, key+"/") }), findName(systems, func(key string) bool { return strings.Contains(ua, key) })
	if browser == "" {
		browser = "Web"
	}
	if system == "" {
		system = "?"
	}
	return browser + " / " + system
}

// NormalizeDevice puts a device label in DeviceLabel's form when it names a
// known browser and system in any order or separator ("Android · Chrome",
// "chrome on android"); anything else is kept as given, trimmed.
func NormalizeDevice(label string) string {
	l := strings.ToLower(label)
	browser := findName(browsers, func(key string) bool {
		return strings.Contains(l, key) && (key != "chrome" || !strings.Contains(l, "chromeos"))
	})
	system := findName(systems, func(key string) bool { return strings.Contains(l, key) })
	if browser == "" || system == "" {
		return strings.TrimSpace(label)
	}
	return browser + " / " + system
}

// findName is the name of the first entry whose key matches, or "".
func findName(list []struct{ key, name string }, match func(key string) bool) string {
	for _, e := range list {
		if match(e.key) {
			return e.name
		}
	}
	return ""
}
