// Package web renders a member node's consumer pages: the landing page of
// a product's QR code, showing where a lot comes from, its lab reports,
// its journey through the cold chain and any recall.
//
// Pages are server-rendered html/template documents with inline CSS and
// inline SVG: one small response, no script, no external resources, so
// that they load fast on a phone in a shop and work with script disabled.
package web

import (
	"bytes"
	"embed"
	"html/template"
	"io"
	"net/url"
	"strings"

	"github.com/trustline/trustline/ledger"
)

//go:embed templates
var files embed.FS

// Renderer renders pages; it is safe for concurrent use.
type Renderer struct {
	t *template.Template
}

// New parses the embedded templates.
func New() *Renderer {
	css, err := files.ReadFile("templates/style.css")
	if err != nil {
		panic(err)
	}
	funcs := template.FuncMap{
		"css":    func() template.CSS { return template.CSS(css) },
		"org":    org,
		"temp":   fmtTemp,
		"time":   parseTime,
		"short":  short,
		"webURL": webURL,
		"status": statusLabel,
		"add":    func(a, b float64) float64 { return a + b },
		"sub":    func(a, b float64) float64 { return a - b },
	}
	t := template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/*.html"))
	return &Renderer{t: t}
}

// Page writes p as an HTML document.
func (r *Renderer) Page(w io.Writer, p *Page) error {
	return r.execute(w, "page", p)
}

// Error is a friendly error page's content.
type Error struct {
	Title, Message, Detail string
}

// Error writes an error page.
func (r *Renderer) Error(w io.Writer, e Error) error {
	return r.execute(w, "error", e)
}

// execute renders into a buffer first so that a template error never
// leaves a half-written page behind a 200.
func (r *Renderer) execute(w io.Writer, name string, data any) error {
	var b bytes.Buffer
	if err := r.t.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
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

func statusLabel(s ledger.LotStatus) string {
	switch s {
	case ledger.StatusRecalled:
		return "Recalled"
	case ledger.StatusBreach:
		return "Cold-chain breach"
	case ledger.StatusInTransit:
		return "In transit"
	case ledger.StatusActive:
		return "No problems recorded"
	}
	return strings.ReplaceAll(string(s), "-", " ")
}
