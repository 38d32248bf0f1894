package web

import (
	"bytes"
	"strings"
	"testing"
)

func renderJar(t testing.TB, l *Lang) string {
	t.Helper()
	idx := jarFixture(t)
	tr, err := idx.Trace(gtinYog, "YG-1-A", "S1001")
	if err != nil {
		t.Fatal(err)
	}
	p, err := TracePage(idx, tr, Links{JSON: jarPath + "?format=json"}, In(l), Members(jarMembers), WithLocations(jarPlaces))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := New().Page(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestJarPage: the demo jar's page in each language shows local times of
// each place (Europe/Berlin, summer: UTC+2), places by name and town,
// members by name, the whole journey from the farm, a chart per leg and
// the map.
func TestJarPage(t *testing.T) {
	common := []string{
		"Hofmann Hof, Oberstaufen", "ColdLine Hub, Kempten", "Alpenwiese Molkerei, Sonthofen", "Alpenwiese Laden, München",
		"ColdLine Logistics", "Hofmann Hof &amp; Molkerei", `class="map"`, `class="map-origin"`, "UTC+2",
		"Bavarian Food Lab", `<time datetime="2025-06-10T07:10:00Z"`,
	}
	for _, tc := range []struct {
		code string
		want []string
	}{
		{"en", []string{`<html lang="en">`, "Shipped by Hofmann Hof &amp; Molkerei to ColdLine Logistics", "10 Jun 2025, 09:10 UTC+2",
			"Received by Alpenwiese", "Harvested", "All times are the local time", "of Organic raw milk, bulk", "Your time"}},
		{"zh-CN", []string{`<html lang="zh-CN">`, "由 Hofmann Hof &amp; Molkerei 发往 ColdLine Logistics", "2025年6月10日 09:10 UTC+2",
			"Alpenwiese 已签收", "采收时间", "当地时间", "溯源", "检测报告", "全程旅程"}},
		{"de", []string{`<html lang="de">`, "Versandt von Hofmann Hof &amp; Molkerei an ColdLine Logistics", "10.06.2025, 09:10 UTC+2",
			"Angenommen von Alpenwiese", "Geerntet", "Ortszeit", "Laborberichte", "Der Weg"}},
	} {
		t.Run(tc.code, func(t *testing.T) {
			html := renderJar(t, LangOf(tc.code))
			for _, w := range append(common, tc.want...) {
				if !strings.Contains(html, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range []string{"ZgotmplZ", "GLN 4260", "SupplierMSP", "%!"} {
				if strings.Contains(html, w) {
					t.Errorf("page has %q", w)
				}
			}
			// One chart per leg: farm → hub, hub → plant, plant → store.
			if n := strings.Count(html, `<figure class="chart">`); n != 3 {
				t.Errorf("%d leg charts, want 3", n)
			}
			// What a shopper looks at first comes before the proofs.
			order := []string{`id="h-origin"`, `id="h-lab"`, `id="h-journey"`}
			for i := 1; i < len(order); i++ {
				if strings.Index(html, order[i-1]) > strings.Index(html, order[i]) {
					t.Errorf("%s comes after %s", order[i-1], order[i])
				}
			}
		})
	}
}
