package api

import (
	"net/http"
	"strings"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/node/qr"
)

// pngScale is pixels per module: a typical lot code (version 4 to 6, 41
// to 49 modules with the quiet zone) comes out at about 330 to 400 px.
const pngScale = 8

// qr serves /qr/{digital-link-path}.png|.svg: the QR code of the Digital
// Link on this node's public base URL, so that scanning it opens this
// node's page. The code depends only on the path and the configuration,
// so it may be cached for good.
func (s *Server) qr(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/qr")
	var format string
	switch {
	case strings.HasSuffix(path, ".png"):
		format, path = "png", strings.TrimSuffix(path, ".png")
	case strings.HasSuffix(path, ".svg"):
		format, path = "svg", strings.TrimSuffix(path, ".svg")
	default:
		s.problem(w, r, http.StatusNotFound, "not-found", "Not found", "ask for /qr/{digital-link-path}.png or .svg")
		return
	}
	l, err := digitallink.Parse(path)
	if err != nil {
		s.invalidLink(w, r, err)
		return
	}
	uri := l.WithBase(s.base(r))
	code, err := qr.Encode(uri)
	if err != nil {
		s.problem(w, r, http.StatusBadRequest, "too-long", "Digital Link too long", err.Error())
		return
	}
	var body []byte
	switch format {
	case "png":
		if body, err = code.PNG(pngScale); err != nil {
			s.log.Error("encoding a QR PNG", "uri", uri, "err", err)
			s.problem(w, r, http.StatusInternalServerError, "internal", "Internal error", "")
			return
		}
		w.Header().Set("Content-Type", "image/png")
	case "svg":
		body = code.SVG(uri)
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}
