// Package web renders a member node's consumer pages: the landing page of
// a product's QR code, showing where a lot comes from, its lab reports,
// its journey through the cold chain and any recall.
//
// Pages are server-rendered HTML documents with inline CSS and inline SVG
// (html/template, except the consumer page, which every scan renders: it is
// written by hand-written Go that gives the bytes of its template, see
// pagehtml.go): one small response, no external resources, so that they load
// fast on a phone in a shop and work with script disabled. Scripts only
// add: inline, each time in the viewer's zone; deferred, from ScriptPath
// (cached once per phone), a check of the lot's trace receipt in the
// browser (receipt.CheckJS, check.go), which says whether the history
// shown is complete and current as of the newest anchored window, or what
// is missing.
package web

import (
	"bytes"
	"embed"
	"html"
	"html/template"
	"io"
	"net/url"
	"sync"

	"github.com/trustline/trustline/ledger"
)

//go:embed templates
var files embed.FS

// Renderer renders pages; it is safe for concurrent use.
type Renderer struct {
	// t are the templates: the consumer page's (page.html) is the
	// reference for its hand-written renderer (pagehtml.go).
	t         *template.Template
	js        []byte // the page's script (Script)
	jsVersion string
	css       string // the inline style sheet
	scriptSrc string // the script's URL
	parts     map[*Lang]*langParts
}

// New parses the embedded templates.
func New() *Renderer {
	css, err := files.ReadFile("templates/style.css")
	if err != nil {
		panic(err)
	}
	css = bytes.ReplaceAll(css, []byte("\n"), nil) // one rule a line in the source, one line on the wire
	funcs := template.FuncMap{
		"css":     func() template.CSS { return template.CSS(css) },
		"time":    parseTime,
		"short":   short,
		"webURL":  webURL,
		"status":  statusKey,
		"at":      localTime,
		"chartOf": func(l *Lang, c *Chart) chartData { return chartData{l, c} },
		"add":     func(a, b float64) float64 { return a + b },
		"sub":     func(a, b float64) float64 { return a - b },
		// t is Lang.T as a function: a method call in a template looks
		// the method up by name on every call (reflect's MethodByName,
		// which builds its func type), a function once at parse time.
		"t": func(l *Lang, key string, args ...any) string { return l.T(key, args...) },
	}
	js, version := script()
	funcs["scriptSrc"] = func() string { return ScriptPath + "?v=" + version }
	funcs["checkMsgs"] = checkMessages
	t := template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/*.html"))
	r := &Renderer{t: t, js: js, jsVersion: version, css: string(css), scriptSrc: ScriptPath + "?v=" + version, parts: map[*Lang]*langParts{}}
	for _, l := range Langs {
		r.parts[l] = newLangParts(l)
	}
	return r
}

// Page writes p as an HTML document.
func (r *Renderer) Page(w io.Writer, p *Page) error {
	if p.L == nil {
		p.L = English
	}
	var err error
	r.pooledPage(p, func(bs []byte) { _, err = w.Write(bs) })
	return err
}

// Error is a friendly error page's content.
type Error struct {
	// Detail is the cause in the node's words (English), shown small.
	Title, Message, Detail string
	// Scan adds the hint for a shopper who scanned a code.
	Scan bool
	// L is the page's language; nil means English.
	L *Lang
}

// Error writes an error page.
func (r *Renderer) Error(w io.Writer, e Error) error {
	if e.L == nil {
		e.L = English
	}
	return r.execute(w, "error", e)
}

// chartData is what the chart template draws: a chart in a language.
type chartData struct {
	L *Lang
	C *Chart
}

// localTime renders t in the local time of its place, as a <time> with UTC
// in its title (the page's script adds the viewer's own time); a time in
// UTC is plain text.
func localTime(l *Lang, t Time) template.HTML {
	if t.IsZero() {
		return template.HTML(html.EscapeString(l.When(t)))
	}
	if t.zone == nil { // in UTC, and saying so: nothing to add on hover
		return template.HTML(html.EscapeString(l.When(t)))
	}
	return template.HTML(`<time datetime="` + t.ISO() + `" title="` + html.EscapeString(l.WhenUTC(t)) + `">` + html.EscapeString(l.When(t)) + `</time>`)
}

// StyleSheet is the inline style sheet of the pages r writes: the same
// bytes in every one of them, between "<style>" and "</style>".
func (r *Renderer) StyleSheet() string { return r.css }

// AppendPage appends p as an HTML document to dst: what Page writes.
func (r *Renderer) AppendPage(dst []byte, p *Page) ([]byte, error) {
	if p.L == nil {
		p.L = English
	}
	if cap(dst)-len(dst) >= 32<<10 {
		return r.appendPage(dst, p), nil
	}
	r.pooledPage(p, func(bs []byte) { dst = append(dst, bs...) })
	return dst, nil
}

// pooledPage renders p into a pooled buffer and hands the bytes to use,
// which must not keep them: rendered into a new slice, a page would grow
// through a dozen sizes.
func (r *Renderer) pooledPage(p *Page, use func([]byte)) {
	b := bufs.Get().(*bytes.Buffer)
	b.Reset()
	defer putBuf(b)
	bs := r.appendPage(b.AvailableBuffer()[:0], p)
	if cap(bs) > b.Cap() {
		b.Reset()
		b.Grow(cap(bs)) // the next page fits
	}
	use(bs)
}

// templatePage is p rendered by the "page" template, the reference for
// appendPage (TestPageDifferential).
func (r *Renderer) templatePage(p *Page) ([]byte, error) {
	if p.L == nil {
		p.L = English
	}
	b, err := r.render("page", p)
	if err != nil {
		return nil, err
	}
	defer putBuf(b)
	return bytes.Clone(b.Bytes()), nil
}

// execute renders into a buffer first so that a template error never
// leaves a half-written page behind a 200.
func (r *Renderer) execute(w io.Writer, name string, data any) error {
	b, err := r.render(name, data)
	if err != nil {
		return err
	}
	defer putBuf(b)
	_, err = w.Write(b.Bytes())
	return err
}

// render executes template name into a pooled buffer; putBuf returns it.
func (r *Renderer) render(name string, data any) (*bytes.Buffer, error) {
	b := bufs.Get().(*bytes.Buffer)
	b.Reset()
	if err := r.t.ExecuteTemplate(b, name, data); err != nil {
		putBuf(b)
		return nil, err
	}
	return b, nil
}

// bufs are render buffers: a page is tens of KiB, grown through a dozen
// sizes when rendered into a new buffer.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 { // don't keep the buffer of a huge page
		bufs.Put(b)
	}
}

// short abbreviates a long hash or address, keeping both ends for checking.
func short(s string) string {
	if len(s) <= 20 {
		return s
	}
	return s[:10] + "…" + s[len(s)-6:]
}

// webURL returns u if a browser can open it, else "" (the template then
// shows the URI as text instead of a broken link).
func webURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") {
		return ""
	}
	return u
}

// statusKey is the message of a lot's status.
func statusKey(s ledger.LotStatus) string {
	switch s {
	case ledger.StatusRecalled:
		return "status.recalled"
	case ledger.StatusBreach:
		return "status.breach"
	case ledger.StatusInTransit:
		return "status.transit"
	}
	return "status.active"
}
