package api

import (
	"net/http"
	"strings"

	"github.com/trustline/trustline/node/web"
)

// localizeProblem writes p in the request's language (?lang=, else
// Accept-Language): in English the node's own title and detail, which name
// the exact cause; in another language the title and plain detail of p's
// kind (package web's problems.go). The type URI and the other members
// stay as they are.
func localizeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	lang := web.MatchLang(r)
	w.Header().Set("Content-Language", lang.Code)
	w.Header().Add("Vary", "Accept-Language")
	if lang == web.English {
		return
	}
	if title, detail, ok := lang.Problem(strings.TrimPrefix(p.Type, ProblemTypePrefix)); ok {
		p.Title, p.Detail = title, detail
	}
}
