package web

import (
	"io"

	"github.com/trustline/trustline/node/scans"
)

// ScansPage is the member page of scan counts (package scans): what the
// node's consumer pages were scanned for, grouped four ways. It is for the
// member's own staff, in English.
type ScansPage struct {
	// Filter describes the selection in words ("" for everything).
	Filter string
	// JSON links the same counts as JSON.
	JSON  string
	Total uint64
	// By product, by lot, by day and by language and country.
	Products, Lots, Days, Places []scans.Count
}

// Scans writes the member page of scan counts.
func (r *Renderer) Scans(w io.Writer, p *ScansPage) error { return r.execute(w, "scans", p) }
