package claims

import (
	"fmt"
	"strings"

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

func describePlace(o ledger.Origin) string {
	var parts []string
	if a := o.Place.Address; a != nil {
		parts = append(parts, a.City+", "+a.Country)
	}
	if g := o.Place.Geo; g != nil {
		parts = append(parts, fmt.Sprintf("%.4f, %.4f", g.Latitude, g.Longitude))
	}
	if len(parts) == 0 {
		parts = append(parts, o.Producer)
	}
	return strings.Join(parts, " at ")
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
