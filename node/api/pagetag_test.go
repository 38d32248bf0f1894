package api

import (
	"strings"
	"testing"

	"github.com/trustline/trustline/node/web"
)

// TestPageTag: a page's tag, with its style sheet hashed as a digest,
// is the same for the same bytes and differs for pages that differ in
// any byte: before the sheet, in it (the whole page is hashed then),
// after it, or in where it sits.
func TestPageTag(t *testing.T) {
	sheet := web.New().StyleSheet()
	if len(sheet) < 1000 {
		t.Fatalf("style sheet of %d bytes: not the page's", len(sheet))
	}
	st := newStyleTag(sheet)
	page := func(head, css, body string) []byte {
		return []byte("<!doctype html>\n<head><title>" + head + "</title>\n<style>" + css + "</style>\n</head><body>" + body + "</body>")
	}
	altered := strings.Replace(sheet, "}", "};", 1)
	pages := []struct {
		name string
		b    []byte
	}{
		{"page", page("Apples · lot L1", sheet, "<p>1 event</p>")},
		{"title", page("Apples · lot L2", sheet, "<p>1 event</p>")},
		{"body", page("Apples · lot L1", sheet, "<p>2 events</p>")},
		{"sheet altered", page("Apples · lot L1", altered, "<p>1 event</p>")},
		{"sheet moved", page("Apples · lot L1", "", sheet+"<p>1 event</p>")},
		{"no sheet", page("Apples · lot L1", "", "<p>1 event</p>")},
		{"no style element", []byte("<!doctype html>\n<p>1 event</p>")},
	}
	seen := map[string]string{}
	for _, p := range pages {
		tag := st.pageTag(p.b)
		if again := st.pageTag(append([]byte(nil), p.b...)); again != tag {
			t.Errorf("%s: tags %s and %s for the same bytes", p.name, tag, again)
		}
		if !strings.HasPrefix(tag, `W/"html-`) {
			t.Errorf("%s: tag %s", p.name, tag)
		}
		if other, ok := seen[tag]; ok {
			t.Errorf("%s and %s: the same tag %s", other, p.name, tag)
		}
		seen[tag] = p.name
	}
	// Only a page that holds the sheet where it belongs is hashed without
	// it; any other is hashed whole, as before.
	for _, p := range pages[3:] {
		if got, want := st.pageTag(p.b), etag("html", p.b); got != want {
			t.Errorf("%s: tag %s, want the whole page's %s", p.name, got, want)
		}
	}
	if got, whole := st.pageTag(pages[0].b), etag("html", pages[0].b); got == whole {
		t.Errorf("page: hashed whole")
	}
}
