package chaincode

import (
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/gs1/digitallink"
)

// GS1 identifiers as the chaincode uses them. Every function here returns
// canonical forms: GTIN-14, and Digital Links on id.gs1.org. References
// to lots, units, logistic units and places are accepted on any resolver
// domain and in any valid form, and normalised, so that two spellings of a
// lot are one lot.

// gtin14 validates a GTIN-8/12/13/14 and returns it as GTIN-14.
func gtin14(field, s string) (string, error) {
	g, err := gs1.ValidateGTIN(s)
	if err != nil {
		return "", wrapf(ErrInvalid, err, "%s", field)
	}
	return g, nil
}

// productLink is https://id.gs1.org/01/{GTIN-14}; gtin is already valid.
func productLink(gtin string) string {
	l, _ := digitallink.ForProduct(gtin)
	return l.String()
}

// lotLink is the canonical lot Digital Link; it fails for a lot number that
// is not a valid GS1 AI (10) value.
func lotLink(field, gtin, lot string) (string, error) {
	l, err := digitallink.ForLot(gtin, lot)
	if err != nil {
		return "", wrapf(ErrInvalid, err, "%s %q", field, lot)
	}
	return l.String(), nil
}

// unitLink is the canonical Digital Link of a serialised unit of a lot.
func unitLink(field, gtin, lot, serial string) (string, error) {
	l, err := digitallink.ForUnit(gtin, lot, serial)
	if err != nil {
		return "", wrapf(ErrInvalid, err, "%s %q", field, serial)
	}
	return l.String(), nil
}

// parsedLot is a lot reference from a Digital Link.
type parsedLot struct {
	GTIN, Lot string
	// Link is the canonical Digital Link.
	Link string
}

func parseLink(field, uri string) (digitallink.Link, error) {
	l, err := digitallink.Parse(uri)
	if err != nil {
		return l, wrapf(ErrInvalid, err, "%s %q is not a valid GS1 Digital Link", field, truncate(uri, 200))
	}
	return l, nil
}

// parseLot parses a Digital Link that names a lot: a GTIN and a lot and
// nothing finer (no serial) or other (no consumer product variant).
func parseLot(field, uri string) (parsedLot, error) {
	l, err := parseLink(field, uri)
	if err != nil {
		return parsedLot{}, err
	}
	if l.Level() != digitallink.Lot || l.CPV != "" {
		return parsedLot{}, errorf(ErrInvalid, "%s %q does not name a lot: want https://id.gs1.org/01/{GTIN}/10/{lot}", field, uri)
	}
	return parsedLot{GTIN: l.GTIN, Lot: l.Lot, Link: l.LotLink().String()}, nil
}

// parseUnit parses a Digital Link of a serialised unit with its lot.
func parseUnit(field, uri string) (gtin, serial, link string, err error) {
	l, err := parseLink(field, uri)
	if err != nil {
		return "", "", "", err
	}
	if l.Level() != digitallink.Unit || l.Lot == "" || l.CPV != "" {
		return "", "", "", errorf(ErrInvalid, "%s %q does not name a unit: want https://id.gs1.org/01/{GTIN}/10/{lot}/21/{serial}", field, uri)
	}
	return l.GTIN, l.Serial, digitallink.Link{GTIN: l.GTIN, Lot: l.Lot, Serial: l.Serial}.String(), nil
}

// parseSSCC accepts an 18-digit SSCC or its Digital Link and returns the
// SSCC and its canonical Digital Link.
func parseSSCC(field, s string) (sscc, link string, err error) {
	var l digitallink.Link
	if gs1.AllDigits(s) {
		if l, err = digitallink.ForSSCC(s); err != nil {
			return "", "", wrapf(ErrInvalid, err, "%s", field)
		}
	} else {
		if l, err = parseLink(field, s); err != nil {
			return "", "", err
		}
		if l.Level() != digitallink.LogisticUnit {
			return "", "", errorf(ErrInvalid, "%s %q does not name a logistic unit: want an SSCC or https://id.gs1.org/00/{SSCC}", field, s)
		}
	}
	return l.SSCC, digitallink.Link{SSCC: l.SSCC}.String(), nil
}

// parseLocation accepts a 13-digit GLN or a GLN Digital Link with an
// optional extension (AI 254) and returns its canonical Digital Link.
func parseLocation(field, s string) (string, error) {
	if gs1.AllDigits(s) {
		l, err := digitallink.ForGLN(s, "")
		if err != nil {
			return "", wrapf(ErrInvalid, err, "%s", field)
		}
		return l.String(), nil
	}
	l, err := parseLink(field, s)
	if err != nil {
		return "", err
	}
	if l.Level() != digitallink.Location {
		return "", errorf(ErrInvalid, "%s %q does not name a place: want a GLN or https://id.gs1.org/414/{GLN}[/254/{extension}]", field, s)
	}
	return digitallink.Link{GLN: l.GLN, GLNExtension: l.GLNExtension}.String(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
