package ledger

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/trustline/trustline/gs1/digitallink"
)

// Location is a place's master data (EPCIS 2.0 §6.5, CBV 2.0 §10 location
// master data): what a GLN or SGLN (a GLN with extension) names, recorded
// on the ledger by the member that owns it, so that every node can show
// places by name and in their local time, and answer WD_bizLocation and
// WD_readPoint through the parents.
type Location struct {
	// ID is the location as a canonical Digital Link,
	// https://id.gs1.org/414/{gln}[/254/{extension}].
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Address *Address `json:"address,omitempty" metadata:",optional"`
	Geo     *Geo     `json:"geo,omitempty" metadata:",optional"`
	// Parent is the location this one is part of (a dock of a warehouse),
	// as a canonical Digital Link; "" for none.
	Parent string `json:"parent,omitempty" metadata:",optional"`
	// TimeZone is the IANA time zone of the place (Europe/Berlin), for
	// local times; "" when unknown.
	TimeZone string `json:"timeZone,omitempty" metadata:",optional"`
	// Owner is the MSP that recorded the location first; only it may
	// change it.
	Owner string `json:"owner"`
	// UpdatedAt is the time of the transaction that last set it.
	UpdatedAt string `json:"updatedAt"`
}

// LocationID returns the canonical Digital Link of a location given as a
// GLN Digital Link (/414/{gln}[/254/{ext}], any domain) or a bare 13-digit
// GLN, or an error naming what is wrong.
func LocationID(s string) (string, error) {
	if len(s) == 13 && strings.Trim(s, "0123456789") == "" {
		s = "https://id.gs1.org/414/" + s
	}
	l, err := digitallink.Parse(s)
	if err != nil {
		return "", fmt.Errorf("location %q: %w", s, err)
	}
	if l.Level() != digitallink.Location {
		return "", fmt.Errorf("location %q is not a GLN (a Digital Link /414/{gln}[/254/{extension}])", s)
	}
	l.Query = nil
	return l.String(), nil
}

var (
	timeZoneRE = regexp.MustCompile(`^(UTC|[A-Z][A-Za-z_+-]*(/[A-Za-z0-9_+-]+){1,2})$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Validate checks a location as given (ID, Parent canonical), naming the
// first field at fault. The time zone is checked for its IANA form only:
// the chaincode must not depend on a peer's time zone database.
func (l Location) Validate() error {
	if id, err := LocationID(l.ID); err != nil {
		return err
	} else if id != l.ID {
		return fmt.Errorf("location id %q is not canonical (%s)", l.ID, id)
	}
	text := func(field, v string, max int, required bool) error {
		switch {
		case required && strings.TrimSpace(v) == "":
			return fmt.Errorf("location %s: %s is required", l.ID, field)
		case utf8.RuneCountInString(v) > max:
			return fmt.Errorf("location %s: %s is longer than %d characters", l.ID, field, max)
		case !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\n\r"):
			return fmt.Errorf("location %s: %s has control characters", l.ID, field)
		}
		return nil
	}
	if err := text("name", l.Name, 200, true); err != nil {
		return err
	}
	if a := l.Address; a != nil {
		for _, f := range []struct{ name, v string }{{"street", a.Street}, {"city", a.City},
			{"region", a.Region}, {"postalCode", a.PostalCode}} {
			if err := text(f.name, f.v, 200, false); err != nil {
				return err
			}
		}
		if a.Country != "" && !countryRE.MatchString(a.Country) {
			return fmt.Errorf("location %s: country %q is not an ISO 3166-1 alpha-2 code", l.ID, a.Country)
		}
	}
	if g := l.Geo; g != nil && (g.Latitude < -90 || g.Latitude > 90 || g.Longitude < -180 || g.Longitude > 180) {
		return fmt.Errorf("location %s: geo %v,%v is not a latitude and longitude", l.ID, g.Latitude, g.Longitude)
	}
	if l.Parent != "" {
		if id, err := LocationID(l.Parent); err != nil {
			return fmt.Errorf("location %s: parent: %w", l.ID, err)
		} else if id != l.Parent {
			return fmt.Errorf("location %s: parent %q is not canonical (%s)", l.ID, l.Parent, id)
		}
		if l.Parent == l.ID {
			return fmt.Errorf("location %s is its own parent", l.ID)
		}
	}
	if l.TimeZone != "" && (!timeZoneRE.MatchString(l.TimeZone) || len(l.TimeZone) > 64) {
		return fmt.Errorf("location %s: time zone %q is not an IANA time zone name (Area/City)", l.ID, l.TimeZone)
	}
	return nil
}

// ObjectLocation is the composite key type of locations: canonical
// Digital Link → Location.
const ObjectLocation = "location"

// LocationRequest is what Location:SetLocation takes: a location's master
// data as its owner states it (ID and Parent in any GLN spelling
// LocationID reads).
type LocationRequest struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Address  *Address `json:"address,omitempty" metadata:",optional"`
	Geo      *Geo     `json:"geo,omitempty" metadata:",optional"`
	Parent   string   `json:"parent,omitempty" metadata:",optional"`
	TimeZone string   `json:"timeZone,omitempty" metadata:",optional"`
}
