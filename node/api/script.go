package api

import "net/http"

// scriptCacheControl lets a browser keep the page's script under its
// versioned URL for a year: a new version has a new URL.
const scriptCacheControl = "public, max-age=31536000, immutable"

// script serves the consumer page's script (web.ScriptPath): the receipt
// check. Under the version the page names (?v=) it is immutable; under any
// other, revalidated like a page.
func (s *Server) script(w http.ResponseWriter, r *http.Request) {
	js, version := s.page.Script()
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	if notModified(w, r, validators{ETag: etag("script", js)}) { // cache.go
		return
	}
	if r.URL.Query().Get("v") == version {
		w.Header().Set("Cache-Control", scriptCacheControl)
	}
	_, _ = w.Write(js)
}
