package web

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/ledger"
)

// TestPageDifferential renders random pages through the "page" template
// (the reference) and the hand-written renderer and compares the bytes:
// every part present or missing, recalls, breaches, charts and maps,
// hostile strings (markup, quotes, ampersands, pluses, NUL, invalid
// UTF-8, U+2028, unicode), unsafe and odd URLs, odd numbers, local and
// UTC times, in every language.
func TestPageDifferential(t *testing.T) {
	r := New()
	n := 3000
	if testing.Short() {
		n = 600
	}
	for seed := range n {
		g := &pageGen{rnd: rand.New(rand.NewPCG(uint64(seed), 18))}
		p := g.page()
		p2 := *p // the template may not mutate, but keep the inputs apart anyway
		want, err := r.templatePage(p)
		if err != nil {
			t.Fatalf("seed %d: template: %v", seed, err)
		}
		got, err := r.AppendPage(nil, &p2)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			lo := max(0, i-200)
			t.Fatalf("seed %d (%s): renderer differs from the template at byte %d:\ntemplate: …%q\nrenderer: …%q",
				seed, p.L.Code, i, want[lo:min(len(want), i+200)], got[lo:min(len(got), i+200)])
		}
	}
	// Page through an io.Writer is AppendPage's bytes.
	g := &pageGen{rnd: rand.New(rand.NewPCG(1, 2))}
	p := g.page()
	var b bytes.Buffer
	if err := r.Page(&b, p); err != nil {
		t.Fatal(err)
	}
	want, _ := r.templatePage(p)
	if !bytes.Equal(b.Bytes(), want) {
		t.Error("Page differs from the template")
	}
}

type pageGen struct{ rnd *rand.Rand }

var hostile = []string{
	"", "", "a", "Apple juice", "<b>bold</b>", "</title><script>alert(1)</script>", `"quoted"`, "it's", "a&b", "1+1", "x<y>z",
	"é", "中文 批次", "Ünïcødé", "\u2028line\u2029", "nul\x00byte", "bad\xffutf8", "{{.}}", "%41%zz%", "— · ✔", "  spaced  ",
	"javascript:alert(1)", "-->", "<!--", "&#34;",
}

var urls = []string{
	"", "/01/09506000134369/10/J2509-03", "?lang=en", "https://example.com/a?b=c&d=e+f", "http://x/%41%4", "HTTPS://Ex.com/ü",
	"javascript:alert(1)", "JavaScript:x", "mailto:a@b.c", "data:text/html,<b>", "/events/ni:///sha-256;abc?ver=CBV2.0",
	"ipfs://bafy", "relative/path with space", "a'b\"c<d>", "/x/y:z", "#frag", "%", "x%2", "%E4%B8%AD", "/p?q=中文&r='1'",
}

func (g *pageGen) s() string { return hostile[g.rnd.IntN(len(hostile))] }
func (g *pageGen) u() string { return urls[g.rnd.IntN(len(urls))] }
func (g *pageGen) b() bool   { return g.rnd.IntN(2) == 0 }
func (g *pageGen) n(k int) int {
	return g.rnd.IntN(k + 1)
}

func (g *pageGen) f() float64 {
	switch g.rnd.IntN(10) {
	case 0:
		return 0
	case 1:
		return 1e21
	case 2:
		return -0.000012
	case 3:
		return math.Inf(1)
	case 4:
		return float64(g.rnd.IntN(400))
	}
	return math.Round(g.rnd.Float64()*3400-200) / 10
}

var zones = func() []*time.Location {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.FixedZone("CET", 3600)
	}
	return []*time.Location{nil, nil, time.FixedZone("UTC+2", 7200), time.FixedZone("UTC-5:30", -19800), berlin}
}()

func (g *pageGen) time() Time {
	if g.rnd.IntN(6) == 0 {
		return Time{}
	}
	t := time.Date(2024+g.rnd.IntN(3), time.Month(1+g.rnd.IntN(12)), 1+g.rnd.IntN(28), g.rnd.IntN(24), g.rnd.IntN(60), 0, 0, time.UTC)
	return Time{t: t, zone: zones[g.rnd.IntN(len(zones))]}
}

func (g *pageGen) timeString() string { return g.timeIn(time.RFC3339) }

// ledgerTime is a ledger time (ledger.TimeLayout), or none, or not a time.
func (g *pageGen) ledgerTime() string { return g.timeIn(ledger.TimeLayout) }

// timeIn is a time written in layout, or none, or not a time.
func (g *pageGen) timeIn(layout string) string {
	switch g.rnd.IntN(4) {
	case 0:
		return ""
	case 1:
		return "not a time"
	}
	return g.time().t.Add(time.Duration(g.rnd.IntN(1e9))).Format(layout)
}

func (g *pageGen) lotRef() *LotRef {
	if g.b() {
		return nil
	}
	return &LotRef{Label: g.s(), Href: g.u(), Quantity: g.s()}
}

func (g *pageGen) chart() *Chart {
	c := &Chart{W: g.f(), H: g.f(), Left: g.f(), Top: g.f(), PlotW: g.f(), PlotH: g.f(), Line: g.s(), XFrom: g.s(), XTo: g.s(), Summary: g.s()}
	if g.b() {
		c.Band = &Band{Y: g.f(), H: g.f()}
	}
	for range g.n(3) {
		c.Points = append(c.Points, Point{X: g.f(), Y: g.f(), Breach: g.b(), Label: g.s()})
	}
	for range g.n(2) {
		c.YTicks = append(c.YTicks, Tick{Y: g.f(), Label: g.s()})
	}
	return c
}

func (g *pageGen) page() *Page {
	p := &Page{L: Langs[g.rnd.IntN(len(Langs))], Title: g.s(), Breaches: g.n(3), EventCount: g.n(70), LocalTimes: g.b()}
	if g.rnd.IntN(8) == 0 {
		p.L = nil // English by default
	}
	if g.b() {
		p.Links = Links{JSON: g.u(), Linkset: g.u(), Events: g.u(), QR: g.u()}
	}
	if g.rnd.IntN(4) != 0 {
		p.Product = &ledger.Product{GTIN: g.s(), Name: g.s(), Brand: g.s(), Category: g.s(), TempMinC: g.f(), TempMaxC: g.f(), ShelfLifeDays: g.n(400) - 5, RegisteredAt: g.ledgerTime()}
	}
	if g.rnd.IntN(5) != 0 {
		statuses := []ledger.LotStatus{ledger.StatusActive, ledger.StatusInTransit, ledger.StatusBreach, ledger.StatusRecalled, "", `we"ird`}
		p.Lot = &ledger.LotSummary{GTIN: g.s(), Lot: g.s(), Status: statuses[g.rnd.IntN(len(statuses))], Expiry: g.timeString(), UpdatedAt: g.ledgerTime()}
		if g.rnd.IntN(4) == 0 {
			p.Lot.Recall = &ledger.Recall{Reason: g.s(), Class: g.s(), RecalledAt: g.ledgerTime()}
		}
	}
	if g.b() {
		p.Unit = &ledger.Unit{Serial: g.s()}
	}
	if g.b() {
		p.Expiry = &ExpiryView{Days: g.n(6) - 3}
	}
	for range g.n(2) {
		p.Recalls = append(p.Recalls, RecallView{Recall: ledger.Recall{Reason: g.s(), Class: g.s(), RecalledAt: g.ledgerTime()}, By: g.s(), At: g.time(), Via: g.lotRef()})
	}
	for range g.n(2) {
		o := OriginView{Origin: ledger.Origin{FarmingPractice: g.s()}, Lot: g.lotRef(), ProducedAt: g.time(), Producer: g.s(), Place: g.s(), Map: g.u()}
		for range g.n(2) {
			o.Evidence = append(o.Evidence, ledger.Evidence{Kind: g.s(), SHA256: g.s() + strings.Repeat("ab", g.n(20)), URI: g.u()})
		}
		p.Origins = append(p.Origins, o)
	}
	for range g.n(2) {
		rep := Report{ID: g.s(), Method: g.s(), Standard: g.s(), Verdict: []string{"pass", "fail", "", "<x>"}[g.rnd.IntN(4)],
			Sampled: g.time(), Issued: g.time(), Lot: g.lotRef(), Signer: g.s() + strings.Repeat("0x", g.n(15)),
			Lab:      ledger.LabSigner{Name: g.s(), Accreditation: g.s(), Revoked: g.b(), RevokedAt: g.timeString(), RegisteredAt: g.ledgerTime()},
			Document: []string{"", g.u(), g.s()}[g.rnd.IntN(3)], DocumentSHA256: g.s()}
		for range g.n(3) {
			rep.Analytes = append(rep.Analytes, Analyte{Name: g.s(), Value: g.s(), Unit: g.s(), Limit: g.s(), Pass: g.b()})
		}
		p.Reports = append(p.Reports, rep)
	}
	kinds := []string{"made", "ship", "receive", "readings", "inspect", "transform", "recall", "pack", "other", "a\"b"}
	for range g.n(4) {
		st := Step{Kind: kinds[g.rnd.IntN(len(kinds))], Title: g.s(), Detail: g.s(), At: g.time(), Place: g.s(), Breach: g.b(), InLeg: g.b()}
		if !g.b() {
			st.Lot = g.lotRef()
		}
		if g.rnd.IntN(3) == 0 {
			st.Chart = g.chart()
		}
		for range g.n(3) {
			st.Reading = append(st.Reading, Reading{At: g.time(), Device: g.s(), TemperatureC: g.f(), Breach: g.b()})
		}
		p.Timeline = append(p.Timeline, st)
	}
	if g.b() {
		m := &Map{W: g.f(), H: g.f(), Line: g.s(), Label: g.s()}
		for range g.n(3) {
			m.Points = append(m.Points, MapPoint{X: g.f(), Y: g.f(), Name: g.s(), Origin: g.b(), Anchor: g.s(), LX: g.f(), LY: g.f()})
		}
		p.Map = m
	}
	for range g.n(2) {
		p.Inputs = append(p.Inputs, *cmpOr(g.lotRef()))
	}
	for range g.n(2) {
		p.Outputs = append(p.Outputs, *cmpOr(g.lotRef()))
	}
	for range g.n(2) {
		status := []string{"holds", "fails", "pending", "<odd>"}[g.rnd.IntN(4)]
		c := ClaimView{ID: g.s(), Wording: g.s(), Status: status, Reason: g.s(), EvaluatedAt: g.time(), Badge: g.u()}
		switch g.rnd.IntN(3) {
		case 0:
			c.Why = claims.Why{Code: claims.Verbatim}
		case 1:
			c.Why = claims.Why{Code: "no-such-code"}
		}
		for range g.n(2) {
			c.Evidence = append(c.Evidence, EvidenceLink{Label: g.s(), Href: g.u()})
		}
		p.Claims = append(p.Claims, c)
	}
	for range g.n(3) {
		p.Anchors = append(p.Anchors, AnchorView{EventID: g.s(), Anchored: g.b(), ChainID: uint64(g.n(1 << 20)), Block: g.rnd.Uint64(), TxHash: g.s() + "0x1234567890abcdef1234", Anchors: g.n(3)})
	}
	if g.b() {
		p.Service = &ServiceForm{Action: g.u(), Subject: g.s(), Brand: g.s(), Topics: append(ledger.ServiceTopics(), g.s()), MaxRunes: g.n(2000)}
	}
	return p
}

func cmpOr(r *LotRef) *LotRef {
	if r == nil {
		return &LotRef{}
	}
	return r
}

// BenchmarkPageRender renders the juice bottle's page (its view built
// once) through the template and through the hand-written renderer.
func BenchmarkPageRender(b *testing.B) {
	idx := fixture(b)
	tr, err := idx.Trace(gtinJuice, "J2509-03", "B000142")
	if err != nil {
		b.Fatal(err)
	}
	p, err := TracePage(idx, tr, Links{JSON: "/j", Linkset: "/l", Events: "/e", QR: "/q"})
	if err != nil {
		b.Fatal(err)
	}
	r := New()
	b.Run("template", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.templatePage(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hand-written", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = r.appendPage(buf[:0], p)
		}
	})
}
