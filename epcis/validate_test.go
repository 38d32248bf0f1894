package epcis

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

// validateCase is a case of testdata/validate.json: an event and the
// errors Validate finds in it.
type validateCase struct {
	Name   string          `json:"name"`
	Event  json.RawMessage `json:"event"`
	Errors []string        `json:"errors"`
}

func readValidateCases(tb testing.TB) []validateCase {
	tb.Helper()
	b, err := os.ReadFile("testdata/validate.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []validateCase
	if err := json.Unmarshal(b, &cases); err != nil {
		tb.Fatal(err)
	}
	return cases
}

func TestValidateTestdata(t *testing.T) {
	for _, c := range readValidateCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			var e Event
			if err := json.Unmarshal(c.Event, &e); err != nil {
				t.Fatal(err)
			}
			err := e.Validate()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if strings.Join(got, "\n") != strings.Join(c.Errors, "\n") {
				t.Errorf("errors:\n got %q\nwant %q", got, c.Errors)
			}
			if err != nil {
				var ee *Error
				if !errors.As(err, &ee) {
					t.Errorf("%T does not contain an *epcis.Error", err)
				}
			}
		})
	}
}

func TestValidateNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	e := Event{
		Type: ObjectEvent, EventTime: "2024-05-01T08:00:00Z", EventTimeZoneOffset: "+00:00",
		Action: ActionObserve, EPCList: []string{"x:1"},
		QuantityList:      []QuantityElement{{EPCClass: "x:2", Quantity: &inf}},
		SensorElementList: []SensorElement{{SensorReport: []SensorReport{{Value: &nan}}}},
		Extensions:        map[string]json.RawMessage{"tl:bad": json.RawMessage(`{`), "plain": json.RawMessage(`1`)},
	}
	want := []string{
		"epcis: quantityList[0].quantity: must be a finite number",
		"epcis: sensorElementList[0].sensorReport[0].value: must be a finite number",
		`epcis: plain: member name must have the form "prefix:name"`,
		"epcis: tl:bad: value is not valid JSON",
	}
	err := e.Validate()
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

func TestDocumentValidate(t *testing.T) {
	d := NewDocument("not a date", Event{Type: "Nonsense"})
	d.SchemaVersion = "1.2"
	err := d.Validate()
	for _, want := range []string{
		`epcis: schemaVersion: is "1.2", want 2.0`,
		`epcis: creationDate: "not a date" is not an RFC 3339 timestamp`,
		`epcis: epcisBody.eventList[0].type: unknown event type "Nonsense"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to contain %q", err, want)
		}
	}
}
