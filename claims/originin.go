package claims

import (
	"strings"

	"github.com/trustline/trustline/ledger"
)

// origin_in (ledger.ClaimOriginIn): every origin place lies in a region,
// given by GLNs or a polygon (place.go).
func (e *evaluation) originIn(p ledger.OriginInParams) verdict {
	if len(e.origins) == 0 {
		return verdict{status: Pending, why: why("no_origin")}
	}
	glns := map[string]bool{}
	for _, g := range p.GLNs {
		k, _, _ := strings.Cut(placeKey(g), "/")
		glns[k] = true
	}
	var ev []string
	for _, o := range e.origins {
		id := e.originEvent(o.ID)
		ev = append(ev, id)
		in := false
		for _, loc := range []string{o.Origin.Producer, o.Origin.Place.Location} {
			k, _, _ := strings.Cut(placeKey(loc), "/")
			in = in || (loc != "" && glns[k])
		}
		if g := o.Origin.Place.Geo; !in && g != nil && len(p.Polygon) >= 3 {
			in = inPolygon(*g, p.Polygon)
		}
		if !in {
			return verdict{Fails, why("origin_outside", argText(o.ID), argClause(describePlace(*o.Origin)), argText(p.Region)), []string{id}}
		}
	}
	what := why("the_origin")
	if len(e.origins) > 1 {
		what = why("all_origins", argCount(len(e.origins)))
	}
	return verdict{Holds, why("origin_inside", argClause(what), argClause(describePlace(*e.origins[0].Origin)), argText(p.Region)), ev}
}
