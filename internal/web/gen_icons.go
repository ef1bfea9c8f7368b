//go:build ignore

// gen_icons draws the app icons of the citizen's space into static/icons:
// the SVG icon and its PNG renderings for the web app manifest and iOS.
// Run it with `go generate ./internal/web` after changing the drawing.
//
// The drawing is a white "E" on the space's accent colour (--accent in
// espai.css). The "any" icons have rounded corners; the maskable and iOS
// icons fill the square, since the platform cuts its own shape, and the
// glyph stays inside the maskable safe zone (a circle of 40% radius).
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"
)

// Geometry in a 100×100 box, shared by the SVG and the PNGs.
const (
	radius = 20 // corner radius of the "any" icons
)

var (
	accent = color.NRGBA{0xb3, 0x0f, 0x0f, 0xff} // --accent
	white  = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	// The "E": stem and three arms, as [x0, y0, x1, y1].
	glyph = [][4]float64{
		{30, 26, 42, 74},     // stem
		{30, 26, 70, 37},     // top arm
		{30, 44.5, 64, 55.5}, // middle arm
		{30, 63, 70, 74},     // bottom arm
	}
)

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><title>El Meu Espai</title>` +
	`<rect width="100" height="100" rx="20" fill="#b30f0f"/>` +
	`<path fill="#fff" d="M30 26H70V37H42V44.5H64V55.5H42V63H70V74H30Z"/></svg>
`

func main() {
	dir := filepath.Join("static", "icons")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	write("icon.svg", []byte(svg))
	for _, ic := range []struct {
		name    string
		size    int
		rounded bool
	}{
		{"icon-192.png", 192, true},
		{"icon-512.png", 512, true},
		{"icon-maskable-512.png", 512, false},
		{"apple-touch-icon.png", 180, false},
	} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, draw(ic.size, ic.rounded)); err != nil {
			log.Fatal(err)
		}
		write(ic.name, buf.Bytes())
		fmt.Println(filepath.Join(dir, ic.name))
	}
}

// draw renders the icon at size×size pixels, 4×4 samples a pixel.
func draw(size int, rounded bool) image.Image {
	const ss = 4
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	scale := 100 / float64(size)
	for py := range size {
		for px := range size {
			var r, g, b, a float64
			for sy := range ss {
				for sx := range ss {
					x := (float64(px) + (float64(sx)+0.5)/ss) * scale
					y := (float64(py) + (float64(sy)+0.5)/ss) * scale
					c, ok := sample(x, y, rounded)
					if !ok {
						continue
					}
					r += float64(c.R)
					g += float64(c.G)
					b += float64(c.B)
					a++
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{uint8(r/a + 0.5), uint8(g/a + 0.5), uint8(b/a + 0.5), uint8(a/(ss*ss)*255 + 0.5)})
		}
	}
	return img
}

// sample is the colour at (x, y) in the 100×100 box, or false outside the icon.
func sample(x, y float64, rounded bool) (color.NRGBA, bool) {
	if rounded && !insideRounded(x, y) {
		return color.NRGBA{}, false
	}
	for _, r := range glyph {
		if x >= r[0] && x < r[2] && y >= r[1] && y < r[3] {
			return white, true
		}
	}
	return accent, true
}

func insideRounded(x, y float64) bool {
	cx := min(max(x, radius), 100-radius)
	cy := min(max(y, radius), 100-radius)
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= radius*radius
}
