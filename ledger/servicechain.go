package ledger

import "strings"

// A product's service chain. Service events name a product, not a lot, so
// no lot record commits to them; the service chain does, as a lot record
// commits to the lot's events (LotSummary.EventChain): the chaincode keeps,
// per product, the count of its service events and a hash chain of their
// ids in ledger order (NextEventChain), and writes it as an anchored record
// (RecordService) with every service event. The anchored state
// (StateLeaf) maps ServiceStateKey(gtin) to the id of the product's latest
// chain record, next to the lots, so that a receipt proves the list of a
// product's service events complete as of its newest window: a ticket left
// out, or the answer of a ticket, changes the count or the chain.

// ObjectServiceChain keys the chaincode's service chain of a product:
// GTIN → ServiceChain.
const ObjectServiceChain = "servicechain"

// RecordService is the anchored record kind of a ServiceChain.
const RecordService RecordKind = "service"

// ServiceChain is a product's service chain record.
type ServiceChain struct {
	// Product is the product's Digital Link, https://id.gs1.org/01/{GTIN}.
	Product string `json:"product"`
	GTIN    string `json:"gtin"`
	// Events counts the product's service events; EventChain chains their
	// ids in ledger order (NextEventChain from "").
	Events     int    `json:"events"`
	EventChain string `json:"eventChain"`
	// LastEvent is the id of the latest service event.
	LastEvent string `json:"lastEvent"`
	UpdatedAt string `json:"updatedAt"`
	UpdatedTx string `json:"updatedTx"`
	// SchemaVersion is the record's schema version (RecordSchema).
	SchemaVersion int `json:"schemaVersion"`
}

// serviceStateSuffix makes a product's key in the anchored state differ
// from its lots' (each a Digital Link with /10/{lot}).
const serviceStateSuffix = "#service"

// ServiceStateKey is the key of product gtin's service chain in the
// anchored state: its Digital Link and "#service".
func ServiceStateKey(gtin string) string {
	return "https://id.gs1.org/01/" + gtin + serviceStateSuffix
}

// ServiceStateGTIN is the GTIN of a service chain's state key, and whether
// key is one.
func ServiceStateGTIN(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "https://id.gs1.org/01/")
	if !ok {
		return "", false
	}
	gtin, ok := strings.CutSuffix(rest, serviceStateSuffix)
	return gtin, ok && gtin != "" && !strings.Contains(gtin, "/")
}
