package qr

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

func decode(t *testing.T, img image.Image) *gozxing.Result {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return res
}

func TestRoundTrip(t *testing.T) {
	for _, uri := range []string{
		"https://node.example/01/09506000134352",
		"https://node.example/01/09506000134352/10/LOT1/21/S1",
		"https://trace.acme-foods.example/01/09506000134369/10/J%2F2025-07%2A1/21/" + strings.Repeat("X", 20),
		"http://localhost:8080/01/09506000134352/10/ÄÖ",
	} {
		t.Run(uri, func(t *testing.T) {
			c, err := Encode(uri)
			if err != nil {
				t.Fatal(err)
			}
			b, err := c.PNG(4)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if w := img.Bounds().Dx(); w != (c.Size+2*QuietZone)*4 {
				t.Errorf("image %d px wide, want %d", w, (c.Size+2*QuietZone)*4)
			}
			res := decode(t, img)
			if res.GetText() != uri {
				t.Errorf("decoded %q, want %q", res.GetText(), uri)
			}
			if ec := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL]; ec != decoder.ErrorCorrectionLevel_Q.String() {
				t.Errorf("error correction level %v, want Q", ec)
			}
		})
	}
}

func TestQuietZone(t *testing.T) {
	c, err := Encode("https://node.example/01/09506000134352/10/L1")
	if err != nil {
		t.Fatal(err)
	}
	img := c.Image(1)
	n := img.Bounds().Dx()
	for y := range n {
		for x := range n {
			in := x >= QuietZone && y >= QuietZone && x < n-QuietZone && y < n-QuietZone
			if !in && img.ColorIndexAt(x, y) != 0 {
				t.Fatalf("dark pixel at (%d, %d) in the quiet zone", x, y)
			}
		}
	}
	// The finder pattern's corner is dark at the quiet zone's edge.
	if img.ColorIndexAt(QuietZone, QuietZone) != 1 || !c.Dark(0, 0) || c.Dark(-1, 0) {
		t.Error("finder pattern not at the quiet zone's inner corner")
	}
}

func TestSVG(t *testing.T) {
	c, err := Encode("https://node.example/01/09506000134352")
	if err != nil {
		t.Fatal(err)
	}
	s := string(c.SVG(`Lot <1> & "x"`))
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg"`, `viewBox="0 0 `, `<title>Lot &lt;1&gt; &amp; &quot;x&quot;</title>`, `<path fill="#000" d="M4 4h7v1h-7z`} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %s", want)
		}
	}
}

func TestEncodeTooLong(t *testing.T) {
	if _, err := Encode(strings.Repeat("x", 5000)); err == nil {
		t.Error("5000 bytes encoded; a QR symbol holds at most 2953")
	}
}
