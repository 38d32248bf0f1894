package epcis_test

import (
	"encoding/json"
	"fmt"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
)

// A harvest event as a member node would record it: a lot of apples
// commissioned at a farm, with trustline's own ILMD and extension members.
const harvest = `{
  "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
               {"tl": "https://trustline.dev/ns/epcis#"}],
  "type": "ObjectEvent",
  "eventTime": "2024-09-12T07:30:00.1234+02:00",
  "eventTimeZoneOffset": "+02:00",
  "action": "ADD",
  "bizStep": "commissioning",
  "disposition": "active",
  "quantityList": [{"epcClass": "https://id.gs1.org/01/09506000134352/10/APL-2024-37", "quantity": 1250.0, "uom": "KGM"}],
  "readPoint": {"id": "urn:epc:id:sgln:9520123.45678.0"},
  "ilmd": {"cbvmda:countryOfOrigin": "FR", "tl:farmingPractice": "organic"},
  "tl:harvestCrew": "B"
}`

func ExampleHashEvent() {
	h, err := epcis.HashEvent([]byte(harvest))
	if err != nil {
		panic(err)
	}
	fmt.Println(h)
	// Output:
	// ni:///sha-256;7b2e9107bfc384dc652765523cff158d58d10f91da5e4626547ca8350568cfbf?ver=CBV2.0
}

func ExamplePreHashEvent() {
	pre, err := epcis.PreHashEvent([]byte(harvest))
	if err != nil {
		panic(err)
	}
	fmt.Println(pre)
	// Output:
	// eventType=ObjectEventeventTime=2024-09-12T05:30:00.123ZeventTimeZoneOffset=+02:00quantityListquantityElementepcClass=https://id.gs1.org/01/09506000134352/10/APL-2024-37quantity=1250uom=KGMaction=ADDbizStep=https://ref.gs1.org/cbv/BizStep-commissioningdisposition=https://ref.gs1.org/cbv/Disp-activereadPointid=https://id.gs1.org/414/9520123456788ilmd{https://trustline.dev/ns/epcis#}farmingPractice=organic{urn:epcglobal:cbv:mda}countryOfOrigin=FR{https://trustline.dev/ns/epcis#}harvestCrew=B
}

func ExampleEvent_Hash() {
	lot, err := digitallink.ForLot("9506000134352", "APL-2024-37")
	if err != nil {
		panic(err)
	}
	kg := 1250.0
	e := epcis.Event{
		Context:             epcis.DefaultContext(),
		Type:                epcis.ObjectEvent,
		EventTime:           "2024-09-12T07:30:00.1234+02:00",
		EventTimeZoneOffset: "+02:00",
		Action:              epcis.ActionAdd,
		BizStep:             "commissioning",
		Disposition:         "active",
		QuantityList:        []epcis.QuantityElement{{EPCClass: lot.String(), Quantity: &kg, UOM: "KGM"}},
		ReadPoint:           &epcis.Location{ID: "urn:epc:id:sgln:9520123.45678.0"},
		ILMD: epcis.ILMD{
			"cbvmda:countryOfOrigin": json.RawMessage(`"FR"`),
			"tl:farmingPractice":     json.RawMessage(`"organic"`),
		},
		Extensions: map[string]json.RawMessage{"tl:harvestCrew": json.RawMessage(`"B"`)},
	}
	if err := e.Validate(); err != nil {
		panic(err)
	}
	h, err := e.Hash()
	if err != nil {
		panic(err)
	}
	// The same event as the JSON of the HashEvent example: same hash.
	fmt.Println(h)
	// Output:
	// ni:///sha-256;7b2e9107bfc384dc652765523cff158d58d10f91da5e4626547ca8350568cfbf?ver=CBV2.0
}

func ExampleCanonical() {
	e := epcis.Event{
		Type:                epcis.ObjectEvent,
		EventTime:           "2024-09-12T07:30:00Z",
		EventTimeZoneOffset: "+00:00",
		EPCList:             []string{"https://id.gs1.org/00/106141412345678908"},
		Action:              epcis.ActionObserve,
		Extensions: map[string]json.RawMessage{
			"tl:temperature": json.RawMessage(`{"max": 4.5, "unit": "CEL"}`),
			"tl:carrier":     json.RawMessage(`"R&R <Logistics>"`),
		},
	}
	b, err := epcis.Canonical(&e)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"type":"ObjectEvent","eventTime":"2024-09-12T07:30:00Z","eventTimeZoneOffset":"+00:00","epcList":["https://id.gs1.org/00/106141412345678908"],"action":"OBSERVE","tl:carrier":"R&R <Logistics>","tl:temperature":{"max":4.5,"unit":"CEL"}}
}

func ExampleEvent_Validate() {
	var e epcis.Event
	err := json.Unmarshal([]byte(`{
	  "type": "AggregationEvent",
	  "eventTime": "2024-09-12T07:30:00",
	  "eventTimeZoneOffset": "+02:00",
	  "action": "ADD",
	  "childQuantityList": [{"epcClass": "https://id.gs1.org/01/09506000134352/10/L1", "quantity": -3}]
	}`), &e)
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Validate())
	// Output:
	// epcis: eventTime: "2024-09-12T07:30:00" is not an RFC 3339 timestamp with time zone offset
	// epcis: parentID: required when action is ADD
	// epcis: childQuantityList[0].quantity: must not be negative
}
