package epcis

import "testing"

// TestHashInvariants checks the properties CBV 2.0 asks of the hash: the
// same event in different serialisations has one hash, any change of
// content changes it.
func TestHashInvariants(t *testing.T) {
	const base = `{"type":"ObjectEvent","eventTime":"2024-05-01T08:00:00.000Z","eventTimeZoneOffset":"+02:00",` +
		`"epcList":["urn:epc:id:sgtin:9506000.013435.S1","urn:epc:id:sgtin:9506000.013435.S2"],` +
		`"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit",` +
		`"readPoint":{"id":"urn:epc:id:sgln:9520123.45678.0"},` +
		`"bizTransactionList":[{"type":"po","bizTransaction":"urn:epc:id:gdti:0614141.00001.1618034"}],` +
		`"quantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013435.L1","quantity":10,"uom":"KGM"}],` +
		`"tl:note":"fragile"}`
	tests := []struct {
		name string
		ev   string
		same bool
	}{
		{"member order", `{"tl:note":"fragile","action":"OBSERVE","type":"ObjectEvent","eventTimeZoneOffset":"+02:00","eventTime":"2024-05-01T08:00:00.000Z",` +
			`"quantityList":[{"uom":"KGM","quantity":10,"epcClass":"urn:epc:class:lgtin:9506000.013435.L1"}],` +
			`"epcList":["urn:epc:id:sgtin:9506000.013435.S1","urn:epc:id:sgtin:9506000.013435.S2"],` +
			`"disposition":"in_transit","bizStep":"shipping","readPoint":{"id":"urn:epc:id:sgln:9520123.45678.0"},` +
			`"bizTransactionList":[{"bizTransaction":"urn:epc:id:gdti:0614141.00001.1618034","type":"po"}]}`, true},
		{"list order", `{"type":"ObjectEvent","eventTime":"2024-05-01T08:00:00.000Z","eventTimeZoneOffset":"+02:00",` +
			`"epcList":["urn:epc:id:sgtin:9506000.013435.S2","urn:epc:id:sgtin:9506000.013435.S1"],` +
			`"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit",` +
			`"readPoint":{"id":"urn:epc:id:sgln:9520123.45678.0"},` +
			`"bizTransactionList":[{"type":"po","bizTransaction":"urn:epc:id:gdti:0614141.00001.1618034"}],` +
			`"quantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013435.L1","quantity":10,"uom":"KGM"}],` +
			`"tl:note":"fragile"}`, true},
		{"digital link and web vocabulary forms", `{"type":"ObjectEvent","eventTime":"2024-05-01T10:00:00+02:00","eventTimeZoneOffset":"+02:00",` +
			`"epcList":["https://example.com/dl/01/09506000134352/21/S1","https://id.gs1.org/01/9506000134352/21/S2?linkType=all"],` +
			`"action":"OBSERVE","bizStep":"urn:epcglobal:cbv:bizstep:shipping","disposition":"https://ref.gs1.org/cbv/Disp-in_transit",` +
			`"readPoint":{"id":"https://id.gs1.org/414/9520123456788"},` +
			`"bizTransactionList":[{"type":"urn:epcglobal:cbv:btt:po","bizTransaction":"https://id.gs1.org/253/06141410000121618034"}],` +
			`"quantityList":[{"epcClass":"https://id.gs1.org/01/09506000134352/10/L1","quantity":10.000,"uom":"KGM"}],` +
			`"@context":{"tl":"https://trustline.dev/ns/epcis#"},` +
			`"tl:note":"  fragile "}`, true},
		{"eventID, recordTime, certificationInfo and errorDeclaration are not hashed", base[:len(base)-1] +
			`,"eventID":"urn:uuid:1","recordTime":"2024-05-02T00:00:00Z","certificationInfo":"https://c.example/1",` +
			`"errorDeclaration":{"declarationTime":"2024-05-03T00:00:00Z"}}`, true},
		{"other instant", replace(base, "08:00:00.000Z", "08:00:00.001Z"), false},
		{"other serial", replace(base, "S2", "S3"), false},
		{"other quantity", replace(base, `"quantity":10`, `"quantity":10.5`), false},
		{"other bizStep", replace(base, `"shipping"`, `"receiving"`), false},
		{"other extension value", replace(base, "fragile", "sturdy"), false},
		{"other extension namespace", replace(base, `"tl:note"`, `"cbvmda:note"`), false},
		{"other type", replace(base, "ObjectEvent", "TransactionEvent"), false},
		{"extra field", replace(base, `"action"`, `"parentID":"urn:epc:id:sscc:0614141.1234567890","action"`), false},
	}
	want, err := HashEvent([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		got, err := HashEvent([]byte(tt.ev))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if (got == want) != tt.same {
			a, _ := PreHashEvent([]byte(base))
			b, _ := PreHashEvent([]byte(tt.ev))
			t.Errorf("%s: same hash = %v, want %v\n%s\n%s", tt.name, got == want, tt.same, a, b)
		}
	}
}

func replace(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	panic("replace: " + old + " not found")
}

func TestHashErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"eventTime":"2024-05-01T08:00:00Z"}`, "epcis: type: event has no type"},
		{`[1,2]`, "epcis: event: event is not a JSON object"},
		{`{"type":"ObjectEvent"`, "epcis: event: invalid JSON: unexpected EOF"},
		{`{"type":"ObjectEvent"} {}`, "epcis: event: invalid JSON: unexpected data after the JSON value"},
		{`{"type":"ObjectEvent","bizTransactionList":[{"type":"po"}]}`, "epcis: bizTransactionList: entry has no bizTransaction"},
	} {
		_, err := HashEvent([]byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("HashEvent(%s) error = %v, want %q", tt.in, err, tt.want)
		}
	}
	if _, err := HashDocument([]byte(`{"epcisBody":{}}`)); err == nil || err.Error() != "epcis: epcisBody.eventList: document has no event list" {
		t.Errorf("HashDocument without events: %v", err)
	}
}
