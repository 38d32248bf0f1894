package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/node/scans"
	"github.com/trustline/trustline/node/web"
)

// Scan counts (package scans): the resolver counts each consumer page it
// serves (countScan), and members read the counts at
//
//	GET /scans[?gtin=GTIN][&lot=LINK|LOT][&from=DAY][&to=DAY][&by=gtin,lot,day,lang,country]
//
// as a page for a browser, or JSON (?format=json, or Accept: application/json):
// a scans.Report. The route is on the member surface (member.go): counts
// are the member's business, not the shoppers'.

// countScan counts a consumer page of l the resolver found and serves.
func (s *Server) countScan(r *http.Request, l digitallink.Link) {
	if s.opts.Scans == nil {
		return
	}
	k, ok := scans.Classify(r, s.now())
	if !ok {
		return
	}
	k.GTIN, k.Lot = l.GTIN, l.Lot
	s.opts.Scans.Count(k, web.MatchLang(r).Code)
}

func (s *Server) scans(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, by, err := scanQuery(q)
	if err == nil {
		for _, b := range by {
			if !slices.Contains(scans.Dimensions, b) {
				err = fmt.Errorf("by %q: use a comma-separated list of %s", b, strings.Join(scans.Dimensions, ", "))
			}
		}
	}
	if err != nil {
		s.problem(w, r, http.StatusBadRequest, "invalid-scans-query", "Invalid scans query", err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Accept")
	if q.Get("format") == "json" || negotiate(r, typeJSON, typeHTML) != typeHTML {
		rep, err := s.opts.Scans.Report(f, by)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, "application/json", rep)
		return
	}
	p := &web.ScansPage{Filter: describe(f)}
	jq := url.Values{}
	for k, v := range q {
		jq[k] = v
	}
	jq.Set("format", "json")
	p.JSON = "/scans?" + jq.Encode()
	for _, g := range []struct {
		by  []string
		dst *[]scans.Count
	}{
		{[]string{scans.ByGTIN}, &p.Products},
		{[]string{scans.ByLot}, &p.Lots},
		{[]string{scans.ByDay}, &p.Days},
		{[]string{scans.ByLang, scans.ByCountry}, &p.Places},
	} {
		rep, err := s.opts.Scans.Report(f, g.by)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		*g.dst, p.Total = rep.Rows, rep.Total
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.page.Scans(w, p); err != nil {
		s.log.Error("rendering the scans page", "err", err)
	}
}

// scanQuery reads /scans' parameters.
func scanQuery(q url.Values) (scans.Filter, []string, error) {
	f := scans.Filter{GTIN: q.Get("gtin"), Lot: q.Get("lot"), From: q.Get("from"), To: q.Get("to")}
	if strings.HasPrefix(f.Lot, "http") || strings.HasPrefix(f.Lot, "/01/") { // a lot's Digital Link
		l, err := digitallink.Parse(f.Lot)
		if err != nil {
			return f, nil, fmt.Errorf("lot: %w", err)
		}
		if l.Lot == "" {
			return f, nil, fmt.Errorf("lot %q is a %s link, not a lot's", f.Lot, l.Level())
		}
		if f.GTIN != "" && f.GTIN != l.GTIN {
			return f, nil, fmt.Errorf("gtin %s and lot %s name different products", f.GTIN, f.Lot)
		}
		f.GTIN, f.Lot = l.GTIN, l.Lot
	}
	if f.GTIN != "" {
		if _, err := digitallink.Parse("/01/" + f.GTIN); err != nil {
			return f, nil, fmt.Errorf("gtin %q: %w", f.GTIN, err)
		}
	}
	for _, d := range []struct{ name, v string }{{"from", f.From}, {"to", f.To}} {
		if _, err := time.Parse(time.DateOnly, d.v); d.v != "" && err != nil {
			return f, nil, fmt.Errorf("%s %q is not a date (YYYY-MM-DD)", d.name, d.v)
		}
	}
	var by []string
	if v := q.Get("by"); v != "" {
		by = strings.Split(v, ",")
	}
	return f, by, nil
}

// describe says in words what a filter selects.
func describe(f scans.Filter) string {
	var parts []string
	if f.GTIN != "" {
		parts = append(parts, "product "+f.GTIN)
	}
	if f.Lot != "" {
		parts = append(parts, "lot "+f.Lot)
	}
	if f.From != "" {
		parts = append(parts, "from "+f.From)
	}
	if f.To != "" {
		parts = append(parts, "to "+f.To)
	}
	return strings.Join(parts, ", ")
}
