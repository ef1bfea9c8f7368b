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
	browser, system := "Web", "?"
	for _, b := range browsers {
		if strings.Contains(ua, b.key+"/") {
			browser = b.name
			break
		}
	}
	for _, s := range systems {
		if strings.Contains(ua, s.key) {
			system = s.name
			break
		}
	}
	return browser + " / " + system
}

// NormalizeDevice puts a device label in DeviceLabel's form when it names a
// known browser and system in any order or separator ("Android · Chrome",
// "chrome on android"); anything else is kept as given, trimmed.
func NormalizeDevice(label string) string {
	l := strings.ToLower(label)
	browser, system := "", ""
	for _, b := range browsers {
		if strings.Contains(l, b.key) && !(b.key == "chrome" && strings.Contains(l, "chromeos")) {
			browser = b.name
			break
		}
	}
	for _, s := range systems {
		if strings.Contains(l, s.key) {
			system = s.name
			break
		}
	}
	if browser == "" || system == "" {
		return strings.TrimSpace(label)
	}
	return browser + " / " + system
}
