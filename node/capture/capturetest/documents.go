package capturetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/inspection"
)

// Fixture names what the documents capture: a batch of Lot of GTIN made
// by the supplier, packed into SSCC and unpacked, partly made into
// SauceLot of SauceGTIN and shipped to LogisticsMSP, received there,
// inspected by the lab, and units of the batch commissioned by the brand.
// Run makes the event ids and identifiers of one run unique.
type Fixture struct {
	Run        string
	GTIN       string
	SauceGTIN  string
	Lot        string
	SauceLot   string
	SSCC       string // 18 digits, valid check digit
	Producer   string // GLN
	Warehouse  string // GLN
	To         string // the recipient MSP of the shipment
	Now        time.Time
	Serials    []string
	ReportID   string
	ReportSign func(inspection.Report) ([]byte, error)
}

// LotLink and SauceLink are the Digital Links of the fixture's lots.
func (f Fixture) LotLink() string { return "https://id.gs1.org/01/" + f.GTIN + "/10/" + f.Lot }
func (f Fixture) SauceLink() string {
	return "https://id.gs1.org/01/" + f.SauceGTIN + "/10/" + f.SauceLot
}

// EventID is the eventID the documents give their event named what.
func (f Fixture) EventID(what string) string { return "urn:uuid:" + uuidish(f.Run+"/"+what) }

// uuidish makes a UUID-shaped string from s (distinct s, distinct ids).
func uuidish(s string) string {
	var h [16]byte
	for i, c := range []byte(s) {
		h[i%16] = h[i%16]*31 + c
	}
	x := fmt.Sprintf("%x", h)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

func (f Fixture) at(d time.Duration) string { return f.Now.Add(d).UTC().Format(time.RFC3339) }

// Document wraps events in an EPCISDocument.
func Document(now time.Time, events ...string) []byte {
	return []byte(fmt.Sprintf(`{"@context":%s,"type":"EPCISDocument","schemaVersion":"2.0","creationDate":%q,"epcisBody":{"eventList":[%s]}}`,
		epcis.DefaultContext(), now.UTC().Format(time.RFC3339), strings.Join(events, ",")))
}

func (f Fixture) head(what, typ, action, bizStep string) string {
	s := fmt.Sprintf(`"type":%q,"eventID":%q,"eventTime":%q,"eventTimeZoneOffset":"+00:00"`, typ, f.EventID(what), f.at(-time.Minute))
	if action != "" {
		s += fmt.Sprintf(`,"action":%q`, action)
	}
	return s + fmt.Sprintf(`,"bizStep":%q`, bizStep)
}

func sensor(at string, temp float64) string {
	return fmt.Sprintf(`"sensorElementList":[{"sensorMetadata":{"time":%q,"deviceID":"urn:trustline:device:logger-17"},"sensorReport":[{"type":"Temperature","value":%g,"uom":"CEL"},{"type":"RelativeHumidity","value":61,"uom":"A93"}]}]`, at, temp)
}

// Batch is the commissioning of the batch with its origin in the ILMD.
func (f Fixture) Batch() string {
	return `{` + f.head("batch", "ObjectEvent", "ADD", "commissioning") + fmt.Sprintf(`,"disposition":"active",
"quantityList":[{"epcClass":%q,"quantity":100,"uom":"KGM"}],
"bizLocation":{"id":"https://id.gs1.org/414/%s"},
"ilmd":{"cbvmda:itemExpirationDate":%q,"tl:producedAt":%q,"tl:producer":%q,"tl:farmingPractice":"organic",
 "tl:place":{"tl:geo":{"tl:latitude":52.1,"tl:longitude":4.3},"tl:address":{"tl:city":"Delft","tl:country":"NL"}}}}`,
		f.LotLink(), f.Producer, f.Now.Add(20*24*time.Hour).Format("2006-01-02"), f.at(-2*time.Hour), f.Producer)
}

// Readings are cold-chain readings of the batch.
func (f Fixture) Readings() string {
	return `{` + f.head("readings", "ObjectEvent", "OBSERVE", "sensor_reporting") + fmt.Sprintf(`,
"quantityList":[{"epcClass":%q}],%s}`, f.LotLink(), sensor(f.at(-10*time.Minute), 4.5))
}

// Pack packs the batch into the SSCC.
func (f Fixture) Pack() string {
	return `{` + f.head("pack", "AggregationEvent", "ADD", "packing") + fmt.Sprintf(`,
"parentID":"https://id.gs1.org/00/%s","childQuantityList":[{"epcClass":%q}]}`, f.SSCC, f.LotLink())
}

// Unpack unpacks the SSCC.
func (f Fixture) Unpack() string {
	return `{` + f.head("unpack", "AggregationEvent", "DELETE", "unpacking") + fmt.Sprintf(`,
"parentID":"https://id.gs1.org/00/%s"}`, f.SSCC)
}

// Transform makes part of the batch into the sauce lot.
func (f Fixture) Transform() string {
	return `{` + f.head("transform", "TransformationEvent", "", "commissioning") + fmt.Sprintf(`,
"inputQuantityList":[{"epcClass":%q,"quantity":40,"uom":"KGM"}],
"outputQuantityList":[{"epcClass":%q,"quantity":30,"uom":"KGM"}],
"ilmd":{"cbvmda:itemExpirationDate":%q}}`, f.LotLink(), f.SauceLink(), f.Now.Add(15*24*time.Hour).Format("2006-01-02"))
}

// Ship ships the sauce lot to f.To.
func (f Fixture) Ship() string {
	return `{` + f.head("ship", "ObjectEvent", "OBSERVE", "shipping") + fmt.Sprintf(`,"disposition":"in_transit",
"quantityList":[{"epcClass":%q}],
"bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:%s:PO-%s"}],
"destinationList":[{"type":"location","destination":"https://id.gs1.org/414/%s"}],
"tl:to":%q,%s}`, f.SauceLink(), f.Producer, f.Run, f.Warehouse, f.To, sensor(f.at(-5*time.Minute), 4.0))
}

// Receive receives the sauce lot (captured by the recipient).
func (f Fixture) Receive() string {
	return `{` + f.head("receive", "ObjectEvent", "OBSERVE", "receiving") + fmt.Sprintf(`,"disposition":"in_progress",
"quantityList":[{"epcClass":%q}],%s}`, f.SauceLink(), sensor(f.at(-time.Minute), 4.8))
}

// Report is the lab's report on the batch.
func (f Fixture) Report() inspection.Report {
	return inspection.Report{
		ReportID: f.ReportID, Lots: []string{f.LotLink()}, Method: "LC-MS/MS", Standard: "EN 15662:2018",
		SampledAt: f.Now.Add(-48 * time.Hour).UTC().Format(inspection.TimeLayout), IssuedAt: f.Now.Add(-time.Hour).UTC().Format(inspection.TimeLayout),
		Analytes: []inspection.Analyte{{Name: "chlorpyrifos", Value: "0.004", Unit: "mg/kg", Limit: "0.01", Pass: true}},
		Verdict:  inspection.VerdictPass, Document: inspection.Document{SHA256: strings.Repeat("ab", 32), URI: "ipfs://bafyreport"},
	}
}

// Inspect is the lab's inspecting event with its signed report.
func (f Fixture) Inspect() (string, error) {
	r := f.Report()
	sig := make([]byte, 65)
	if f.ReportSign != nil {
		var err error
		if sig, err = f.ReportSign(r); err != nil {
			return "", err
		}
	}
	x := epcis.InspectionExt{ReportID: r.ReportID, Method: r.Method, Standard: r.Standard, SampledAt: r.SampledAt,
		IssuedAt: r.IssuedAt, Verdict: r.Verdict, DocumentSHA256: r.Document.SHA256}
	for _, a := range r.Analytes {
		x.Analytes = append(x.Analytes, epcis.AnalyteExt{Name: a.Name, Value: a.Value, Unit: a.Unit, Limit: a.Limit, Pass: a.Pass})
	}
	xb, err := json.Marshal(x)
	if err != nil {
		return "", err
	}
	return `{` + f.head("inspect", "ObjectEvent", "OBSERVE", "inspecting") + fmt.Sprintf(`,"disposition":"conformant",
"certificationInfo":%q,"quantityList":[{"epcClass":%q}],"tl:inspection":%s,"tl:signature":"0x%x"}`,
		r.Document.URI, f.LotLink(), xb, sig), nil
}

// Units commissions serialised units of the batch (captured by the brand).
func (f Fixture) Units() string {
	var epcs []string
	for _, s := range f.Serials {
		epcs = append(epcs, fmt.Sprintf("%q", f.LotLink()+"/21/"+s))
	}
	return `{` + f.head("units", "ObjectEvent", "ADD", "commissioning") + fmt.Sprintf(`,"disposition":"active","epcList":[%s]}`, strings.Join(epcs, ","))
}

// Example is a fixture with fixed identifiers and times, for unit tests.
func Example() Fixture {
	return Fixture{
		Run: "example", GTIN: "09506000134352", SauceGTIN: "09506000134369", Lot: "CAP1", SauceLot: "SAUCE1",
		SSCC: "009506000100000018", Producer: "9506000134376", Warehouse: "9506000134383", To: "LogisticsMSP",
		Now: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC), Serials: []string{"S1", "S2"}, ReportID: "R-example",
	}
}
