package ledger

// Claims are a brand's promises about a product (all its lots) or one
// lot, registered on the ledger so that every node evaluates them against
// the recorded evidence (package claims). A claim is never edited: a new
// claim supersedes it, and the old record only gains SupersededBy.

// ObjectClaim is the object type of claim records: claim id → Claim.
// ObjectClaimSubject indexes claims by GTIN: GTIN-14, claim id → claim id.
const (
	ObjectClaim        = "claim"
	ObjectClaimSubject = "claimsubject"
)

// ClaimKind is what a claim promises.
type ClaimKind string

// Claim kinds; each has its own parameters in ClaimParams.
const (
	// ClaimFarmToShelf: at most Hours from the origin's harvest or
	// production time to the first receipt at a retail place.
	ClaimFarmToShelf ClaimKind = "farm_to_shelf_within"
	// ClaimColdChain: every reading from origin to retail within the
	// product's range, and no gap between readings of a shipment longer
	// than MaxGapMinutes.
	ClaimColdChain ClaimKind = "cold_chain"
	// ClaimLabTested: a passing report of a registered, unrevoked lab
	// signer covering the analytes, on the lot or an upstream lot.
	ClaimLabTested ClaimKind = "lab_tested"
	// ClaimOriginIn: every origin place lies in a region (GLNs or polygon).
	ClaimOriginIn ClaimKind = "origin_in"
	// ClaimCertified: a current certificate of a scheme for the origin,
	// issued as a signed report of a registered signer.
	ClaimCertified ClaimKind = "certified"
	// ClaimService: every consumer ticket filed in a window is answered
	// within a time (service.go).
	ClaimService ClaimKind = "service_within"
)

// ClaimKinds lists the kinds in a fixed order.
func ClaimKinds() []ClaimKind {
	return []ClaimKind{ClaimFarmToShelf, ClaimColdChain, ClaimLabTested, ClaimOriginIn, ClaimCertified, ClaimService}
}

// ClaimParams are a claim's parameters: exactly the member named after
// the claim's kind is set.
type ClaimParams struct {
	FarmToShelf *FarmToShelfParams `json:"farmToShelf,omitempty" metadata:",optional"`
	ColdChain   *ColdChainParams   `json:"coldChain,omitempty" metadata:",optional"`
	LabTested   *LabTestedParams   `json:"labTested,omitempty" metadata:",optional"`
	OriginIn    *OriginInParams    `json:"originIn,omitempty" metadata:",optional"`
	Certified   *CertifiedParams   `json:"certified,omitempty" metadata:",optional"`
	Service     *ServiceParams     `json:"service,omitempty" metadata:",optional"`
}

// Retail place: a receipt of the lot by the product's owner (the brand
// runs or supplies the shop), or at one of RetailPlaces (GLN Digital
// Links; a bare GLN is accepted in requests and normalised).

// FarmToShelfParams parameterise farm_to_shelf_within.
type FarmToShelfParams struct {
	Hours        int      `json:"hours"`
	RetailPlaces []string `json:"retailPlaces,omitempty" metadata:",optional"`
}

// ColdChainParams parameterise cold_chain. Range, when set, replaces the
// product's temperature range.
type ColdChainParams struct {
	MaxGapMinutes int        `json:"maxGapMinutes"`
	Range         *TempRange `json:"range,omitempty" metadata:",optional"`
	RetailPlaces  []string   `json:"retailPlaces,omitempty" metadata:",optional"`
}

// TempRange is a temperature range in °C, bounds included.
type TempRange struct {
	MinC float64 `json:"minC"`
	MaxC float64 `json:"maxC"`
}

// LabTestedParams parameterise lab_tested: the analytes the report must
// cover (case-insensitive; "Glyphosate" matches "Glyphosate (as AMPA)")
// and how many days old, from sampling, the report may be.
type LabTestedParams struct {
	Analytes   []string `json:"analytes"`
	MaxAgeDays int      `json:"maxAgeDays"`
}

// OriginInParams parameterise origin_in: Region is the name shown, and
// the origin place is in it when its GLN is one of GLNs or its position
// lies inside Polygon (at least three WGS 84 vertices).
type OriginInParams struct {
	Region  string   `json:"region"`
	GLNs    []string `json:"glns,omitempty" metadata:",optional"`
	Polygon []Geo    `json:"polygon,omitempty" metadata:",optional"`
}

// CertifiedParams parameterise certified: Scheme is matched against the
// report's standard (case-insensitive substring, e.g. "EU 2018/848"), and
// the certificate is current for ValidDays after it was issued.
type CertifiedParams struct {
	Scheme    string `json:"scheme"`
	ValidDays int    `json:"validDays"`
}

// ClaimRequest is Claim:RegisterClaim's and Claim:SupersedeClaim's argument.
type ClaimRequest struct {
	// Subject is a product (GTIN or https://id.gs1.org/01/{GTIN}) or a lot
	// Digital Link.
	Subject string    `json:"subject"`
	Kind    ClaimKind `json:"kind"`
	// Wording is what consumers are told, e.g. "Cold chain all the way".
	Wording string      `json:"wording"`
	Params  ClaimParams `json:"params"`
}

// Claim is a registered claim.
type Claim struct {
	// ID is "claim-" and the registering transaction's id.
	ID string `json:"id"`
	// Subject is the canonical Digital Link of the product or lot; Lot is
	// empty for a product claim.
	Subject string      `json:"subject"`
	GTIN    string      `json:"gtin"`
	Lot     string      `json:"lot,omitempty" metadata:",optional"`
	Kind    ClaimKind   `json:"kind"`
	Wording string      `json:"wording"`
	Params  ClaimParams `json:"params"`
	// Brand is the registering MSP (the product's owner).
	Brand        string `json:"brand"`
	RegisteredAt string `json:"registeredAt"`
	RegisteredTx string `json:"registeredTx"`
	Supersedes   string `json:"supersedes,omitempty" metadata:",optional"`
	SupersededBy string `json:"supersededBy,omitempty" metadata:",optional"`
	SupersededAt string `json:"supersededAt,omitempty" metadata:",optional"`
	// SchemaVersion is the record's schema version (RecordSchema when
	// written; absent in records from before schema versions).
	SchemaVersion int `json:"schemaVersion,omitempty" metadata:",optional"`
}

// Active reports whether the claim is not superseded.
func (c Claim) Active() bool { return c.SupersededBy == "" }
