package web

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Map is a small static SVG map of a journey: the origin and each stop
// with a known position, joined in order. It is drawn on the server from
// latitude and longitude alone (an equirectangular projection scaled by
// the cosine of the middle latitude, good enough over a region), with no
// tiles and nothing fetched, so the page stays one small response.
type Map struct {
	W, H   float64
	Line   string // polyline points
	Points []MapPoint
	Label  string // text alternative
}

// MapPoint is a place on the map.
type MapPoint struct {
	X, Y   float64
	Name   string
	Origin bool
	// Anchor is the label's text-anchor: labels on the right half read
	// leftwards so that they stay inside the map.
	Anchor string
	LX, LY float64
}

// stop is a place the journey passed, at a time.
type stop struct {
	uri string
	at  time.Time
}

// journeyMap draws the page's origins and stops; nil when fewer than two
// places have a position.
func (b *builder) journeyMap() *Map {
	type place struct {
		name   string
		lat    float64
		lon    float64
		origin bool
	}
	var ps []place
	seen := map[string]bool{}
	add := func(uri string, origin bool) {
		gln := glnOf(uri)
		if gln == "" || seen[gln] {
			return
		}
		loc, ok := b.location(uri)
		if !ok || loc.Geo == nil {
			return
		}
		seen[gln] = true
		ps = append(ps, place{name: cmp.Or(loc.Town, loc.Name, placeLabel(uri)), lat: loc.Geo.Latitude, lon: loc.Geo.Longitude, origin: origin})
	}
	for _, o := range b.p.Origins {
		add(o.Origin.Place.Location, true)
	}
	stops := slices.Clone(b.stops)
	slices.SortStableFunc(stops, func(a, b stop) int { return a.at.Compare(b.at) })
	for _, s := range stops {
		add(s.uri, false)
	}
	if len(ps) < 2 {
		return nil // one dot on an empty map says nothing
	}
	m := &Map{W: 340, H: 170}
	const pad = 28
	minLat, maxLat, minLon, maxLon := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range ps {
		minLat, maxLat = math.Min(minLat, p.lat), math.Max(maxLat, p.lat)
		minLon, maxLon = math.Min(minLon, p.lon), math.Max(maxLon, p.lon)
	}
	k := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	dx, dy := (maxLon-minLon)*k, maxLat-minLat
	scale := math.Min((m.W-2*pad)/math.Max(dx, 1e-9), (m.H-2*pad)/math.Max(dy, 1e-9))
	// Centre the drawing in the frame.
	ox, oy := (m.W-dx*scale)/2, (m.H-dy*scale)/2
	var line []string
	for _, p := range ps {
		x, y := ox+(p.lon-minLon)*k*scale, oy+(maxLat-p.lat)*scale
		mp := MapPoint{X: round1(x), Y: round1(y), Name: p.name, Origin: p.origin, Anchor: "start", LX: round1(x + 7), LY: round1(y + 4)}
		if x > m.W/2 {
			mp.Anchor, mp.LX = "end", round1(x-7)
		}
		m.Points = append(m.Points, mp)
		line = append(line, ftoa(mp.X)+","+ftoa(mp.Y))
	}
	m.Line = strings.Join(line, " ")
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.name
	}
	m.Label = b.l.T("map.title") + ": " + strings.Join(names, " → ")
	return m
}
