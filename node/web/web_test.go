package web

import (
	"bytes"
	"strings"
	"testing"

	"github.com/trustline/trustline/node/index"
)

func render(t testing.TB, idx *index.Index, gtin, lot, serial string) string {
	t.Helper()
	tr, err := idx.Trace(gtin, lot, serial)
	if err != nil {
		t.Fatal(err)
	}
	p, err := TracePage(idx, tr, Links{JSON: "/j", Linkset: "/l", Events: "/e", QR: "/q"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := New().Page(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTracePage(t *testing.T) {
	idx := fixture(t)
	for _, tc := range []struct {
		name              string
		gtin, lot, serial string
		want, not         []string
	}{
		{"juice bottle", gtinJuice, "J2509-03", "B000142", []string{
			`<html lang="en">`, "Cloudy apple juice", "Betuwe Orchards", "<dd>09506000134369</dd>", "<dd>J2509-03</dd>", "<dd>B000142</dd>",
			`class="recall" role="alert"`, "Patulin above the legal limit", "Class II", `made from recalled lot <a href="` + applesPath + `">`,
			"Boomgaardweg 12, 4005 LB Tiel, Gelderland, NL", "GLN 9506000134376", "openstreetmap.org/?mlat=51.98436",
			"Integrated pest management", "sha-256 3a7bd3e236…dd4f1b", "ipfs://bafy",
			"Signature verified: Rivierenland Food Laboratory (ISO/IEC 17025, RvA L 412)", "0x5B38Da6a…beddC4",
			"Report RFL-2025-09120", "Patulin", "Report RFL-2025-08812", "On ingredient",
			"Shipped by Press to ColdLogistics", "Received by ColdLogistics", "Received by Retail", "GLN 9506000134383 / dock-3",
			`class="breach"`, "11.5 °C", "1 reading outside the allowed range", `<svg viewBox="0 0 340 150"`, `class="pt-bad"`,
			"Made from GTIN 09506000134352 · lot A2509-17", "22 Sep 2025, 14:20 UTC", "All times in UTC",
			`<a href="/j">JSON</a>`, `<a href="/l">Linkset</a>`, `<a href="/e">EPCIS events</a>`,
		}, []string{"ZgotmplZ", "No lab report", "<script"}},
		{"apple lot", gtinApples, "A2509-17", "", []string{
			"Elstar apples", `class="recall"`, "Class II recall by Orchard", "Report RFL-2025-08812", "Captan",
			"Used to make", `href="/01/` + gtinJuice + `/10/J2509-03"`, "Recalled (class II)", "Produced",
		}, []string{"made from recalled lot", "On ingredient", "<dd>B000142</dd>", "ZgotmplZ", "<svg"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			html := render(t, idx, tc.gtin, tc.lot, tc.serial)
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(html, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
}

func TestPageWithoutParts(t *testing.T) {
	var b bytes.Buffer
	tr := index.Trace{}
	tr.Lot.ID, tr.Lot.GTIN, tr.Lot.Lot = "https://id.gs1.org/01/"+gtinApples+"/10/X", gtinApples, "X"
	p, err := TracePage(fixture(t), tr, Links{})
	if err != nil {
		t.Fatal(err)
	}
	if err := New().Page(&b, p); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"No origin is recorded", "No lab report has been recorded", "0 events"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestErrorPage(t *testing.T) {
	var b bytes.Buffer
	if err := New().Error(&b, Error{Title: "Product not found", Message: "We <know> nothing"}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "<h1>Product not found</h1>") || !strings.Contains(s, "We &lt;know&gt; nothing") {
		t.Error(s)
	}
}

// BenchmarkTracePage measures what serving the juice bottle's page costs:
// reading the trace from the index, building the view and rendering it.
func BenchmarkTracePage(b *testing.B) {
	idx := fixture(b)
	r := New()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		tr, err := idx.Trace(gtinJuice, "J2509-03", "B000142")
		if err != nil {
			b.Fatal(err)
		}
		p, err := TracePage(idx, tr, Links{})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Page(&buf, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "page-bytes")
}
