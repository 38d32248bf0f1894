package chaincode

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/ledger"
)

// EPCIS 2.0 events as the chaincode records them (epcis.Event): standalone
// JSON-LD objects with @context, event time the transaction time (UTC),
// and trustline's own fields under the tl: prefix.

func placeExtension(p ledger.Place) *epcis.PlaceExt {
	out := &epcis.PlaceExt{Location: p.Location}
	if p.Geo != nil {
		out.Geo = &epcis.GeoExt{Latitude: p.Geo.Latitude, Longitude: p.Geo.Longitude}
	}
	if a := p.Address; a != nil {
		out.Address = &epcis.AddressExt{Street: a.Street, City: a.City, PostalCode: a.PostalCode, Region: a.Region, Country: a.Country}
	}
	return out
}

func evidenceExtension(ev []ledger.Evidence) []epcis.EvidenceExt {
	var out []epcis.EvidenceExt
	for _, e := range ev {
		out = append(out, epcis.EvidenceExt{Kind: e.Kind, SHA256: e.SHA256, URI: e.URI})
	}
	return out
}

// newEvent starts an event of typ at the transaction time.
func (t *txn) newEvent(typ string) *epcis.Event {
	return &epcis.Event{
		Context:             epcis.DefaultContext(),
		Type:                typ,
		EventTime:           t.now.Format("2006-01-02T15:04:05.000Z07:00"),
		EventTimeZoneOffset: "+00:00",
	}
}

func lotQuantity(l *ledger.LotSummary, q ledger.Quantity) epcis.QuantityElement {
	v := decimalFloat(q.Value)
	return epcis.QuantityElement{EPCClass: l.ID, Quantity: &v, UOM: q.UOM}
}

// deviceURI makes a device id a URI, as EPCIS requires of deviceID.
func deviceURI(d string) string {
	if uriRE.MatchString(d) {
		return d
	}
	return "urn:trustline:device:" + url.PathEscape(d)
}

func sensorElements(rs []reading) []epcis.SensorElement {
	out := make([]epcis.SensorElement, 0, len(rs))
	for _, r := range rs {
		reports := []epcis.SensorReport{{Type: "Temperature", Value: &r.TemperatureC, UOM: "CEL"}}
		if r.HumidityPct != nil {
			reports = append(reports, epcis.SensorReport{Type: "RelativeHumidity", Value: r.HumidityPct, UOM: "A93"})
		}
		out = append(out, epcis.SensorElement{
			SensorMetadata: &epcis.SensorMetadata{Time: r.Time.Format("2006-01-02T15:04:05.000Z07:00"), DeviceID: deviceURI(r.Device)},
			SensorReport:   reports,
		})
	}
	return out
}

// record assigns ev its event id (hash version epcis.Current; events
// recorded earlier keep the CBV 2.0 ids they were given), stores it, indexes it under each
// lot it concerns and counts it on them. It returns the event id.
func (t *txn) record(ev *epcis.Event, lots ...*lotState) (string, error) {
	ev.EventID = ""
	source := t.capture != nil && t.capture.recorded == ""
	if source {
		m, err := sourceMember(t.capture.source)
		if err != nil {
			return "", err
		}
		if ev.Extensions == nil {
			ev.Extensions = map[string]json.RawMessage{}
		}
		ev.Extensions[ledger.SourceEventIDMember] = m
	}
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
	if source {
		sk, err := t.key(ledger.ObjectSourceEvent, t.capture.source)
		if err != nil {
			return "", err
		}
		if err := t.putIndex(sk, id); err != nil {
			return "", err
		}
		t.capture.recorded = id
	}
	stored, err := marshalCanonical(ev)
	if err != nil {
		return "", err
	}
	t.putBytes(k, stored)
	t.epcisKeys = append(t.epcisKeys, k)
	at := ledger.FormatTime(t.now)
	for _, l := range lots {
		ik, err := t.key(ledger.ObjectLotEvent, l.rec.GTIN, l.rec.Lot, at, id)
		if err != nil {
			return "", err
		}
		if err := t.putIndex(ik, id); err != nil {
			return "", err
		}
		// The chain commits to every event of the lot, in ledger order, so
		// a receipt can prove none is missing; a lot with events from
		// before chains stays unchained rather than chain a suffix.
		if l.rec.Counts.Events == 0 || l.rec.EventChain != "" {
			l.rec.EventChain = ledger.NextEventChain(l.rec.EventChain, id)
		}
		l.rec.Counts.Events++
		if err := t.put(l.key, l.rec); err != nil {
			return "", err
		}
	}
	return id, nil
}

func inspectionEvent(t *txn, rec *ledger.InspectionRecord, lots []*lotState) *epcis.Event {
	r := rec.Report
	ev := t.newEvent("ObjectEvent")
	ev.Action, ev.BizStep = "OBSERVE", "inspecting"
	ev.Disposition = "conformant"
	if r.Verdict != "pass" {
		ev.Disposition = "non_conformant"
	}
	if r.Document.URI != "" {
		ev.CertificationInfo = epcis.URIList{r.Document.URI}
	}
	for _, l := range lots {
		ev.QuantityList = append(ev.QuantityList, epcis.QuantityElement{EPCClass: l.rec.ID})
	}
	ext := &epcis.InspectionExt{
		ReportID: r.ReportID, Lab: rec.Lab, Signer: rec.Signer, Method: r.Method, Standard: r.Standard,
		SampledAt: r.SampledAt, IssuedAt: r.IssuedAt, Verdict: r.Verdict, DocumentSHA256: r.Document.SHA256,
	}
	for _, a := range r.Analytes {
		ext.Analytes = append(ext.Analytes, epcis.AnalyteExt{Name: a.Name, Value: a.Value, Unit: a.Unit, Limit: a.Limit, Pass: a.Pass})
	}
	ev.Inspection = ext
	return ev
}
