package claims

import (
	"fmt"
	"strings"

	"github.com/trustline/trustline/ledger"
)

// origin_in (ledger.ClaimOriginIn): every origin place lies in a region,
// given by GLNs or a polygon (place.go).
func (e *evaluation) originIn(p ledger.OriginInParams) verdict {
	if len(e.origins) == 0 {
		return verdict{status: Pending, reason: "no origin is recorded yet"}
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
			return verdict{Fails, fmt.Sprintf("origin of %s (%s) lies outside %s", o.ID, describePlace(*o.Origin), p.Region), []string{id}}
		}
	}
	what := "the origin"
	if len(e.origins) > 1 {
		what = fmt.Sprintf("all %d origins", len(e.origins))
	}
	return verdict{Holds, fmt.Sprintf("%s (%s) lies in %s", what, describePlace(*e.origins[0].Origin), p.Region), ev}
}
