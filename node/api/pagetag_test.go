package api

import (
	"strings"
	"testing"
	"time"

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

// TestMinuteOf: the tag cache's minute is the request's minute in UTC,
// the same string within a minute, another across one.
func TestMinuteOf(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 7, 23, 59, 0, 0, time.UTC), "2026-12-07T23:59"},
		{time.Date(2026, 12, 7, 23, 59, 59, 999, time.UTC), "2026-12-07T23:59"},
		{time.Date(2026, 12, 8, 7, 59, 30, 0, shanghai), "2026-12-07T23:59"},
		{time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), "2026-12-08T00:00"},
		{time.Date(2026, 12, 7, 23, 59, 1, 0, time.UTC), "2026-12-07T23:59"},
		{time.Date(1969, 12, 31, 23, 59, 30, 0, time.UTC), "1969-12-31T23:59"},
	} {
		if got := minuteOf(tc.at); got != tc.want || got != tc.at.UTC().Format("2006-01-02T15:04") {
			t.Errorf("minuteOf(%v) = %q, want %q", tc.at, got, tc.want)
		}
	}
}
