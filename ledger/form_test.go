package ledger

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestCheckForm: the complete and slim forms pass, whatever their records
// and strings hold; a top-level member Event does not have is a form this
// version does not know, however it is spelt.
func TestCheckForm(t *testing.T) {
	for _, c := range []struct {
		name, payload, unknown string
	}{
		{"complete", `{"function":"F","mspId":"M","txId":"t","timestamp":"","lots":[{"id":"L","future":{"x":["}"]}}],"epcis":[{"a\"b":1}]}`, ""},
		{"slim", `{"function":"F","mspId":"M","txId":"t","timestamp":"","written":{"lots":[["lot","1","L"]]}}`, ""},
		{"members spelt otherwise", `{"Function":"F","\u006dspId":"M","TXID":"t"}`, ""},
		{"strings holding structure", `{"function":"{\"refs\":1,","mspId":"[,\\"}`, ""},
		{"empty", `{}`, ""},
		{"a new member", `{"function":"F","refs":[{"k":1}],"txId":"t"}`, "refs"},
		{"a new member, escaped", `{"function":"F","\u0072efs":1}`, "refs"},
		{"a new member last", `{"function":"F","written":{},"form":2}`, "form"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ev Event
			if err := json.Unmarshal([]byte(c.payload), &ev); err != nil {
				t.Fatal(err)
			}
			err := CheckForm([]byte(c.payload))
			if c.unknown == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrUnknownForm) || !strings.Contains(err.Error(), `"`+c.unknown+`"`) {
				t.Fatalf("error %v, want ErrUnknownForm naming %q", err, c.unknown)
			}
		})
	}
}
