package nodeapi

// ScanKey is what a node's scan counts are kept and grouped by (package
// node/scans); a report leaves the fields it does not group by empty.
type ScanKey struct {
	GTIN string `json:"gtin,omitempty"`
	// Lot is empty for a product's page; a unit's page counts for its lot.
	Lot string `json:"lot,omitempty"`
	// Day is the UTC date, YYYY-MM-DD.
	Day string `json:"day,omitempty"`
	// Lang is the visitor's language, an ISO 639 code ("de"); empty when
	// unknown.
	Lang string `json:"lang,omitempty"`
	// Country is an ISO 3166-1 region ("CH") from the language; empty when
	// unknown.
	Country string `json:"country,omitempty"`
}

// ScanCount is the number of scans of a ScanKey.
type ScanCount struct {
	ScanKey
	Scans uint64 `json:"scans"`
}

// ScanReport is a node's /scans answer: the counts a selection holds,
// grouped.
type ScanReport struct {
	// By are the dimensions the rows are grouped by: gtin, lot, day, lang,
	// country.
	By []string `json:"by"`
	// Total is the number of scans selected.
	Total uint64 `json:"total"`
	// Rows are sorted by product, lot, day, language and country.
	Rows []ScanCount `json:"rows"`
}
