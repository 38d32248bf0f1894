package claims

import (
	"fmt"

	"github.com/trustline/trustline/ledger"
)

// GS1 places (GLNs) and positions, as origin_in and retail places use them.

// placeKey reduces a GLN or GLN Digital Link (with or without extension)
// to "GLN[/ext]", so that "4260123451004" matches its Digital Link.
func placeKey(s string) string {
	gln, ext, err := ledger.ParseGLN(s)
	switch {
	case err != nil:
		return s
	case ext != "":
		return gln + "/" + ext
	}
	return gln
}

// describePlace is where an origin is: its town, its position or both,
// else its producer.
func describePlace(o ledger.Origin) Why {
	a, g := o.Place.Address, o.Place.Geo
	lat := func() Arg { return argText(fmt.Sprintf("%.4f", g.Latitude)) }
	lon := func() Arg { return argText(fmt.Sprintf("%.4f", g.Longitude)) }
	switch {
	case a != nil && g != nil:
		return why("place_town_geo", argText(a.City), argText(a.Country), lat(), lon())
	case a != nil:
		return why("place_town", argText(a.City), argText(a.Country))
	case g != nil:
		return why("place_geo", lat(), lon())
	}
	return why("place_producer", argText(o.Producer))
}

// inPolygon reports whether g lies inside poly or on its boundary. The
// polygon is in plain latitude/longitude: fine for regions far from the
// poles and the antimeridian.
func inPolygon(g ledger.Geo, poly []ledger.Geo) bool {
	x, y := g.Longitude, g.Latitude
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		xi, yi, xj, yj := poly[i].Longitude, poly[i].Latitude, poly[j].Longitude, poly[j].Latitude
		// On the edge: collinear and within the segment's box.
		if (x-xi)*(yj-yi) == (y-yi)*(xj-xi) && min(xi, xj) <= x && x <= max(xi, xj) && min(yi, yj) <= y && y <= max(yi, yj) {
			return true
		}
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}
