package chaincode

// GS1 identifiers as the chaincode uses them. Every function here returns
// canonical forms: GTIN-14, and Digital Links on id.gs1.org.
//
// Interim: these use a minimal local GS1 implementation (gs1local.go) until
// the shared gs1 and gs1/digitallink packages land; only this file and
// gs1local.go change then.

// gtin14 validates a GTIN-8/12/13/14 and returns it as GTIN-14.
func gtin14(field, s string) (string, error) {
	g, err := localValidateGTIN(s)
	if err != nil {
		return "", wrapf(ErrInvalid, err, "%s %q", field, s)
	}
	return g, nil
}

// productLink is https://id.gs1.org/01/{GTIN-14}.
func productLink(gtin string) string { return localBase + "/01/" + gtin }

// lotLink is the canonical lot Digital Link; it fails for a lot number that
// is not a valid GS1 AI (10) value.
func lotLink(field, gtin, lot string) (string, error) {
	if err := localCheckAI82(lot); err != nil {
		return "", wrapf(ErrInvalid, err, "%s %q", field, lot)
	}
	return localBase + "/01/" + gtin + "/10/" + localEscape(lot), nil
}

// unitLink is the canonical Digital Link of a serialised unit of a lot.
func unitLink(field, gtin, lot, serial string) (string, error) {
	l, err := lotLink("lot", gtin, lot)
	if err != nil {
		return "", err
	}
	if err := localCheckAI82(serial); err != nil {
		return "", wrapf(ErrInvalid, err, "%s %q", field, serial)
	}
	return l + "/21/" + localEscape(serial), nil
}

// parsedLot is a lot reference from a Digital Link.
type parsedLot struct {
	GTIN, Lot string
	// Link is the canonical Digital Link.
	Link string
}

// parseLot parses a Digital Link that names a lot: a GTIN and a lot and
// nothing finer (no serial).
func parseLot(field, uri string) (parsedLot, error) {
	l, err := localParse(uri)
	if err != nil {
		return parsedLot{}, wrapf(ErrInvalid, err, "%s %q is not a valid GS1 Digital Link", field, uri)
	}
	if l.GTIN == "" || l.Lot == "" || l.Serial != "" {
		return parsedLot{}, errorf(ErrInvalid, "%s %q does not name a lot: want https://id.gs1.org/01/{GTIN}/10/{lot}", field, uri)
	}
	link, err := lotLink(field, l.GTIN, l.Lot)
	if err != nil {
		return parsedLot{}, err
	}
	return parsedLot{GTIN: l.GTIN, Lot: l.Lot, Link: link}, nil
}

// parseUnit parses a Digital Link of a serialised unit with its lot.
func parseUnit(field, uri string) (gtin, serial, link string, err error) {
	l, err := localParse(uri)
	if err != nil {
		return "", "", "", wrapf(ErrInvalid, err, "%s %q is not a valid GS1 Digital Link", field, uri)
	}
	if l.GTIN == "" || l.Serial == "" || l.Lot == "" {
		return "", "", "", errorf(ErrInvalid, "%s %q does not name a unit: want https://id.gs1.org/01/{GTIN}/10/{lot}/21/{serial}", field, uri)
	}
	link, err = unitLink(field, l.GTIN, l.Lot, l.Serial)
	return l.GTIN, l.Serial, link, err
}

// parseSSCC accepts an 18-digit SSCC or its Digital Link and returns the
// SSCC and its canonical Digital Link.
func parseSSCC(field, s string) (sscc, link string, err error) {
	if localAllDigits(s) {
		sscc, err = localValidateSSCC(s)
	} else {
		var l localLink
		l, err = localParse(s)
		if err == nil && l.SSCC == "" {
			return "", "", errorf(ErrInvalid, "%s %q does not name a logistic unit: want an SSCC or https://id.gs1.org/00/{SSCC}", field, s)
		}
		sscc = l.SSCC
	}
	if err != nil {
		return "", "", wrapf(ErrInvalid, err, "%s %q", field, s)
	}
	return sscc, localBase + "/00/" + sscc, nil
}

// parseLocation accepts a 13-digit GLN or a GLN Digital Link with an
// optional extension (AI 254) and returns its canonical Digital Link.
func parseLocation(field, s string) (string, error) {
	if localAllDigits(s) {
		gln, err := localValidateGLN(s)
		if err != nil {
			return "", wrapf(ErrInvalid, err, "%s %q", field, s)
		}
		return localBase + "/414/" + gln, nil
	}
	l, err := localParse(s)
	if err != nil {
		return "", wrapf(ErrInvalid, err, "%s %q is not a valid GS1 Digital Link", field, s)
	}
	if l.GLN == "" {
		return "", errorf(ErrInvalid, "%s %q does not name a place: want a GLN or https://id.gs1.org/414/{GLN}[/254/{extension}]", field, s)
	}
	out := localBase + "/414/" + l.GLN
	if l.GLNExtension != "" {
		out += "/254/" + localEscape(l.GLNExtension)
	}
	return out, nil
}
