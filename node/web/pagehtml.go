package web

import (
	"encoding/json"
	"html"
	"strconv"
)

// The consumer page is rendered by hand-written Go, not by html/template:
// it is what every scan of a QR code costs, and html/template's execution
// (reflection on every field, method and function call, an escaper call
// for each action) was most of a cold page's CPU (about 135 µs of a page,
// measured with pprof under BenchmarkServe). The code below writes the
// bytes that templates/page.html (the "page" template and the "langs",
// "expiry", "claims", "chart", "service" and "anchors" templates it
// includes) writes, which stays the reference: TestPageDifferential renders
// many random pages through both and compares them byte for byte. Each
// value is escaped as html/template escapes it in its context: text,
// RCDATA (<title>) and quoted attribute values alike (htmlEscape), URL
// attributes (href, action, src: urlAttr) and JavaScript values (jsValue).
// A change to the page is made in both, page.html first.

// pageWriter appends one page to b in language l.
type pageWriter struct {
	b   []byte
	l   *Lang
	lp  *langParts
	num [32]byte
}

// langParts are the parts of a page that depend on its language only.
type langParts struct {
	langs     string // the language switcher
	checkMsgs string // the receipt check's messages as a JavaScript value
	yourTime  string // page.yourTime as a JavaScript value
}

func (r *Renderer) langParts(l *Lang) *langParts {
	if lp, ok := r.parts[l]; ok {
		return lp
	}
	return newLangParts(l) // a language outside Langs (tests)
}

func newLangParts(l *Lang) *langParts {
	w := &pageWriter{l: l}
	w.raw(`<nav class="langs" aria-label="`)
	w.tr("page.langs")
	w.raw(`">`)
	for _, s := range l.Switcher() {
		w.raw(`<a href="`)
		w.url(s.Href)
		w.raw(`" lang="`)
		w.esc(s.Code)
		w.raw(`"`)
		if s.Current {
			w.raw(` aria-current="true"`)
		}
		w.raw(`>`)
		w.esc(s.Name)
		w.raw(`</a>`)
	}
	w.raw(`</nav>`)
	msgs, err := json.Marshal(checkMessages(l))
	if err != nil {
		panic(err)
	}
	return &langParts{langs: string(w.b), checkMsgs: jsValue(msgs), yourTime: jsString(l.T("page.yourTime"))}
}

// jsString is s as html/template writes a string in JavaScript: JSON.
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always marshals
	}
	return jsValue(b)
}

// jsValue is html/template's jsValEscaper on marshalled JSON b: U+2028
// and U+2029 written as escapes (json.Marshal already escapes them; kept
// for equality with html/template whatever the encoder).
func jsValue(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, r := range string(b) {
		switch r {
		case 0x2028:
			out = append(out, `\u2028`...)
		case 0x2029:
			out = append(out, `\u2029`...)
		default:
			out = append(out, string(r)...)
		}
	}
	return string(out)
}

func (w *pageWriter) raw(s string) { w.b = append(w.b, s...) }

// esc writes s escaped for HTML text, RCDATA or a quoted attribute value,
// as html/template's htmlEscaper and attrEscaper do for a string.
func (w *pageWriter) esc(s string) { w.b = appendHTMLEscaped(w.b, s) }

// idRow writes one row of the page's identifiers: the message key's text
// and the value.
func (w *pageWriter) idRow(key, value string) {
	w.raw("<div><dt>")
	w.tr(key)
	w.raw("</dt><dd>")
	w.esc(value)
	w.raw("</dd></div>")
}

// tr writes message key with args, escaped.
func (w *pageWriter) tr(key string, args ...any) { w.esc(w.l.T(key, args...)) }

// float writes v as html/template prints a float64 (fmt's %v), escaped.
func (w *pageWriter) float(v float64) {
	w.b = appendHTMLEscaped(w.b, string(strconv.AppendFloat(w.num[:0], v, 'g', -1, 64)))
}

// int writes v.
func (w *pageWriter) int(v int) { w.b = strconv.AppendInt(w.b, int64(v), 10) }

// url writes s in a URL attribute (href, action, src) as html/template
// does: a scheme other than http, https or mailto is replaced by
// #ZgotmplZ (urlFilter), what a URL may not hold is percent-encoded
// (urlNormalizer), and the rest is escaped for the attribute.
func (w *pageWriter) url(s string) {
	if !isSafeURL(s) {
		w.raw("#ZgotmplZ")
		return
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~':
		case c == '!', c == '#', c == '$', c == '*', c == ',', c == '/', c == ':', c == ';', c == '=', c == '?', c == '@', c == '[', c == ']':
		case c == '&':
			w.b = append(w.b, "&amp;"...)
			continue
		case c == '+':
			w.b = append(w.b, "&#43;"...)
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
		default:
			w.b = append(w.b, '%', hex[c>>4], hex[c&15])
			continue
		}
		w.b = append(w.b, c)
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isSafeURL is html/template's: a URL without a scheme, or with http,
// https or mailto.
func isSafeURL(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/':
			return true
		case ':':
			p := s[:i]
			return equalFold(p, "http") || equalFold(p, "https") || equalFold(p, "mailto")
		}
	}
	return true
}

func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// appendHTMLEscaped is html/template's htmlReplacementTable applied to s:
// only these ASCII bytes change; UTF-8 (valid or not) passes through.
func appendHTMLEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, repl...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// at writes localTime(l, t): HTML escaped by package html, not as
// html/template escapes a string.
func (w *pageWriter) at(t Time) {
	if t.IsZero() || t.zone == nil {
		w.raw(html.EscapeString(w.l.When(t)))
		return
	}
	w.raw(`<time datetime="`)
	w.raw(t.ISO())
	w.raw(`" title="`)
	w.raw(html.EscapeString(w.l.WhenUTC(t)))
	w.raw(`">`)
	w.raw(html.EscapeString(w.l.When(t)))
	w.raw(`</time>`)
}

// appendPage writes the "page" template's bytes for p.
func (r *Renderer) appendPage(dst []byte, p *Page) []byte {
	L := p.L
	w := &pageWriter{b: dst, l: L, lp: r.langParts(L)}
	w.raw("<!doctype html>\n<html lang=\"")
	w.esc(L.Code)
	w.raw("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light\">\n<title>")
	w.esc(p.Title)
	w.raw(" · ")
	w.tr("page.trace")
	w.raw("</title>\n<meta name=\"description\" content=\"")
	w.esc(p.Title)
	if p.Product != nil {
		w.raw(" · ")
		w.esc(p.Product.Brand)
	}
	w.raw("\">\n")
	if s := p.Links.JSON; s != "" {
		w.raw(`<link rel="alternate" type="application/json" href="`)
		w.url(s)
		w.raw(`">`)
	}
	w.raw("\n")
	if s := p.Links.Linkset; s != "" {
		w.raw(`<link rel="linkset" type="application/linkset+json" href="`)
		w.url(s)
		w.raw(`">`)
	}
	w.raw("\n<style>")
	w.raw(r.css)
	w.raw("</style>\n</head>\n<body>\n")
	for i := range p.Recalls {
		rc := &p.Recalls[i]
		w.raw("<div class=\"recall\" role=\"alert\">\n<p class=\"recall-h\">")
		w.tr("recall.h")
		w.raw("</p>\n<p>")
		w.esc(rc.Reason)
		w.raw("</p>\n<p class=\"small\">")
		w.tr("recall.by", rc.Class, rc.By, L.When(rc.At))
		if v := rc.Via; v != nil {
			w.raw(". ")
			w.tr("recall.via")
			w.raw(` <a href="`)
			w.url(v.Href)
			w.raw(`">`)
			w.esc(v.Label)
			w.raw(`</a>`)
		}
		w.raw(".</p>\n</div>")
	}
	w.raw("\n<header class=\"hero\">\n")
	w.raw(w.lp.langs)
	w.raw("\n")
	if pr := p.Product; pr != nil {
		w.raw(`<p class="brand">`)
		w.esc(pr.Brand)
		w.raw("</p>\n<h1>")
		w.esc(pr.Name)
		w.raw("</h1>")
	} else {
		w.raw("<h1>")
		w.esc(p.Title)
		w.raw("</h1>")
	}
	w.raw("\n<dl class=\"ids\">\n")
	if pr := p.Product; pr != nil {
		w.idRow("page.gtin", pr.GTIN)
	}
	w.raw("\n")
	if lot := p.Lot; lot != nil {
		w.idRow("page.lot", lot.Lot)
	}
	w.raw("\n")
	if u := p.Unit; u != nil {
		w.idRow("page.serial", u.Serial)
	}
	w.raw("\n")
	w.expiry(p)
	w.raw("\n</dl>\n")
	if lot := p.Lot; lot != nil {
		w.raw(`<p class="status status-`)
		w.esc(string(lot.Status))
		w.raw(`">`)
		w.tr(statusKey(lot.Status))
		w.raw("</p>")
	}
	w.raw("\n</header>\n<main>\n")
	w.claims(p)
	w.raw("\n")
	if p.Lot != nil {
		w.raw("\n<section aria-labelledby=\"h-origin\">\n<h2 id=\"h-origin\">")
		w.tr("origin.h")
		w.raw("</h2>\n")
		for i := range p.Origins {
			w.origin(&p.Origins[i])
		}
		if len(p.Origins) == 0 {
			w.raw(`<p class="none">`)
			w.tr("origin.none")
			w.raw("</p>\n")
		}
		w.raw("\n</section>\n\n<section aria-labelledby=\"h-lab\">\n<h2 id=\"h-lab\">")
		w.tr("lab.h")
		w.raw("</h2>\n")
		for i := range p.Reports {
			w.report(&p.Reports[i])
		}
		if len(p.Reports) == 0 {
			w.raw(`<p class="none">`)
			w.tr("lab.none")
			w.raw("</p>\n")
		}
		w.raw("\n</section>\n\n<section aria-labelledby=\"h-journey\">\n<h2 id=\"h-journey\">")
		w.tr("journey.h")
		w.raw("</h2>\n<p class=\"small\">")
		if p.LocalTimes {
			w.tr("page.localTime")
		} else {
			w.tr("page.utc")
		}
		if p.Breaches != 0 {
			w.raw(` <strong class="breach-text">`)
			w.tr("journey.breach", p.Breaches)
			w.raw(`</strong>`)
		}
		w.raw("</p>\n")
		if m := p.Map; m != nil {
			w.journeyMap(m)
		}
		w.raw("\n<ol class=\"timeline\">")
		for i := range p.Timeline {
			w.step(&p.Timeline[i])
		}
		w.raw("\n</ol>\n</section>\n\n")
		if len(p.Inputs) != 0 || len(p.Outputs) != 0 {
			w.raw("\n<section aria-labelledby=\"h-transform\">\n<h2 id=\"h-transform\">")
			w.tr("transform.h")
			w.raw("</h2>\n<div class=\"card\">\n")
			if len(p.Inputs) != 0 {
				w.raw("<h3>")
				w.tr("transform.in")
				w.raw(`</h3><ul class="lots">`)
				for _, in := range p.Inputs {
					w.raw(`<li><a href="`)
					w.url(in.Href)
					w.raw(`">`)
					w.esc(in.Label)
					w.raw(`</a>`)
					if in.Quantity != "" {
						w.raw(" — ")
						w.esc(in.Quantity)
					}
					w.raw(`</li>`)
				}
				w.raw(`</ul>`)
			}
			w.raw("\n")
			if len(p.Outputs) != 0 {
				w.raw("<h3>")
				w.tr("transform.out")
				w.raw(`</h3><ul class="lots">`)
				for _, out := range p.Outputs {
					w.raw(`<li><a href="`)
					w.url(out.Href)
					w.raw(`">`)
					w.esc(out.Label)
					w.raw(`</a></li>`)
				}
				w.raw(`</ul>`)
			}
			w.raw("\n</div>\n</section>\n")
		}
		w.raw("\n")
		w.service(p)
		w.raw("\n")
		r.anchors(w, p)
		w.raw("\n")
	} else {
		w.raw("\n<section><div class=\"card\"><dl class=\"facts\">\n")
		if pr := p.Product; pr != nil {
			w.raw("<div><dt>")
			w.tr("product.cat")
			w.raw("</dt><dd>")
			w.esc(pr.Category)
			w.raw("</dd></div>\n<div><dt>")
			w.tr("product.storage")
			w.raw("</dt><dd>")
			w.tr("product.range", L.Temp(pr.TempMinC), L.Temp(pr.TempMaxC))
			w.raw("</dd></div>\n<div><dt>")
			w.tr("product.life")
			w.raw("</dt><dd>")
			w.tr("product.days", pr.ShelfLifeDays)
			w.raw("</dd></div>")
		}
		w.raw("\n</dl></div>\n<p class=\"none\">")
		w.tr("product.scan")
		w.raw("</p></section>\n")
	}
	w.raw("\n</main>\n<footer>\n")
	if p.Lot != nil {
		w.raw("<p>")
		w.tr("page.footer", p.EventCount)
		w.raw("</p>")
	}
	w.raw("\n<p class=\"links\">")
	if s := p.Links.JSON; s != "" {
		w.raw(`<a href="`)
		w.url(s)
		w.raw(`">`)
		w.tr("page.json")
		w.raw(`</a>`)
	}
	if s := p.Links.Linkset; s != "" {
		w.raw(` · <a href="`)
		w.url(s)
		w.raw(`">`)
		w.tr("page.linkset")
		w.raw(`</a>`)
	}
	if s := p.Links.Events; s != "" {
		w.raw(` · <a href="`)
		w.url(s)
		w.raw(`">`)
		w.tr("page.events")
		w.raw(`</a>`)
	}
	if s := p.Links.QR; s != "" {
		w.raw(` · <a href="`)
		w.url(s)
		w.raw(`">`)
		w.tr("page.qr")
		w.raw(`</a>`)
	}
	w.raw("</p>\n</footer>\n")
	if p.LocalTimes {
		// The template's JavaScript comment is not in its output:
		// html/template drops comments.
		w.raw("<script>\n\n(function () {\n  var f = new Intl.DateTimeFormat(document.documentElement.lang, {year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'});\n  document.querySelectorAll('time[title]').forEach(function (e) { e.title += '\\n' + ")
		w.raw(w.lp.yourTime)
		w.raw(" + ': ' + f.format(new Date(e.dateTime)); });\n})();\n</script>")
	}
	w.raw("\n</body>\n</html>\n")
	return w.b
}

// expiry is the "expiry" template.
func (w *pageWriter) expiry(p *Page) {
	lot := p.Lot
	if lot == nil || lot.Expiry == "" {
		return
	}
	w.raw("<div><dt>")
	w.tr("page.useBy")
	w.raw("</dt><dd>")
	w.esc(w.l.Date(parseTime(lot.Expiry)))
	if e := p.Expiry; e != nil {
		w.raw(` <span class="expiry">(`)
		switch {
		case e.Days < 0:
			w.tr("expiry.expired")
		case e.Days == 0:
			w.tr("expiry.lastDay")
		default:
			w.tr("expiry.left", e.Days)
		}
		w.raw(`)</span>`)
	}
	w.raw("</dd></div>")
}

const claimsStyle = `
<style>
.claims{list-style:none;padding:0;margin:.4rem 0}
.claims li{margin:.4rem 0}
.claims summary{display:flex;gap:.5rem;align-items:baseline}
.badge{flex:none;display:inline-block;min-width:5.2rem;text-align:center;font-size:.8rem;font-weight:700;padding:.1rem .5rem;border-radius:.3rem;color:#fff}
.badge-holds{background:#2e7d32}.badge-fails{background:#c62828}.badge-pending{background:#6e7781}
.claim-body{margin:.3rem 0 .2rem 5.9rem}
.claim-fails .claim-body{color:var(--bad)}
</style>
<section aria-labelledby="h-claims">
<h2 id="h-claims">`

// claims is the "claims" template.
func (w *pageWriter) claims(p *Page) {
	if len(p.Claims) == 0 {
		return
	}
	L := w.l
	w.raw(claimsStyle)
	w.tr("claims.h")
	w.raw("</h2>\n<div class=\"card\"><ul class=\"claims\">\n")
	for i := range p.Claims {
		c := &p.Claims[i]
		w.raw(`<li class="claim claim-`)
		w.esc(c.Status)
		w.raw(`" id="claim-`)
		w.esc(c.ID)
		w.raw(`"><details`)
		if c.Status == "fails" {
			w.raw(" open")
		}
		w.raw(">\n<summary><span class=\"badge badge-")
		w.esc(c.Status)
		w.raw(`">`)
		w.tr("badge." + c.Status)
		w.raw(`</span> <span>`)
		w.esc(c.Wording)
		w.raw("</span></summary>\n<div class=\"claim-body\"><p>")
		w.tr("claims." + c.Status)
		w.raw("</p>\n")
		why := c.ReasonText(L)
		w.raw("<p")
		if !why.In {
			w.raw(` lang="en"`)
		}
		w.raw(">")
		w.esc(why.Text)
		w.raw("</p>\n<p class=\"small\">")
		w.tr("claims.checked", L.When(c.EvaluatedAt))
		if len(c.Evidence) != 0 {
			w.raw(" ")
			w.tr("claims.evid")
			for _, e := range c.Evidence {
				w.raw(` <a href="`)
				w.url(e.Href)
				w.raw(`">`)
				w.esc(e.Label)
				w.raw(`</a>`)
			}
		}
		w.raw(` · <a href="`)
		w.url(c.Badge)
		w.raw(`">`)
		w.tr("claims.badge")
		w.raw("</a></p></div>\n</details></li>\n")
	}
	w.raw("</ul></div>\n</section>\n")
}

// origin is one origin of the page's "Origin" section.
func (w *pageWriter) origin(o *OriginView) {
	w.raw("\n<div class=\"card\">\n")
	if l := o.Lot; l != nil {
		w.raw(`<p class="small">`)
		w.tr("origin.ingredient")
		w.raw(` <a href="`)
		w.url(l.Href)
		w.raw(`">`)
		w.esc(l.Label)
		w.raw(`</a></p>`)
	}
	w.raw("\n<dl class=\"facts\">\n<div><dt>")
	w.tr("origin.producer")
	w.raw("</dt><dd>")
	w.esc(o.Producer)
	w.raw("</dd></div>\n")
	if o.Place != "" {
		w.raw("<div><dt>")
		w.tr("origin.place")
		w.raw("</dt><dd>")
		w.esc(o.Place)
		if o.Map != "" {
			w.raw(` · <a href="`)
			w.url(o.Map)
			w.raw(`">`)
			w.tr("origin.map")
			w.raw(`</a>`)
		}
		w.raw("</dd></div>")
	}
	w.raw("\n<div><dt>")
	w.tr("origin.harvested")
	w.raw("</dt><dd>")
	w.at(o.ProducedAt)
	w.raw("</dd></div>\n")
	if o.FarmingPractice != "" {
		w.raw("<div><dt>")
		w.tr("origin.farming")
		w.raw("</dt><dd>")
		w.esc(o.FarmingPractice)
		w.raw("</dd></div>")
	}
	w.raw("\n</dl>\n")
	if len(o.Evidence) != 0 {
		w.raw("<h3>")
		w.tr("origin.evidence")
		w.raw("</h3>\n<ul class=\"evidence\">")
		for _, e := range o.Evidence {
			w.raw("\n<li><span class=\"tag\">")
			w.esc(e.Kind)
			w.raw("</span> ")
			if u := webURL(e.URI); u != "" {
				w.raw(`<a href="`)
				w.url(u)
				w.raw(`">`)
				w.esc(u)
				w.raw(`</a>`)
			} else {
				w.esc(e.URI)
			}
			w.raw(`<br><span class="hash" title="SHA-256 `)
			w.esc(e.SHA256)
			w.raw(`">sha-256 `)
			w.esc(short(e.SHA256))
			w.raw(`</span></li>`)
		}
		w.raw("\n</ul>")
	}
	w.raw("\n</div>\n")
}

// report is one lab report of the page's "Lab" section.
func (w *pageWriter) report(r *Report) {
	L := w.l
	w.raw("\n<article class=\"card report\">\n<p class=\"verified\"><span aria-hidden=\"true\">✔</span> ")
	w.tr("lab.verified", r.Lab.Name)
	if a := r.Lab.Accreditation; a != "" {
		w.raw(" (")
		w.esc(a)
		w.raw(")")
	}
	w.raw("</p>\n<h3>")
	w.tr("lab.report", r.ID)
	w.raw(` <span class="verdict verdict-`)
	w.esc(r.Verdict)
	w.raw(`">`)
	w.tr("verdict." + r.Verdict)
	w.raw("</span></h3>\n")
	if l := r.Lot; l != nil {
		w.raw(`<p class="small">`)
		w.tr("lab.onIngr")
		w.raw(` <a href="`)
		w.url(l.Href)
		w.raw(`">`)
		w.esc(l.Label)
		w.raw(`</a></p>`)
	}
	w.raw("\n<p class=\"small\">")
	w.esc(r.Method)
	w.raw(" · ")
	w.esc(r.Standard)
	w.raw(" · ")
	w.tr("lab.sampled", L.When(r.Sampled), L.When(r.Issued))
	w.raw("</p>\n<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">")
	w.tr("lab.analyte")
	w.raw(`</th><th scope="col">`)
	w.tr("lab.value")
	w.raw(`</th><th scope="col">`)
	w.tr("lab.limit")
	w.raw(`</th><th scope="col">`)
	w.tr("lab.result")
	w.raw("</th></tr></thead>\n<tbody>")
	for i := range r.Analytes {
		a := &r.Analytes[i]
		w.raw("<tr")
		if !a.Pass {
			w.raw(` class="fail"`)
		}
		w.raw(`><th scope="row">`)
		w.esc(a.Name)
		w.raw("</th><td>")
		w.esc(a.Value)
		w.raw(" ")
		w.esc(a.Unit)
		w.raw("</td><td>")
		w.esc(a.Limit)
		w.raw(" ")
		w.esc(a.Unit)
		w.raw("</td><td>")
		if a.Pass {
			w.tr("lab.pass")
		} else {
			w.tr("lab.fail")
		}
		w.raw("</td></tr>")
	}
	w.raw("</tbody>\n</table></div>\n<p class=\"small\">")
	w.tr("lab.signedBy")
	w.raw(` <span class="hash" title="`)
	w.esc(r.Signer)
	w.raw(`">`)
	w.esc(short(r.Signer))
	w.raw(`</span>`)
	if r.Lab.Revoked {
		w.raw(" — ")
		w.tr("lab.revoked", L.Date(parseTime(r.Lab.RevokedAt)))
	}
	if r.Document != "" {
		w.raw(" · ")
		if u := webURL(r.Document); u != "" {
			w.raw(`<a href="`)
			w.url(u)
			w.raw(`">`)
			w.tr("lab.full")
			w.raw(`</a>`)
		} else {
			w.tr("lab.full")
			w.raw(": ")
			w.esc(r.Document)
		}
		w.raw(` · <span class="hash" title="SHA-256 `)
		w.esc(r.DocumentSHA256)
		w.raw(`">sha-256 `)
		w.esc(short(r.DocumentSHA256))
		w.raw(`</span>`)
	}
	w.raw("</p>\n</article>\n")
}

const mapStyle = `
<style>
.map{margin:.6rem 0}
.map svg{display:block;width:100%;height:auto}
.map-bg{fill:#eef4f0;stroke:var(--line)}
.map-route{fill:none;stroke:var(--accent);stroke-width:2;stroke-dasharray:5 4}
.map-origin{fill:#0a6b38;stroke:#fff;stroke-width:2}
.map-stop{fill:var(--accent);stroke:#fff;stroke-width:1.5}
.map-lbl{font-size:10px;fill:var(--ink)}
</style>
<figure class="map">
<svg viewBox="0 0 `

// journeyMap is the journey's map.
func (w *pageWriter) journeyMap(m *Map) {
	w.raw(mapStyle)
	w.float(m.W)
	w.raw(" ")
	w.float(m.H)
	w.raw("\" role=\"img\" aria-labelledby=\"map-t\">\n<title id=\"map-t\">")
	w.esc(m.Label)
	w.raw("</title>\n<rect class=\"map-bg\" width=\"")
	w.float(m.W)
	w.raw(`" height="`)
	w.float(m.H)
	w.raw("\" rx=\"6\"/>\n<polyline class=\"map-route\" points=\"")
	w.esc(m.Line)
	w.raw("\"/>\n")
	for i := range m.Points {
		pt := &m.Points[i]
		if pt.Origin {
			w.raw(`<circle class="map-origin" cx="`)
		} else {
			w.raw(`<circle class="map-stop" cx="`)
		}
		w.float(pt.X)
		w.raw(`" cy="`)
		w.float(pt.Y)
		if pt.Origin {
			w.raw(`" r="6"/><text class="map-lbl" x="`)
		} else {
			w.raw(`" r="4.5"/><text class="map-lbl" x="`)
		}
		w.float(pt.LX)
		w.raw(`" y="`)
		w.float(pt.LY)
		w.raw(`" text-anchor="`)
		w.esc(pt.Anchor)
		w.raw(`">`)
		w.esc(pt.Name)
		w.raw(`</text>`)
	}
	w.raw("\n</svg>\n</figure>\n")
}

// step is one step of the journey's timeline.
func (w *pageWriter) step(s *Step) {
	L := w.l
	w.raw("\n<li class=\"step step-")
	w.esc(s.Kind)
	if s.Breach {
		w.raw(" has-breach")
	}
	if s.Lot != nil {
		w.raw(" step-up")
	}
	w.raw(`"><p class="step-h">`)
	w.esc(s.Title)
	w.raw("</p>\n<p class=\"small\">")
	w.at(s.At)
	if s.Place != "" {
		w.raw(" · ")
		w.esc(s.Place)
	}
	if s.Lot != nil {
		w.raw("<br>")
		w.tr("journey.of", s.Lot.Label)
	}
	w.raw("</p>")
	if s.Detail != "" {
		w.raw("<p>")
		w.esc(s.Detail)
		w.raw("</p>")
	}
	if s.Chart != nil {
		w.chart(s.Chart)
	}
	if listed := s.Listed(); len(listed) != 0 {
		w.raw(`<ul class="readings">`)
		for i := range listed {
			rd := &listed[i]
			w.raw("\n<li")
			if rd.Breach {
				w.raw(` class="breach"`)
			}
			w.raw(`><span class="temp">`)
			w.esc(L.Temp(rd.TemperatureC))
			w.raw(`</span> `)
			w.at(rd.At)
			w.raw(" · ")
			w.esc(rd.Device)
			if rd.Breach {
				w.raw(` <strong>`)
				w.tr("journey.out")
				w.raw(`</strong>`)
			}
			w.raw("</li>")
		}
		w.raw("\n</ul>")
	}
	w.raw("</li>")
}

// chart is the "chart" template.
func (w *pageWriter) chart(c *Chart) {
	w.raw("\n<figure class=\"chart\"><svg viewBox=\"0 0 ")
	w.float(c.W)
	w.raw(" ")
	w.float(c.H)
	w.raw(`" aria-hidden="true">`)
	if b := c.Band; b != nil {
		w.raw(`<rect class="band" x="`)
		w.float(c.Left)
		w.raw(`" y="`)
		w.float(b.Y)
		w.raw(`" width="`)
		w.float(c.PlotW)
		w.raw(`" height="`)
		w.float(b.H)
		w.raw(`"/>`)
	}
	for _, t := range c.YTicks {
		w.raw(`<line class="tick" x1="`)
		w.float(c.Left)
		w.raw(`" x2="`)
		w.float(c.Left + c.PlotW)
		w.raw(`" y1="`)
		w.float(t.Y)
		w.raw(`" y2="`)
		w.float(t.Y)
		w.raw(`"/><text class="lbl" x="`)
		w.float(c.Left - 4)
		w.raw(`" y="`)
		w.float(t.Y + 3.5)
		w.raw(`" text-anchor="end">`)
		w.esc(t.Label)
		w.raw(`</text>`)
	}
	w.raw("\n<polyline class=\"line\" points=\"")
	w.esc(c.Line)
	w.raw(`"/>`)
	for i := range c.Points {
		pt := &c.Points[i]
		if pt.Breach {
			w.raw(`<circle class="pt-bad" cx="`)
		} else {
			w.raw(`<circle class="pt" cx="`)
		}
		w.float(pt.X)
		w.raw(`" cy="`)
		w.float(pt.Y)
		if pt.Breach {
			w.raw(`" r="4.5"><title>`)
		} else {
			w.raw(`" r="3"><title>`)
		}
		w.esc(pt.Label)
		w.raw(`</title></circle>`)
	}
	w.raw("\n<text class=\"lbl\" x=\"")
	w.float(c.Left)
	w.raw(`" y="`)
	w.float(c.H - 6)
	w.raw(`">`)
	w.esc(c.XFrom)
	w.raw(`</text><text class="lbl" x="`)
	w.float(c.Left + c.PlotW)
	w.raw(`" y="`)
	w.float(c.H - 6)
	w.raw(`" text-anchor="end">`)
	w.esc(c.XTo)
	w.raw("</text>\n</svg>\n<figcaption>")
	w.esc(c.Summary)
	w.tr("punct.stop")
	w.raw("</figcaption></figure>")
}

const serviceStyle = `
<style>
.service label{display:block;font-weight:600;margin-top:.4rem}
.service select,.service textarea{width:100%;font:inherit;padding:.35rem;border:1px solid var(--muted);border-radius:.3rem;background:#fff;color:var(--ink)}
.service button{font:inherit;font-weight:600;margin-top:.5rem;padding:.4rem 1.2rem;border:0;border-radius:.3rem;background:var(--accent);color:#fff}
</style>
<section aria-labelledby="h-service">
<h2 id="h-service">`

// service is the "service" template.
func (w *pageWriter) service(p *Page) {
	f := p.Service
	if f == nil {
		return
	}
	w.raw(serviceStyle)
	w.tr("service.h")
	w.raw("</h2>\n<div class=\"card\">\n<p>")
	w.tr("service.intro", f.Brand)
	w.raw("</p>\n<form class=\"service\" method=\"post\" action=\"")
	w.url(f.Action)
	w.raw("\">\n<input type=\"hidden\" name=\"subject\" value=\"")
	w.esc(f.Subject)
	w.raw("\">\n<input type=\"hidden\" name=\"lang\" value=\"")
	w.esc(w.l.Code)
	w.raw("\">\n<label for=\"svc-topic\">")
	w.tr("service.topic")
	w.raw("</label>\n<select id=\"svc-topic\" name=\"topic\">")
	for _, t := range f.Topics {
		w.raw(`<option value="`)
		w.esc(t)
		w.raw(`">`)
		w.tr("topic." + t)
		w.raw(`</option>`)
	}
	w.raw("</select>\n<label for=\"svc-msg\">")
	w.tr("service.message")
	w.raw("</label>\n<textarea id=\"svc-msg\" name=\"message\" rows=\"4\" maxlength=\"")
	w.int(f.MaxRunes)
	w.raw("\" required aria-describedby=\"svc-hint\"></textarea>\n<p id=\"svc-hint\" class=\"small\">")
	w.tr("service.hint", f.MaxRunes)
	w.raw("</p>\n<button type=\"submit\">")
	w.tr("service.send")
	w.raw("</button>\n</form>\n</div>\n</section>\n")
}

// anchors is the "anchors" template.
func (r *Renderer) anchors(w *pageWriter, p *Page) {
	if len(p.Anchors) == 0 {
		return
	}
	w.raw(`<section class="anchors" aria-labelledby="h-proof"><h2 id="h-proof">`)
	w.tr("proof.h")
	w.raw("</h2>\n<p>")
	w.tr("proof.summary")
	w.raw("</p>\n")
	if lot := p.Lot; lot != nil {
		w.raw(`<div class="receipt-check" id="tl-check" aria-live="polite" data-src="?format=receipt" data-lot="`)
		w.esc(lot.GTIN)
		w.raw("/")
		w.esc(lot.Lot)
		w.raw(`" hidden></div>`)
	}
	w.raw("\n<details class=\"card\"><summary>")
	w.tr("proof.more")
	w.raw("</summary>\n<p class=\"small\">")
	w.tr("proof.explain")
	w.raw(` <a href="?format=receipt" download="receipt.json">`)
	w.tr("proof.receipt")
	w.raw(`</a> `)
	w.tr("proof.and")
	w.raw(" <code>trustline verify</code>.</p>\n<ul class=\"anchor-list\" data-ok=\"")
	w.tr("proof.ok")
	w.raw(`" data-bad="`)
	w.tr("proof.bad")
	w.raw(`" data-missing="`)
	w.tr("proof.missing")
	w.raw(`">`)
	for i := range p.Anchors {
		a := &p.Anchors[i]
		if a.Anchored {
			w.raw("\n<li data-id=\"")
			w.esc(a.EventID)
			w.raw(`">`)
			w.tr("proof.block", strconv.FormatUint(a.Block, 10), strconv.FormatUint(a.ChainID, 10))
			w.raw(` <span class="hash" title="`)
			w.esc(a.TxHash)
			w.raw(`">`)
			w.esc(short(a.TxHash))
			w.raw(`</span>`)
			if a.Anchors > 1 {
				w.raw(", ")
				w.tr("proof.members", a.Anchors)
			}
			w.raw(`) <span class="merkle-check"></span><br><span class="hash small" title="`)
		} else {
			w.raw("\n<li>")
			w.tr("proof.pending")
			w.raw(` <br><span class="hash small" title="`)
		}
		w.esc(a.EventID)
		w.raw(`">`)
		w.esc(short(a.EventID))
		w.raw(`</span></li>`)
	}
	w.raw("\n</ul></details>\n<script type=\"application/json\" id=\"tl-msgs\">")
	w.raw(w.lp.checkMsgs)
	w.raw("</script>\n<script src=\"")
	w.url(r.scriptSrc)
	w.raw(`" defer></script></section>`)
}
