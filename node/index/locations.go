package index

// Location master data (ledger.Location), recorded by the locations'
// owners and indexed with each transaction:
//
//	G {location}           → ledger.Location
//	H {parent} {location}  → "" (children; an entry whose child moved to
//	                          another parent is skipped on reading)
//
// so that WD_bizLocation and WD_readPoint answer a location with its
// descendants, and pages show places by name and local time.
//
// A location's descendants are resolved once and kept in memory until a
// commit writes location master data (locationCache), not walked again
// for every query and every event a subscription checks. Kept in memory
// rather than as a table: the index's layout and digest stay as they
// were, and a hierarchy changes rarely.

import (
	"fmt"

	"github.com/trustline/trustline/ledger"
)

const (
	tLocation      = 'G'
	tLocationChild = 'H'
)

// maxDescendants bounds a WD_ expansion.
const maxDescendants = 10000

func applyLocation(w writer, l ledger.Location) error {
	if !validComponent(l.ID) {
		return fmt.Errorf("location with id %q", l.ID)
	}
	if err := setJSON(w, key(tLocation, l.ID), l); err != nil {
		return err
	}
	if l.Parent != "" && validComponent(l.Parent) {
		return w.Set(key(tLocationChild, l.Parent, l.ID), nil, nil)
	}
	return nil
}

// Location returns a location's master data by GLN Digital Link, SGLN
// URN or bare GLN.
func (x *Index) Location(id string) (ledger.Location, error) {
	var l ledger.Location
	canon := locationID(id)
	if c, err := ledger.LocationID(id); err == nil {
		canon = c
	}
	ok, err := getJSON(x.db, key(tLocation, canon), &l)
	if err == nil && !ok {
		err = notFound("location %s", id)
	}
	return l, err
}

// LocationDescendants returns the location and every location under it,
// transitively (each once), canonical; a location without master data is
// its own only descendant.
func (x *Index) LocationDescendants(id string) ([]string, error) {
	root := locationID(id)
	gen := x.locCache.generation()
	if ds, ok := x.locCache.get(root, gen); ok {
		return append([]string(nil), ds...), nil
	}
	ds, err := x.locationDescendants(root)
	if err != nil {
		return nil, err
	}
	x.locCache.put(root, gen, ds)
	return append([]string(nil), ds...), nil
}

func (x *Index) locationDescendants(root string) ([]string, error) {
	out := []string{root}
	seen := map[string]bool{root: true}
	for i := 0; i < len(out) && len(out) < maxDescendants; i++ {
		parent := out[i]
		var kids []string
		err := scan(x.db, prefix(tLocationChild, parent), nil, func(k, _ []byte) (bool, error) {
			kids = append(kids, last(k))
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		for _, c := range kids {
			if seen[c] {
				continue
			}
			var l ledger.Location
			if ok, err := getJSON(x.db, key(tLocation, c), &l); err != nil {
				return nil, err
			} else if !ok || l.Parent != parent {
				continue // moved to another parent
			}
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// locationCache keeps resolved descendants by root; its generation moves
// after every commit that wrote location master data (G or H).
type locationCache = genCache[[]string]

// writesLocations reports whether any of txs records location master data.
func writesLocations(txs []Tx) bool {
	for _, t := range txs {
		if t.Event != nil && len(t.Event.Locations) > 0 {
			return true
		}
	}
	return false
}
