package chaincode

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// EPCIS 2.0 events as the chaincode records them: standalone JSON-LD
// objects with @context, event time the transaction time (UTC), and
// trustline's own fields under the tl: prefix.

// context is the JSON-LD context of every event: EPCIS 2.0 and the tl:
// namespace of trustline's extensions.
func context() []any {
	return []any{epcis.EPCISContext, map[string]string{epcis.TrustlinePrefix: epcis.TrustlineNamespace}}
}

type quantityElement struct {
	EPCClass string   `json:"epcClass"`
	Quantity *float64 `json:"quantity,omitempty"`
	UOM      string   `json:"uom,omitempty"`
}

type idRef struct {
	ID string `json:"id"`
}

type bizTransaction struct {
	Type           string `json:"type"`
	BizTransaction string `json:"bizTransaction"`
}

type sourceDest struct {
	Type        string `json:"type"`
	Destination string `json:"destination"`
}

type sensorMetadata struct {
	Time     string `json:"time"`
	DeviceID string `json:"deviceID"`
}

type sensorReport struct {
	Type  string  `json:"type"`
	Value float64 `json:"value"`
	UOM   string  `json:"uom"`
}

type sensorElement struct {
	SensorMetadata sensorMetadata `json:"sensorMetadata"`
	SensorReport   []sensorReport `json:"sensorReport"`
}

// ilmd is instance/lot master data: CBV master data attributes and ours.
type ilmd struct {
	LotNumber       string        `json:"cbvmda:lotNumber,omitempty"`
	ItemExpiration  string        `json:"cbvmda:itemExpirationDate,omitempty"`
	ProducedAt      string        `json:"tl:producedAt,omitempty"`
	Producer        string        `json:"tl:producer,omitempty"`
	Place           *placeExt     `json:"tl:place,omitempty"`
	FarmingPractice string        `json:"tl:farmingPractice,omitempty"`
	Evidence        []evidenceExt `json:"tl:evidence,omitempty"`
	Outputs         []outputLot   `json:"tl:outputs,omitempty"`
}

// Nested extension members carry the tl: prefix too, so that every
// EPCIS implementation expands them to the same IRIs when hashing.
type placeExt struct {
	Location string      `json:"tl:location,omitempty"`
	Geo      *geoExt     `json:"tl:geo,omitempty"`
	Address  *addressExt `json:"tl:address,omitempty"`
}

type geoExt struct {
	Latitude  float64 `json:"tl:latitude"`
	Longitude float64 `json:"tl:longitude"`
}

type addressExt struct {
	Street     string `json:"tl:street,omitempty"`
	City       string `json:"tl:city"`
	PostalCode string `json:"tl:postalCode,omitempty"`
	Region     string `json:"tl:region,omitempty"`
	Country    string `json:"tl:country"`
}

type evidenceExt struct {
	Kind   string `json:"tl:kind"`
	SHA256 string `json:"tl:sha256"`
	URI    string `json:"tl:uri"`
}

func placeExtension(p ledger.Place) *placeExt {
	out := &placeExt{Location: p.Location}
	if p.Geo != nil {
		out.Geo = &geoExt{Latitude: p.Geo.Latitude, Longitude: p.Geo.Longitude}
	}
	if a := p.Address; a != nil {
		out.Address = &addressExt{Street: a.Street, City: a.City, PostalCode: a.PostalCode, Region: a.Region, Country: a.Country}
	}
	return out
}

func evidenceExtension(ev []ledger.Evidence) []evidenceExt {
	var out []evidenceExt
	for _, e := range ev {
		out = append(out, evidenceExt{Kind: e.Kind, SHA256: e.SHA256, URI: e.URI})
	}
	return out
}

type outputLot struct {
	Lot    string `json:"tl:lot"`
	Expiry string `json:"tl:expiry"`
}

type inspectionExt struct {
	ReportID       string       `json:"tl:reportId"`
	Lab            string       `json:"tl:lab"`
	Signer         string       `json:"tl:signer"`
	Method         string       `json:"tl:method"`
	Standard       string       `json:"tl:standard"`
	SampledAt      string       `json:"tl:sampledAt"`
	IssuedAt       string       `json:"tl:issuedAt"`
	Verdict        string       `json:"tl:verdict"`
	DocumentSHA256 string       `json:"tl:documentSha256"`
	Analytes       []analyteExt `json:"tl:analytes"`
}

type analyteExt struct {
	Name  string `json:"tl:name"`
	Value string `json:"tl:value"`
	Unit  string `json:"tl:unit"`
	Limit string `json:"tl:limit"`
	Pass  bool   `json:"tl:pass"`
}

type recallExt struct {
	Reason string `json:"tl:reason"`
	Class  string `json:"tl:class"`
}

// epcisEvent is one EPCIS 2.0 event of any type; unused fields are omitted.
type epcisEvent struct {
	Context             []any             `json:"@context"`
	Type                string            `json:"type"`
	EventID             string            `json:"eventID,omitempty"`
	EventTime           string            `json:"eventTime"`
	EventTimeZoneOffset string            `json:"eventTimeZoneOffset"`
	CertificationInfo   string            `json:"certificationInfo,omitempty"`
	ParentID            string            `json:"parentID,omitempty"`
	EPCList             []string          `json:"epcList,omitempty"`
	ChildQuantityList   []quantityElement `json:"childQuantityList,omitempty"`
	InputQuantityList   []quantityElement `json:"inputQuantityList,omitempty"`
	OutputQuantityList  []quantityElement `json:"outputQuantityList,omitempty"`
	QuantityList        []quantityElement `json:"quantityList,omitempty"`
	Action              string            `json:"action,omitempty"`
	BizStep             string            `json:"bizStep,omitempty"`
	Disposition         string            `json:"disposition,omitempty"`
	ReadPoint           *idRef            `json:"readPoint,omitempty"`
	BizLocation         *idRef            `json:"bizLocation,omitempty"`
	BizTransactionList  []bizTransaction  `json:"bizTransactionList,omitempty"`
	DestinationList     []sourceDest      `json:"destinationList,omitempty"`
	SensorElementList   []sensorElement   `json:"sensorElementList,omitempty"`
	ILMD                *ilmd             `json:"ilmd,omitempty"`

	// trustline extensions
	From       string         `json:"tl:from,omitempty"`
	To         string         `json:"tl:to,omitempty"`
	Shipment   string         `json:"tl:shipment,omitempty"`
	Inspection *inspectionExt `json:"tl:inspection,omitempty"`
	Recall     *recallExt     `json:"tl:recall,omitempty"`
}

// newEvent starts an event of typ at the transaction time.
func (t *txn) newEvent(typ string) *epcisEvent {
	return &epcisEvent{
		Context:             context(),
		Type:                typ,
		EventTime:           t.now.Format("2006-01-02T15:04:05.000Z07:00"),
		EventTimeZoneOffset: "+00:00",
	}
}

func lotQuantity(l *ledger.LotSummary, q ledger.Quantity) quantityElement {
	v := decimalFloat(q.Value)
	return quantityElement{EPCClass: l.ID, Quantity: &v, UOM: q.UOM}
}

// deviceURI makes a device id a URI, as EPCIS requires of deviceID.
func deviceURI(d string) string {
	if uriRE.MatchString(d) {
		return d
	}
	return "urn:trustline:device:" + url.PathEscape(d)
}

func sensorElements(rs []reading) []sensorElement {
	out := make([]sensorElement, 0, len(rs))
	for _, r := range rs {
		reports := []sensorReport{{Type: "Temperature", Value: r.TemperatureC, UOM: "CEL"}}
		if r.HumidityPct != nil {
			reports = append(reports, sensorReport{Type: "RelativeHumidity", Value: *r.HumidityPct, UOM: "A93"})
		}
		out = append(out, sensorElement{
			SensorMetadata: sensorMetadata{Time: r.Time.Format("2006-01-02T15:04:05.000Z07:00"), DeviceID: deviceURI(r.Device)},
			SensorReport:   reports,
		})
	}
	return out
}

// record assigns ev its event id (hash version epcis.Current; events
// recorded earlier keep the CBV 2.0 ids they were given), stores it, indexes it under each
// lot it concerns and counts it on them. It returns the event id.
func (t *txn) record(ev *epcisEvent, lots ...*lotState) (string, error) {
	ev.EventID = ""
	b, err := json.Marshal(ev)
	if err != nil {
		return "", err
	}
	id, err := epcis.HashEventAs(epcis.Current, b)
	if err != nil {
		return "", fmt.Errorf("computing the EPCIS event hash: %w", err)
	}
	ev.EventID = id
	k, err := t.key(ledger.ObjectEvent, id)
	if err != nil {
		return "", err
	}
	if ok, err := t.exists(k); err != nil {
		return "", err
	} else if ok {
		return "", errorf(ErrExists, "EPCIS event %s is already recorded", id)
	}
	stored, err := marshalCanonical(ev)
	if err != nil {
		return "", err
	}
	t.putBytes(k, stored)
	t.epcis = append(t.epcis, json.RawMessage(stored))
	at := ledger.FormatTime(t.now)
	for _, l := range lots {
		ik, err := t.key(ledger.ObjectLotEvent, l.rec.GTIN, l.rec.Lot, at, id)
		if err != nil {
			return "", err
		}
		if err := t.putIndex(ik, id); err != nil {
			return "", err
		}
		l.rec.Counts.Events++
	}
	return id, nil
}

func inspectionEvent(t *txn, rec *ledger.InspectionRecord, lots []*lotState) *epcisEvent {
	r := rec.Report
	ev := t.newEvent("ObjectEvent")
	ev.Action, ev.BizStep = "OBSERVE", "inspecting"
	ev.Disposition = "conformant"
	if r.Verdict != "pass" {
		ev.Disposition = "non_conformant"
	}
	ev.CertificationInfo = r.Document.URI
	for _, l := range lots {
		ev.QuantityList = append(ev.QuantityList, quantityElement{EPCClass: l.rec.ID})
	}
	ext := &inspectionExt{
		ReportID: r.ReportID, Lab: rec.Lab, Signer: rec.Signer, Method: r.Method, Standard: r.Standard,
		SampledAt: r.SampledAt, IssuedAt: r.IssuedAt, Verdict: r.Verdict, DocumentSHA256: r.Document.SHA256,
	}
	for _, a := range r.Analytes {
		ext.Analytes = append(ext.Analytes, analyteExt{Name: a.Name, Value: a.Value, Unit: a.Unit, Limit: a.Limit, Pass: a.Pass})
	}
	ev.Inspection = ext
	return ev
}
