package epcis

import "encoding/json"

// Event types.
const (
	ObjectEvent         = "ObjectEvent"
	AggregationEvent    = "AggregationEvent"
	TransactionEvent    = "TransactionEvent"
	TransformationEvent = "TransformationEvent"
	AssociationEvent    = "AssociationEvent"
)

// Action values.
const (
	ActionAdd     = "ADD"
	ActionObserve = "OBSERVE"
	ActionDelete  = "DELETE"
)

// Event is one EPCIS 2.0 event of any type, in its JSON-LD form. Fields a
// type does not use stay empty and are omitted from JSON. It is also the
// one model of an event as the trustline chaincode stores it: the
// chaincode builds and stores Events, and nodes, the claims evaluator,
// receipts and the web views read stored events back into this type.
//
// Trustline's own event-level extensions (tl:from, tl:to, tl:shipment,
// tl:inspection, tl:recall) are typed fields. Other members whose name
// contains a colon ("tl:farmingPractice") are user extensions: they are
// kept in Extensions and written back after the standard fields, sorted
// by name. Unknown members without a namespace prefix are rejected when
// unmarshalling.
type Event struct {
	// Context is the event's own JSON-LD "@context", if it carries one
	// (events sent on their own, outside an EPCISDocument).
	Context json.RawMessage `json:"@context,omitempty"`

	Type                string            `json:"type"`
	EventID             string            `json:"eventID,omitempty"`
	EventTime           string            `json:"eventTime,omitempty"`
	EventTimeZoneOffset string            `json:"eventTimeZoneOffset,omitempty"`
	RecordTime          string            `json:"recordTime,omitempty"`
	CertificationInfo   URIList           `json:"certificationInfo,omitempty"`
	ErrorDeclaration    *ErrorDeclaration `json:"errorDeclaration,omitempty"`

	EPCList            []string          `json:"epcList,omitempty"`
	ParentID           string            `json:"parentID,omitempty"`
	ChildEPCs          []string          `json:"childEPCs,omitempty"`
	InputEPCList       []string          `json:"inputEPCList,omitempty"`
	OutputEPCList      []string          `json:"outputEPCList,omitempty"`
	QuantityList       []QuantityElement `json:"quantityList,omitempty"`
	ChildQuantityList  []QuantityElement `json:"childQuantityList,omitempty"`
	InputQuantityList  []QuantityElement `json:"inputQuantityList,omitempty"`
	OutputQuantityList []QuantityElement `json:"outputQuantityList,omitempty"`

	Action                string                 `json:"action,omitempty"`
	TransformationID      string                 `json:"transformationID,omitempty"`
	BizStep               string                 `json:"bizStep,omitempty"`
	Disposition           string                 `json:"disposition,omitempty"`
	PersistentDisposition *PersistentDisposition `json:"persistentDisposition,omitempty"`
	ReadPoint             *Location              `json:"readPoint,omitempty"`
	BizLocation           *Location              `json:"bizLocation,omitempty"`
	BizTransactionList    []BizTransaction       `json:"bizTransactionList,omitempty"`
	SourceList            []Source               `json:"sourceList,omitempty"`
	DestinationList       []Destination          `json:"destinationList,omitempty"`
	SensorElementList     []SensorElement        `json:"sensorElementList,omitempty"`
	ILMD                  ILMD                   `json:"ilmd,omitempty"`

	// Trustline's event-level extension members, as the chaincode records
	// them (see trustline.go).
	From       string         `json:"tl:from,omitempty"`     // shipping and receiving: the sender's MSP
	To         string         `json:"tl:to,omitempty"`       // the recipient's MSP
	Shipment   string         `json:"tl:shipment,omitempty"` // the shipment id
	Inspection *InspectionExt `json:"tl:inspection,omitempty"`
	Recall     *RecallExt     `json:"tl:recall,omitempty"`

	// Extensions are the other user extension members, by name
	// ("tl:grower").
	Extensions map[string]json.RawMessage `json:"-"`
}

// ErrorDeclaration marks an event as erroneous (EPCIS 2.0 §7.4.1.4).
type ErrorDeclaration struct {
	DeclarationTime    string                     `json:"declarationTime"`
	Reason             string                     `json:"reason,omitempty"`
	CorrectiveEventIDs []string                   `json:"correctiveEventIDs,omitempty"`
	Extensions         map[string]json.RawMessage `json:"-"`
}

// QuantityElement is a quantity of an EPC class (a product or lot).
// Quantity and UOM are optional; a nil Quantity means "unspecified".
type QuantityElement struct {
	EPCClass string   `json:"epcClass"`
	Quantity *float64 `json:"quantity,omitempty"`
	UOM      string   `json:"uom,omitempty"`
}

// PersistentDisposition lists dispositions set or unset by the event.
type PersistentDisposition struct {
	Set   []string `json:"set,omitempty"`
	Unset []string `json:"unset,omitempty"`
}

// Location is a readPoint or bizLocation.
type Location struct {
	ID         string                     `json:"id"`
	Extensions map[string]json.RawMessage `json:"-"`
}

// BizTransaction references a business transaction (purchase order,
// despatch advice, ...). Type is optional.
type BizTransaction struct {
	Type           string `json:"type,omitempty"`
	BizTransaction string `json:"bizTransaction"`
}

// Source is a party or location goods come from.
type Source struct {
	Type   string `json:"type"`
	Source string `json:"source"`
}

// Destination is a party or location goods go to.
type Destination struct {
	Type        string `json:"type"`
	Destination string `json:"destination"`
}

// SensorElement groups sensor reports that share metadata.
type SensorElement struct {
	SensorMetadata *SensorMetadata            `json:"sensorMetadata,omitempty"`
	SensorReport   []SensorReport             `json:"sensorReport,omitempty"`
	Extensions     map[string]json.RawMessage `json:"-"`
}

// SensorMetadata describes the device and time span of sensor reports.
type SensorMetadata struct {
	Time                 string                     `json:"time,omitempty"`
	StartTime            string                     `json:"startTime,omitempty"`
	EndTime              string                     `json:"endTime,omitempty"`
	DeviceID             string                     `json:"deviceID,omitempty"`
	DeviceMetadata       string                     `json:"deviceMetadata,omitempty"`
	RawData              string                     `json:"rawData,omitempty"`
	DataProcessingMethod string                     `json:"dataProcessingMethod,omitempty"`
	BizRules             string                     `json:"bizRules,omitempty"`
	Extensions           map[string]json.RawMessage `json:"-"`
}

// SensorReport is one sensor observation. Numeric values are pointers so
// that a reading of 0 is kept.
type SensorReport struct {
	Type                      string                     `json:"type,omitempty"`
	Exception                 string                     `json:"exception,omitempty"`
	DeviceID                  string                     `json:"deviceID,omitempty"`
	DeviceMetadata            string                     `json:"deviceMetadata,omitempty"`
	RawData                   string                     `json:"rawData,omitempty"`
	DataProcessingMethod      string                     `json:"dataProcessingMethod,omitempty"`
	Time                      string                     `json:"time,omitempty"`
	Microorganism             string                     `json:"microorganism,omitempty"`
	ChemicalSubstance         string                     `json:"chemicalSubstance,omitempty"`
	Value                     *float64                   `json:"value,omitempty"`
	Component                 string                     `json:"component,omitempty"`
	StringValue               string                     `json:"stringValue,omitempty"`
	BooleanValue              *bool                      `json:"booleanValue,omitempty"`
	HexBinaryValue            string                     `json:"hexBinaryValue,omitempty"`
	URIValue                  string                     `json:"uriValue,omitempty"`
	MinValue                  *float64                   `json:"minValue,omitempty"`
	MaxValue                  *float64                   `json:"maxValue,omitempty"`
	MeanValue                 *float64                   `json:"meanValue,omitempty"`
	SDev                      *float64                   `json:"sDev,omitempty"`
	PercRank                  *float64                   `json:"percRank,omitempty"`
	PercValue                 *float64                   `json:"percValue,omitempty"`
	UOM                       string                     `json:"uom,omitempty"`
	CoordinateReferenceSystem string                     `json:"coordinateReferenceSystem,omitempty"`
	Extensions                map[string]json.RawMessage `json:"-"`
}

// ILMD is instance/lot master data: namespaced members such as
// "cbvmda:lotNumber" or "tl:farmingPractice" with any JSON value.
type ILMD map[string]json.RawMessage

// URIList is a value that EPCIS allows as one string or an array of
// strings (certificationInfo). One element is written as a plain string.
type URIList []string

// Document is an EPCISDocument.
type Document struct {
	Context            json.RawMessage `json:"@context,omitempty"`
	ID                 string          `json:"id,omitempty"`
	Type               string          `json:"type"`
	SchemaVersion      string          `json:"schemaVersion"`
	CreationDate       string          `json:"creationDate"`
	Sender             string          `json:"sender,omitempty"`
	Receiver           string          `json:"receiver,omitempty"`
	InstanceIdentifier string          `json:"instanceIdentifier,omitempty"`
	EPCISHeader        json.RawMessage `json:"epcisHeader,omitempty"`
	EPCISBody          DocumentBody    `json:"epcisBody"`
}

// DocumentBody is the epcisBody of an EPCISDocument.
type DocumentBody struct {
	EventList EventList `json:"eventList"`
}

// QueryDocument is an EPCISQueryDocument: the result of an EPCIS query.
type QueryDocument struct {
	Context       json.RawMessage `json:"@context,omitempty"`
	ID            string          `json:"id,omitempty"`
	Type          string          `json:"type"`
	SchemaVersion string          `json:"schemaVersion"`
	CreationDate  string          `json:"creationDate"`
	EPCISHeader   json.RawMessage `json:"epcisHeader,omitempty"`
	EPCISBody     QueryBody       `json:"epcisBody"`
}

// QueryBody is the epcisBody of an EPCISQueryDocument.
type QueryBody struct {
	QueryResults QueryResults `json:"queryResults"`
}

// QueryResults names the query and holds its events.
type QueryResults struct {
	SubscriptionID string      `json:"subscriptionID,omitempty"`
	QueryName      string      `json:"queryName"`
	ResultsBody    ResultsBody `json:"resultsBody"`
}

// ResultsBody holds the events of a query result.
type ResultsBody struct {
	EventList EventList `json:"eventList"`
}

// EventList is a list of events; it is written as [] even when empty.
type EventList []Event

// DefaultContext returns the JSON-LD @context trustline documents use: the
// EPCIS 2.0 context plus the "tl" extension namespace.
func DefaultContext() json.RawMessage {
	return json.RawMessage(`["` + EPCISContext + `",{"` + TrustlinePrefix + `":"` + TrustlineNamespace + `"}]`)
}

// NewDocument returns an EPCISDocument with the default context.
// creationDate is passed in (RFC 3339) because chaincode must not read the
// clock.
func NewDocument(creationDate string, events ...Event) Document {
	return Document{
		Context:       DefaultContext(),
		Type:          "EPCISDocument",
		SchemaVersion: "2.0",
		CreationDate:  creationDate,
		EPCISBody:     DocumentBody{EventList: events},
	}
}
