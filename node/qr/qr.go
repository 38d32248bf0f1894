// Package qr draws QR codes of GS1 Digital Link URIs for product packaging,
// as PNG and SVG.
//
// Codes use error correction level Q (about 25 % of the symbol may be
// lost), which GS1 recommends for codes printed on packaging that gets
// smudged, creased or partly covered, and a quiet zone of 4 modules, the
// minimum ISO/IEC 18004 requires around the symbol.
package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// QuietZone is the margin around the symbol, in modules.
const QuietZone = 4

// Code is an encoded QR symbol.
type Code struct {
	// Size is the symbol's width in modules, quiet zone excluded.
	Size int
	dark [][]bool // [y][x]
}

// Encode encodes text (a URI: byte mode, ISO-8859-1 is not assumed) at
// error correction level Q.
func Encode(text string) (*Code, error) {
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_CHARACTER_SET: "UTF-8"}
	q, err := encoder.Encoder_encode(text, decoder.ErrorCorrectionLevel_Q, hints)
	if err != nil {
		return nil, fmt.Errorf("qr: encoding %d bytes: %w", len(text), err)
	}
	m := q.GetMatrix()
	c := &Code{Size: m.GetWidth(), dark: make([][]bool, m.GetHeight())}
	for y := range c.dark {
		c.dark[y] = make([]bool, c.Size)
		for x := range c.Size {
			c.dark[y][x] = m.Get(x, y) == 1
		}
	}
	return c, nil
}

// Dark reports whether module (x, y) of the symbol is dark.
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.Size || y >= c.Size {
		return false
	}
	return c.dark[y][x]
}

// Image returns the symbol with its quiet zone, scale pixels per module,
// black on white.
func (c *Code) Image(scale int) *image.Paletted {
	if scale < 1 {
		scale = 1
	}
	n := (c.Size + 2*QuietZone) * scale
	img := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.White, color.Black})
	for y := range c.Size {
		for x := range c.Size {
			if !c.dark[y][x] {
				continue
			}
			x0, y0 := (x+QuietZone)*scale, (y+QuietZone)*scale
			for py := y0; py < y0+scale; py++ {
				row := img.Pix[py*img.Stride:]
				for px := x0; px < x0+scale; px++ {
					row[px] = 1
				}
			}
		}
	}
	return img
}

// PNG returns the symbol as a 1-bit PNG, scale pixels per module.
func (c *Code) PNG(scale int) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, c.Image(scale)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SVG returns the symbol as a scalable SVG whose unit is one module: one
// path of horizontal runs, so that it stays small and renders without
// hairline gaps between modules.
func (c *Code) SVG(title string) []byte {
	n := c.Size + 2*QuietZone
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img">`, n, n)
	if title != "" {
		b.WriteString("<title>")
		escape(&b, title)
		b.WriteString("</title>")
	}
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := range c.Size {
		for x := 0; x < c.Size; {
			if !c.dark[y][x] {
				x++
				continue
			}
			run := 1
			for x+run < c.Size && c.dark[y][x+run] {
				run++
			}
			b.WriteString("M" + strconv.Itoa(x+QuietZone) + " " + strconv.Itoa(y+QuietZone) + "h" + strconv.Itoa(run) + "v1h-" + strconv.Itoa(run) + "z")
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}

func escape(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
}
