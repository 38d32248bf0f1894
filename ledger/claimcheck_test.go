package ledger

import (
	"strings"
	"testing"
)

func TestCheckParams(t *testing.T) {
	tests := []struct {
		name string
		kind ClaimKind
		p    ClaimParams
		want string
	}{
		{"unknown kind", "tastes_great", ClaimParams{}, `claim kind "tastes_great" is not one of`},
		{"no params", ClaimColdChain, ClaimParams{}, "takes exactly the params.coldChain parameters, 0"},
		{"wrong params", ClaimColdChain, ClaimParams{LabTested: &LabTestedParams{}}, "needs params.coldChain"},
		{"two sets", ClaimColdChain, ClaimParams{ColdChain: &ColdChainParams{MaxGapMinutes: 5}, LabTested: &LabTestedParams{}}, "2 parameter sets"},
		{"zero hours", ClaimFarmToShelf, ClaimParams{FarmToShelf: &FarmToShelfParams{}}, "farmToShelf.hours 0"},
		{"bad retail place", ClaimFarmToShelf, ClaimParams{FarmToShelf: &FarmToShelfParams{Hours: 4, RetailPlaces: []string{"shop"}}}, `retail place "shop"`},
		{"empty range", ClaimColdChain, ClaimParams{ColdChain: &ColdChainParams{MaxGapMinutes: 5, Range: &TempRange{MinC: 4, MaxC: 4}}}, "range 4 to 4 °C is empty"},
		{"no gap", ClaimColdChain, ClaimParams{ColdChain: &ColdChainParams{}}, "maxGapMinutes 0"},
		{"no analytes", ClaimLabTested, ClaimParams{LabTested: &LabTestedParams{MaxAgeDays: 3}}, "lists 0 analytes"},
		{"no region", ClaimOriginIn, ClaimParams{OriginIn: &OriginInParams{GLNs: []string{"4260123451004"}}}, "region is required"},
		{"two vertices", ClaimOriginIn, ClaimParams{OriginIn: &OriginInParams{Region: "X", Polygon: []Geo{{}, {}}}}, "2 vertices"},
		{"retail place check digit", ClaimFarmToShelf, ClaimParams{FarmToShelf: &FarmToShelfParams{Hours: 4, RetailPlaces: []string{"4260123451005"}}}, `retail place "4260123451005" is not a GLN or GLN Digital Link: GLN 4260123451005 has check digit 5, expected 4`},
		{"origin GLN check digit", ClaimOriginIn, ClaimParams{OriginIn: &OriginInParams{Region: "X", GLNs: []string{"4260123451005"}}}, "check digit"},
		{"origin GLN not a place", ClaimOriginIn, ClaimParams{OriginIn: &OriginInParams{Region: "X", GLNs: []string{"https://id.gs1.org/01/09506000134352"}}}, "does not name a place"},
		{"no scheme", ClaimCertified, ClaimParams{Certified: &CertifiedParams{ValidDays: 3}}, "scheme is required"},
	}
	for _, tt := range tests {
		err := tt.p.Check(tt.kind)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Check = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckAcceptsGLNForms(t *testing.T) {
	for _, place := range []string{"4260123451004", "https://id.gs1.org/414/4260123451004", "https://example.com/414/4260123451004/254/dock-2"} {
		p := ClaimParams{FarmToShelf: &FarmToShelfParams{Hours: 4, RetailPlaces: []string{place}}}
		if err := p.Check(ClaimFarmToShelf); err != nil {
			t.Errorf("%s: %v", place, err)
		}
	}
}
