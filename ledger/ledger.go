// Package ledger defines the records the trustline chaincode stores and
// returns, the object types of its composite keys, and the chaincode event
// every write emits. It has no Fabric dependency: the chaincode, member
// nodes and Go clients all import it.
//
// # Chaincode event
//
// Fabric keeps one chaincode event per transaction, so every successful
// write transaction calls SetEvent(EventName, payload) exactly once, where
// payload is the canonical JSON of an Event:
//
//	{
//	  "function":  "Custody:Ship",                 // contract:function called
//	  "mspId":     "SupplierMSP",                   // caller's MSP (from the creator certificate)
//	  "txId":      "…",
//	  "timestamp": "2025-06-01T08:00:00.000000000Z", // transaction timestamp, TimeLayout
//	  "epcis":     [ {EPCIS 2.0 event, JSON-LD, with "@context" and "eventID"}, … ],
//	  "products":  [Product, …],          // created or changed records, after the change
//	  "lots":      [LotSummary, …],
//	  "units":     [Unit, …],
//	  "shipments": [Shipment, …],
//	  "logisticUnits": [LogisticUnit, …],
//	  "labSigners":    [LabSigner, …],
//	  "inspections":   [InspectionRecord, …],
//	  "recalls":       [Recall, …],
//	  "roles":         Roles,             // when the role table changed
//	  "roleProposals": [RoleProposal, …],
//	  "claims":        [Claim, …]
//	}
//
// Absent lists are omitted. That is the complete payload, which every
// block written before slim events holds. The chaincode now sets a slim
// event: the same header and, under "written", each record's state key in
// the same lists and order (Written); whoever reads blocks rebuilds the
// complete payload from it byte for byte, taking the records from the
// transaction's write set (Event.Expand). Either way the complete payload
// is complete: every record a transaction writes appears in it exactly as
// stored (the EPCIS events byte for byte as stored under ObjectEvent), so a node rebuilds the whole state
// by replaying payloads in block order, upserting each record by its key.
// Only derived index entries (ObjectLotEvent) are left out; they follow
// from the EPCIS events. Lot summaries carry the lot's own status; a lot
// made from a recalled lot is reported as recalled by the Query contract,
// which walks the transformation graph, and a node does the same from the
// lots' inputs and outputs.
//
// # Anchored records
//
// Member nodes anchor the ids of the EPCIS events and, next to them, the
// ids of the records that brand claims are evaluated on (RecordID: the
// SHA-256 of a record's canonical JSON), so that a receipt proves a claim's
// evidence as it proves events. See Event.Records.
package ledger

import (
	"encoding/json"
	"time"
)

// EventName is the name of the chaincode event every write sets.
const EventName = "trustline"

// TimeLayout is how the ledger writes times: UTC with nanoseconds, fixed
// width, so that times sort as strings (lot event index keys rely on it).
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// FormatTime formats t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// Object types of the chaincode's composite keys; the attributes follow.
const (
	ObjectRoles        = "roles"        // no attributes → Roles
	ObjectRoleProposal = "roleproposal" // proposal id → RoleProposal
	ObjectProduct      = "product"      // GTIN-14 → Product
	ObjectLot          = "lot"          // GTIN-14, lot number → LotSummary
	ObjectEvent        = "event"        // EPCIS event id → EPCIS 2.0 event JSON-LD
	ObjectLotEvent     = "lotevent"     // GTIN-14, lot, event time (TimeLayout), event id → event id
	ObjectUnit         = "unit"         // GTIN-14, serial → Unit
	ObjectLabSigner    = "labsigner"    // lower-case 0x address → LabSigner
	ObjectInspection   = "inspection"   // report id → InspectionRecord
	ObjectShipment     = "shipment"     // shipment id → Shipment
	ObjectLogisticUnit = "logisticunit" // SSCC → LogisticUnit
	ObjectRecall       = "recall"       // GTIN-14, lot number → Recall
)

// Event is the chaincode event payload of a write transaction.
type Event struct {
	Function  string `json:"function"`
	MSPID     string `json:"mspId"`
	TxID      string `json:"txId"`
	Timestamp string `json:"timestamp"`
	// EPCIS are the EPCIS 2.0 events the transaction recorded, each a
	// standalone JSON-LD object with @context and eventID.
	EPCIS         []json.RawMessage  `json:"epcis,omitempty"`
	Products      []Product          `json:"products,omitempty"`
	Lots          []LotSummary       `json:"lots,omitempty"`
	Units         []Unit             `json:"units,omitempty"`
	Shipments     []Shipment         `json:"shipments,omitempty"`
	LogisticUnits []LogisticUnit     `json:"logisticUnits,omitempty"`
	LabSigners    []LabSigner        `json:"labSigners,omitempty"`
	Inspections   []InspectionRecord `json:"inspections,omitempty"`
	Recalls       []Recall           `json:"recalls,omitempty"`
	Roles         *Roles             `json:"roles,omitempty"`
	RoleProposals []RoleProposal     `json:"roleProposals,omitempty"`
	Claims        []Claim            `json:"claims,omitempty"`
	Locations     []Location         `json:"locations,omitempty"`
	// ServiceChains are the service chains of the products whose service
	// events the transaction recorded (servicechain.go).
	ServiceChains []ServiceChain `json:"serviceChains,omitempty"`
	// Written, set in a slim event instead of the lists above, names the
	// records by their state keys; their bytes are the transaction's writes
	// (written.go).
	Written *Written `json:"written,omitempty"`
}
