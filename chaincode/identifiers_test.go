package chaincode

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// TestEventIdentifiers checks epcis.Event.Identifiers, the one rule for
// which identifiers an event names (the node's index, the claims
// evaluator and the receipt verifier all use it), on every kind of event
// the chaincode records: against a table of what each kind names, against
// an independent reading of the stored JSON, and against the lots the
// transaction wrote (the lots the chaincode indexes the event under).
func TestEventIdentifiers(t *testing.T) {
	e := newEnv(t)
	runLife(e)
	sauce := lotURI(gtinSauce, "S1")
	e.ok(supplier, "Custody:Pack", mustJSON(ledger.PackRequest{SSCC: ssccPallet, Lots: []string{sauce}}))
	e.ok(supplier, "Custody:Ship", mustJSON(ledger.ShipRequest{LogisticUnit: ssccPallet, To: logistics, Destination: glnWarehouse}))
	e.ok(logistics, "Custody:Receive", mustJSON(ledger.ReceiveRequest{LogisticUnit: ssccPallet}))
	e.ok(logistics, "Custody:Unpack", ssccPallet)

	// roles: the roles of the event's identifiers, in order (p parent, e
	// EPC, c class), as a pattern.
	tests := []struct {
		fn, subject string // subject: what the event's objects are
		roles       string
	}{
		{"Batch:CreateBatch", "lot", `^c$`},
		{"Batch:Transform", "lot", `^cc+$`},
		{"Custody:Ship", "lot", `^c$`},
		{"Custody:Ship", "logistic unit", `^e$`},
		{"Custody:Receive", "lot", `^c$`},
		{"Custody:Receive", "logistic unit", `^e$`},
		{"Custody:RecordReadings", "lot", `^c$`},
		{"Custody:Pack", "lot", `^pc+$`},
		{"Custody:Unpack", "lot", `^pc+$`},
		{"Product:CommissionUnits", "unit", `^e+$`},
		{"Product:Recall", "lot", `^c$`},
		{"Lab:SubmitInspection", "lot", `^c+$`},
	}
	seen := map[int]int{}
	for _, ev := range e.events {
		for _, raw := range ev.EPCIS {
			var model epcis.Event
			if err := json.Unmarshal(raw, &model); err != nil {
				t.Fatalf("%s: %v", ev.Function, err)
			}
			ids := model.Identifiers()
			subject := "lot"
			switch {
			case len(model.EPCList) > 0 && model.ParentID == "" && len(ids) > 0 && isSSCC(ids[0].ID):
				subject = "logistic unit"
			case len(model.EPCList) > 0:
				subject = "unit"
			}
			var roles []byte
			for _, id := range ids {
				roles = append(roles, byte(id.Role))
			}
			i := slices.IndexFunc(tests, func(tt struct{ fn, subject, roles string }) bool {
				return tt.fn == ev.Function && tt.subject == subject
			})
			if i < 0 {
				t.Errorf("%s records an event of %s the table does not cover: %s", ev.Function, subject, raw)
				continue
			}
			seen[i]++
			if !regexp.MustCompile(tests[i].roles).Match(roles) {
				t.Errorf("%s (%s): identifier roles %q, want %s", ev.Function, subject, roles, tests[i].roles)
			}
			if want := namedIn(t, raw); !slices.Equal(ids, want) {
				t.Errorf("%s (%s): Identifiers = %v\nthe stored JSON names %v", ev.Function, subject, ids, want)
			}
			for _, l := range ev.Lots {
				if !names(ids, l, ev.LogisticUnits) {
					t.Errorf("%s (%s) writes lot %s, which its event does not name: %v", ev.Function, subject, l.ID, ids)
				}
			}
		}
	}
	for i, tt := range tests {
		if seen[i] == 0 {
			t.Errorf("no %s event of a %s was recorded", tt.fn, tt.subject)
		}
	}
}

func isSSCC(id string) bool {
	l, err := digitallink.Parse(id)
	return err == nil && l.SSCC != ""
}

// namedIn reads the identifiers an event names from its JSON without the
// epcis model: the reference Identifiers is held to.
func namedIn(t *testing.T, raw json.RawMessage) []epcis.Identifier {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var out []epcis.Identifier
	if p, _ := m["parentID"].(string); p != "" {
		out = append(out, epcis.Identifier{ID: digitallink.Canonical(p), Role: epcis.RoleParent})
	}
	for _, k := range []string{"epcList", "childEPCs", "inputEPCList", "outputEPCList"} {
		l, _ := m[k].([]any)
		for _, v := range l {
			out = append(out, epcis.Identifier{ID: digitallink.Canonical(v.(string)), Role: epcis.RoleEPC})
		}
	}
	for _, k := range []string{"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"} {
		l, _ := m[k].([]any)
		for _, v := range l {
			c, _ := v.(map[string]any)["epcClass"].(string)
			out = append(out, epcis.Identifier{ID: digitallink.Canonical(c), Role: epcis.RoleClass})
		}
	}
	return out
}

// names reports whether ids name lot l: as a class, through a unit of it,
// or through a logistic unit that holds it.
func names(ids []epcis.Identifier, l ledger.LotSummary, units []ledger.LogisticUnit) bool {
	for _, id := range ids {
		if id.ID == l.ID {
			return true
		}
		dl, err := digitallink.Parse(id.ID)
		if err != nil {
			continue
		}
		if dl.GTIN != "" && dl.LotLink().String() == l.ID {
			return true
		}
		for _, u := range units {
			if u.ID == id.ID && slices.Contains(u.Lots, l.ID) {
				return true
			}
		}
	}
	return false
}
