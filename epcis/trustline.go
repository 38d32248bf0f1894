package epcis

import "encoding/json"

// Trustline's extensions: what the trustline chaincode records under the
// tl: prefix (TrustlineNamespace). An Event carries the event-level
// members as typed fields (From, To, Shipment, Inspection, Recall); the
// ILMD members are written into Event.ILMD from an ILMDExt. Nested
// members carry the tl: prefix too, so that every EPCIS implementation
// expands them to the same IRIs when hashing.
//
// The nested types decode strictly, like the standard ones, so that no
// member is silently dropped (which would change the event hash after a
// round trip).

// InspectionExt is tl:inspection: the lab report an inspecting event
// records.
type InspectionExt struct {
	ReportID       string       `json:"tl:reportId"`
	Lab            string       `json:"tl:lab"`
	Signer         string       `json:"tl:signer"`
	Method         string       `json:"tl:method"`
	Standard       string       `json:"tl:standard"`
	SampledAt      string       `json:"tl:sampledAt"`
	IssuedAt       string       `json:"tl:issuedAt"`
	Verdict        string       `json:"tl:verdict"`
	DocumentSHA256 string       `json:"tl:documentSha256"`
	Analytes       []AnalyteExt `json:"tl:analytes"`
}

// AnalyteExt is one measured value of a tl:inspection.
type AnalyteExt struct {
	Name  string `json:"tl:name"`
	Value string `json:"tl:value"`
	Unit  string `json:"tl:unit"`
	Limit string `json:"tl:limit"`
	Pass  bool   `json:"tl:pass"`
}

// RecallExt is tl:recall: why a lot is recalled, and the class (I, II, III).
type RecallExt struct {
	Reason string `json:"tl:reason"`
	Class  string `json:"tl:class"`
}

// ILMDExt is the instance/lot master data trustline records when a lot is
// made: CBV master data attributes and its own tl: members. Its ILMD
// method gives the event's ILMD.
type ILMDExt struct {
	LotNumber       string        `json:"cbvmda:lotNumber,omitempty"`
	ItemExpiration  string        `json:"cbvmda:itemExpirationDate,omitempty"`
	ProducedAt      string        `json:"tl:producedAt,omitempty"`
	Producer        string        `json:"tl:producer,omitempty"`
	Place           *PlaceExt     `json:"tl:place,omitempty"`
	FarmingPractice string        `json:"tl:farmingPractice,omitempty"`
	Evidence        []EvidenceExt `json:"tl:evidence,omitempty"`
	Outputs         []OutputExt   `json:"tl:outputs,omitempty"`
}

// PlaceExt is tl:place, where a lot was produced.
type PlaceExt struct {
	Location string      `json:"tl:location,omitempty"`
	Geo      *GeoExt     `json:"tl:geo,omitempty"`
	Address  *AddressExt `json:"tl:address,omitempty"`
}

// GeoExt is a WGS 84 position.
type GeoExt struct {
	Latitude  float64 `json:"tl:latitude"`
	Longitude float64 `json:"tl:longitude"`
}

// AddressExt is a postal address.
type AddressExt struct {
	Street     string `json:"tl:street,omitempty"`
	City       string `json:"tl:city"`
	PostalCode string `json:"tl:postalCode,omitempty"`
	Region     string `json:"tl:region,omitempty"`
	Country    string `json:"tl:country"`
}

// EvidenceExt is a media file about a lot, by content hash.
type EvidenceExt struct {
	Kind   string `json:"tl:kind"`
	SHA256 string `json:"tl:sha256"`
	URI    string `json:"tl:uri"`
}

// OutputExt is a lot a transformation made, with its expiry date.
type OutputExt struct {
	Lot    string `json:"tl:lot"`
	Expiry string `json:"tl:expiry"`
}

// ILMD returns m as an event's ILMD: its members, each value in canonical
// JSON; nil when m is empty.
func (m ILMDExt) ILMD() (ILMD, error) {
	b, err := Canonical(m)
	if err != nil {
		return nil, err
	}
	var out ILMD
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

type (
	inspectionExtAlias InspectionExt
	analyteExtAlias    AnalyteExt
	recallExtAlias     RecallExt
)

var (
	inspectionExtFields = fieldNames(InspectionExt{})
	analyteExtFields    = fieldNames(AnalyteExt{})
	recallExtFields     = fieldNames(RecallExt{})
)

func (x *InspectionExt) UnmarshalJSON(data []byte) error {
	var a inspectionExtAlias
	if _, err := unmarshalWithExtensions(data, &a, inspectionExtFields, false); err != nil {
		return err
	}
	*x = InspectionExt(a)
	return nil
}

func (x *AnalyteExt) UnmarshalJSON(data []byte) error {
	var a analyteExtAlias
	if _, err := unmarshalWithExtensions(data, &a, analyteExtFields, false); err != nil {
		return err
	}
	*x = AnalyteExt(a)
	return nil
}

func (x *RecallExt) UnmarshalJSON(data []byte) error {
	var a recallExtAlias
	if _, err := unmarshalWithExtensions(data, &a, recallExtFields, false); err != nil {
		return err
	}
	*x = RecallExt(a)
	return nil
}
