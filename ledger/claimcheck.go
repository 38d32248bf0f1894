package ledger

import (
	"fmt"
	"strings"

	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/gs1/digitallink"
)

// The checks of a claim's parameters live with the parameter types, so
// that the chaincode validates a claim without importing the evaluator
// (package claims), and the CLI and the chaincode agree on what is valid.

// Check checks a claim's kind and parameters: exactly the parameter set
// of its kind, with sensible values. The chaincode and the CLI call it
// before anything is written.
func (p ClaimParams) Check(kind ClaimKind) error {
	set := 0
	for _, b := range []bool{p.FarmToShelf != nil, p.ColdChain != nil, p.LabTested != nil, p.OriginIn != nil, p.Certified != nil, p.Service != nil} {
		if b {
			set++
		}
	}
	want := map[ClaimKind]string{
		ClaimFarmToShelf: "farmToShelf", ClaimColdChain: "coldChain", ClaimLabTested: "labTested",
		ClaimOriginIn: "originIn", ClaimCertified: "certified", ClaimService: "service",
	}[kind]
	if want == "" {
		return fmt.Errorf("claim kind %q is not one of %v", kind, ClaimKinds())
	}
	if set != 1 {
		return fmt.Errorf("a %s claim takes exactly the params.%s parameters, %d parameter sets given", kind, want, set)
	}
	var c interface{ Check() error }
	switch {
	case kind == ClaimFarmToShelf && p.FarmToShelf != nil:
		c = p.FarmToShelf
	case kind == ClaimColdChain && p.ColdChain != nil:
		c = p.ColdChain
	case kind == ClaimLabTested && p.LabTested != nil:
		c = p.LabTested
	case kind == ClaimOriginIn && p.OriginIn != nil:
		c = p.OriginIn
	case kind == ClaimCertified && p.Certified != nil:
		c = p.Certified
	case kind == ClaimService && p.Service != nil:
		c = p.Service
	default:
		return fmt.Errorf("a %s claim needs params.%s", kind, want)
	}
	return c.Check()
}

// Check checks farm_to_shelf_within's parameters.
func (p *FarmToShelfParams) Check() error {
	if p.Hours < 1 || p.Hours > 24*365 {
		return fmt.Errorf("farmToShelf.hours %d is outside 1 to %d", p.Hours, 24*365)
	}
	return checkRetailPlaces(p.RetailPlaces)
}

// Check checks cold_chain's parameters.
func (p *ColdChainParams) Check() error {
	if p.MaxGapMinutes < 1 || p.MaxGapMinutes > 7*24*60 {
		return fmt.Errorf("coldChain.maxGapMinutes %d is outside 1 to %d", p.MaxGapMinutes, 7*24*60)
	}
	if r := p.Range; r != nil {
		for _, v := range []float64{r.MinC, r.MaxC} {
			if v != v || v < -100 || v > 100 {
				return fmt.Errorf("coldChain temperature %g °C is outside -100 to 100 °C", v)
			}
		}
		if r.MinC >= r.MaxC {
			return fmt.Errorf("coldChain range %g to %g °C is empty", r.MinC, r.MaxC)
		}
	}
	return checkRetailPlaces(p.RetailPlaces)
}

// Check checks lab_tested's parameters.
func (p *LabTestedParams) Check() error {
	if len(p.Analytes) == 0 || len(p.Analytes) > 50 {
		return fmt.Errorf("labTested.analytes lists %d analytes; name 1 to 50", len(p.Analytes))
	}
	for _, a := range p.Analytes {
		if strings.TrimSpace(a) == "" || len(a) > 256 {
			return fmt.Errorf("labTested analyte %q is empty or too long", a)
		}
	}
	if p.MaxAgeDays < 1 || p.MaxAgeDays > 3650 {
		return fmt.Errorf("labTested.maxAgeDays %d is outside 1 to 3650", p.MaxAgeDays)
	}
	return nil
}

// Check checks origin_in's parameters; every GLN must carry its check
// digit.
func (p *OriginInParams) Check() error {
	if strings.TrimSpace(p.Region) == "" || len(p.Region) > 256 {
		return fmt.Errorf("originIn.region is required (at most 256 bytes)")
	}
	if len(p.GLNs) == 0 && len(p.Polygon) == 0 {
		return fmt.Errorf("originIn needs glns or a polygon")
	}
	if len(p.Polygon) > 0 && (len(p.Polygon) < 3 || len(p.Polygon) > 1000) {
		return fmt.Errorf("originIn.polygon has %d vertices; give 3 to 1000", len(p.Polygon))
	}
	for _, g := range p.Polygon {
		if g.Latitude != g.Latitude || g.Longitude != g.Longitude || g.Latitude < -90 || g.Latitude > 90 || g.Longitude < -180 || g.Longitude > 180 {
			return fmt.Errorf("originIn.polygon vertex %g, %g is not a WGS 84 position", g.Latitude, g.Longitude)
		}
	}
	for _, g := range p.GLNs {
		if _, _, err := ParseGLN(g); err != nil {
			return fmt.Errorf("originIn GLN %q is not a GLN or GLN Digital Link: %w", g, err)
		}
	}
	return nil
}

// Check checks certified's parameters.
func (p *CertifiedParams) Check() error {
	if strings.TrimSpace(p.Scheme) == "" || len(p.Scheme) > 256 {
		return fmt.Errorf("certified.scheme is required (at most 256 bytes)")
	}
	if p.ValidDays < 1 || p.ValidDays > 3650 {
		return fmt.Errorf("certified.validDays %d is outside 1 to 3650", p.ValidDays)
	}
	return nil
}

func checkRetailPlaces(ps []string) error {
	for _, s := range ps {
		if _, _, err := ParseGLN(s); err != nil {
			return fmt.Errorf("retail place %q is not a GLN or GLN Digital Link: %w", s, err)
		}
	}
	return nil
}

// ParseGLN reads a place as claims name it: a bare 13-digit GLN or a GLN
// Digital Link, https://id.gs1.org/414/{GLN}[/254/{extension}]. The GLN's
// check digit is verified either way.
func ParseGLN(s string) (gln, extension string, err error) {
	if gs1.AllDigits(s) {
		g, err := gs1.ValidateGLN(s)
		return g, "", err
	}
	l, err := digitallink.Parse(s)
	if err != nil {
		return "", "", err
	}
	if l.GLN == "" {
		return "", "", fmt.Errorf("%s does not name a place (want /414/{GLN})", s)
	}
	return l.GLN, l.GLNExtension, nil
}
