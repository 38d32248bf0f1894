package ledger

import (
	"github.com/trustline/trustline/inspection"
)

// Optional fields carry `metadata:",optional"` so that contractapi's return
// schema does not demand them.

// Product is a GTIN's master data, registered by a brand owner.
type Product struct {
	// ID is the product's GS1 Digital Link, https://id.gs1.org/01/{GTIN-14}.
	ID       string `json:"id"`
	GTIN     string `json:"gtin"`
	Name     string `json:"name"`
	Brand    string `json:"brand"`
	Category string `json:"category"`
	// TempMinC and TempMaxC bound the temperatures (°C) the product may see;
	// a reading outside flags the lot as in breach.
	TempMinC      float64 `json:"tempMinC"`
	TempMaxC      float64 `json:"tempMaxC"`
	ShelfLifeDays int     `json:"shelfLifeDays"`
	// FoodTraceabilityList is the FDA Food Traceability List food the
	// product is (a key of FTLFoods, e.g. "soft-cheese"), or empty when it
	// is not on the list. Products registered before the field existed
	// read as empty: omitted when empty, it leaves their stored bytes (and
	// record ids) unchanged.
	FoodTraceabilityList string `json:"foodTraceabilityList,omitempty" metadata:",optional"`
	// Owner is the brand's MSP id: only it commissions units of and recalls
	// the product's lots.
	Owner        string `json:"owner"`
	RegisteredAt string `json:"registeredAt"`
	RegisteredTx string `json:"registeredTx"`
	// SchemaVersion is the record's schema version (RecordSchema when
	// written; absent in records from before schema versions).
	SchemaVersion int `json:"schemaVersion,omitempty" metadata:",optional"`
}

// Quantity is an amount in a UN/CEFACT Rec. 20 unit (KGM, LTR, H87, …).
// Value is a decimal string so that arithmetic on it is exact.
type Quantity struct {
	Value string `json:"value"`
	UOM   string `json:"uom"`
}

// LotQuantity is a quantity of a lot, by the lot's Digital Link.
type LotQuantity struct {
	Lot      string   `json:"lot"`
	Quantity Quantity `json:"quantity"`
}

// Geo is a WGS 84 position.
type Geo struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// Address is a postal address; Country is ISO 3166-1 alpha-2.
type Address struct {
	Street     string `json:"street" metadata:",optional"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode" metadata:",optional"`
	Region     string `json:"region" metadata:",optional"`
	Country    string `json:"country"`
}

// Place is where something is: a GLN or SGLN Digital Link and/or a
// position and address.
type Place struct {
	Location string   `json:"location,omitempty" metadata:",optional"`
	Geo      *Geo     `json:"geo,omitempty" metadata:",optional"`
	Address  *Address `json:"address,omitempty" metadata:",optional"`
}

// Evidence is a media file about a batch, by content hash.
type Evidence struct {
	// Kind is photo, video, livestream or document.
	Kind   string `json:"kind"`
	SHA256 string `json:"sha256"`
	URI    string `json:"uri"`
}

// Evidence kinds.
const (
	EvidencePhoto      = "photo"
	EvidenceVideo      = "video"
	EvidenceLivestream = "livestream"
	EvidenceDocument   = "document"
)

// Origin is where and how a batch was produced.
type Origin struct {
	// Producer is the producer's GLN Digital Link, https://id.gs1.org/414/{GLN}.
	Producer        string     `json:"producer"`
	Place           Place      `json:"place"`
	FarmingPractice string     `json:"farmingPractice"`
	Evidence        []Evidence `json:"evidence,omitempty" metadata:",optional"`
}

// LotStatus is a lot's state, in order of precedence: recalled, breach,
// in-transit, active.
type LotStatus string

// Lot statuses.
const (
	StatusActive    LotStatus = "active"
	StatusInTransit LotStatus = "in-transit"
	StatusBreach    LotStatus = "breach"
	StatusRecalled  LotStatus = "recalled"
)

// Breach is the first cold-chain excursion of a lot.
type Breach struct {
	Time         string  `json:"time"`
	Device       string  `json:"device"`
	TemperatureC float64 `json:"temperatureC"`
	MinC         float64 `json:"minC"`
	MaxC         float64 `json:"maxC"`
	EventID      string  `json:"eventId"`
}

// Counts are tallies of what happened to a lot.
type Counts struct {
	Events      int `json:"events"`
	Inspections int `json:"inspections"`
	Shipments   int `json:"shipments"`
	Readings    int `json:"readings"`
	Excursions  int `json:"excursions"`
	Units       int `json:"units"`
}

// LotSummary is the state of a lot (a batch).
type LotSummary struct {
	// ID is the lot's Digital Link, https://id.gs1.org/01/{GTIN-14}/10/{lot}.
	ID      string `json:"id"`
	GTIN    string `json:"gtin"`
	Lot     string `json:"lot"`
	Product string `json:"product"`
	// Quantity is as created; Remaining is what transformations left.
	Quantity   Quantity `json:"quantity"`
	Remaining  Quantity `json:"remaining"`
	ProducedAt string   `json:"producedAt"`
	Expiry     string   `json:"expiry"`
	// Origin is set for batches created by Batch:CreateBatch, Inputs for
	// lots made by Batch:Transform. Outputs are the lots made from this one.
	Origin  *Origin       `json:"origin,omitempty" metadata:",optional"`
	Inputs  []LotQuantity `json:"inputs,omitempty" metadata:",optional"`
	Outputs []string      `json:"outputs,omitempty" metadata:",optional"`
	// CreatedBy is the MSP that created the lot, Custodian the MSP that
	// holds it now (the sender, while in transit).
	CreatedBy string    `json:"createdBy"`
	Custodian string    `json:"custodian"`
	Status    LotStatus `json:"status"`
	// Shipment is the open shipment while in transit; LastShipment the
	// latest, open or closed.
	Shipment     string `json:"shipment,omitempty" metadata:",optional"`
	LastShipment string `json:"lastShipment,omitempty" metadata:",optional"`
	// LogisticUnit is the SSCC Digital Link of the unit the lot is packed in.
	LogisticUnit string  `json:"logisticUnit,omitempty" metadata:",optional"`
	Breach       *Breach `json:"breach,omitempty" metadata:",optional"`
	Recall       *Recall `json:"recall,omitempty" metadata:",optional"`
	// RecalledVia lists recalled upstream lots. Only queries set it: it is
	// derived from the transformation graph, never stored.
	RecalledVia []string `json:"recalledVia,omitempty" metadata:",optional"`
	Counts      Counts   `json:"counts"`
	// EventChain commits to the lot's EPCIS events in ledger order, each
	// event the chaincode recorded on the lot (Counts.Events of them):
	// NextEventChain over their ids, from "". Empty for a lot that had
	// events before trustline chained them, whose completeness a receipt
	// then cannot prove.
	EventChain string `json:"eventChain,omitempty" metadata:",optional"`
	CreatedAt  string `json:"createdAt"`
	CreatedTx  string `json:"createdTx"`
	UpdatedAt  string `json:"updatedAt"`
	// SchemaVersion is the record's schema version (RecordSchema when
	// written; absent in records from before schema versions).
	SchemaVersion int `json:"schemaVersion,omitempty" metadata:",optional"`
}

// Unit is a serialised trade item of a lot.
type Unit struct {
	// ID is https://id.gs1.org/01/{GTIN-14}/10/{lot}/21/{serial}.
	ID             string `json:"id"`
	GTIN           string `json:"gtin"`
	Lot            string `json:"lot"`
	Serial         string `json:"serial"`
	LotID          string `json:"lotId"`
	CommissionedBy string `json:"commissionedBy"`
	CommissionedAt string `json:"commissionedAt"`
	EventID        string `json:"eventId"`
}

// BizTransaction is a business document a shipment refers to; Type is a
// CBV business transaction type (po, desadv, inv, bol, …).
type BizTransaction struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// ShipmentStatus is in-transit until the recipient receives.
type ShipmentStatus string

// Shipment statuses.
const (
	ShipmentInTransit ShipmentStatus = "in-transit"
	ShipmentReceived  ShipmentStatus = "received"
)

// Shipment is a custody hand-off from one MSP to another.
type Shipment struct {
	// ID is the Ship transaction's id.
	ID           string   `json:"id"`
	Lots         []string `json:"lots"`
	LogisticUnit string   `json:"logisticUnit,omitempty" metadata:",optional"`
	From         string   `json:"from"`
	To           string   `json:"to"`
	// Destination is the GLN or SGLN Digital Link of the place shipped to.
	Destination     string           `json:"destination"`
	BizTransactions []BizTransaction `json:"bizTransactions,omitempty" metadata:",optional"`
	Status          ShipmentStatus   `json:"status"`
	ShippedAt       string           `json:"shippedAt"`
	ShipEvent       string           `json:"shipEvent"`
	ReceivedAt      string           `json:"receivedAt,omitempty" metadata:",optional"`
	ReceiveEvent    string           `json:"receiveEvent,omitempty" metadata:",optional"`
}

// LogisticUnitStatus is the state of an SSCC.
type LogisticUnitStatus string

// Logistic unit statuses. An unpacked SSCC is never reused, as GS1 requires.
const (
	UnitPacked    LogisticUnitStatus = "packed"
	UnitInTransit LogisticUnitStatus = "in-transit"
	UnitUnpacked  LogisticUnitStatus = "unpacked"
)

// LogisticUnit is a pallet or case identified by an SSCC carrying lots.
type LogisticUnit struct {
	// ID is https://id.gs1.org/00/{SSCC}.
	ID          string             `json:"id"`
	SSCC        string             `json:"sscc"`
	Lots        []string           `json:"lots"`
	Custodian   string             `json:"custodian"`
	Status      LogisticUnitStatus `json:"status"`
	Shipment    string             `json:"shipment,omitempty" metadata:",optional"`
	PackedBy    string             `json:"packedBy"`
	PackedAt    string             `json:"packedAt"`
	PackEvent   string             `json:"packEvent"`
	UnpackedAt  string             `json:"unpackedAt,omitempty" metadata:",optional"`
	UnpackEvent string             `json:"unpackEvent,omitempty" metadata:",optional"`
}

// LabSigner is an Ethereum address a lab signs inspection reports with.
type LabSigner struct {
	// Address is EIP-55 checksummed.
	Address       string `json:"address"`
	Lab           string `json:"lab"`
	Name          string `json:"name"`
	Accreditation string `json:"accreditation"`
	RegisteredAt  string `json:"registeredAt"`
	RegisteredTx  string `json:"registeredTx"`
	Revoked       bool   `json:"revoked"`
	RevokedAt     string `json:"revokedAt,omitempty" metadata:",optional"`
	RevokedTx     string `json:"revokedTx,omitempty" metadata:",optional"`
	RevokedReason string `json:"revokedReason,omitempty" metadata:",optional"`
	// SchemaVersion is the record's schema version (RecordSchema when
	// written; absent in records from before schema versions).
	SchemaVersion int `json:"schemaVersion,omitempty" metadata:",optional"`
}

// InspectionRecord is a submitted, signature-checked inspection report.
type InspectionRecord struct {
	Report inspection.Report `json:"report"`
	// Signature is the 0x-hex EIP-712 signature as submitted.
	Signature   string `json:"signature"`
	Signer      string `json:"signer"`
	Lab         string `json:"lab"`
	SubmittedAt string `json:"submittedAt"`
	TxID        string `json:"txId"`
	EventID     string `json:"eventId"`
	// SchemaVersion is the record's schema version (RecordSchema when
	// written; absent in records from before schema versions).
	SchemaVersion int `json:"schemaVersion,omitempty" metadata:",optional"`
}

// Recall classes, as the FDA grades them: I is the most serious.
const (
	RecallClassI   = "I"
	RecallClassII  = "II"
	RecallClassIII = "III"
)

// Recall is a brand's recall of a lot; it extends to every lot made from it.
type Recall struct {
	Lot        string `json:"lot"`
	Reason     string `json:"reason"`
	Class      string `json:"class"`
	RecalledBy string `json:"recalledBy"`
	RecalledAt string `json:"recalledAt"`
	TxID       string `json:"txId"`
	EventID    string `json:"eventId"`
}

// Edge is a transformation link: Quantity of Input went into Output.
type Edge struct {
	Input    string   `json:"input"`
	Output   string   `json:"output"`
	Quantity Quantity `json:"quantity"`
}

// Trace is the graph of lots upstream or downstream of Lot through
// transformations, Lot excluded, in breadth-first order.
type Trace struct {
	Lot       string       `json:"lot"`
	Direction string       `json:"direction"`
	Lots      []LotSummary `json:"lots"`
	Edges     []Edge       `json:"edges"`
}

// Trace directions.
const (
	Upstream   = "upstream"
	Downstream = "downstream"
)
