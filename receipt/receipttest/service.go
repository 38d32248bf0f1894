package receipttest

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/receipt"
)

// ServiceCases are the tampering classes of a product's service events on
// base, a format 5 receipt with a service_within claim whose product has
// a ticket filed and answered: the filing left out, the answer left out
// (an answered ticket then looks open, or an overdue one unanswered), and
// the product's service chain record removed. Each fails PartService with
// a message naming the service event missing.
func ServiceCases(base *receipt.Receipt) ([]Case, error) {
	filed, answered := -1, -1
	for i, e := range base.Events {
		if !e.Service {
			continue
		}
		var ev struct {
			Ext ledger.ServiceExt `json:"tl:service"`
		}
		if json.Unmarshal(e.Event, &ev) != nil {
			continue
		}
		switch ev.Ext.Step {
		case ledger.ServiceFiled:
			filed = i
		case ledger.ServiceAnswered:
			answered = i
		}
	}
	chain := slices.IndexFunc(base.Records, func(r receipt.Record) bool { return r.Type == ledger.RecordService })
	if filed < 0 || answered < 0 || chain < 0 {
		return nil, fmt.Errorf("%w: the receipt has no filed and answered service events, or no service chain record", ErrTarget)
	}
	drop := func(id string) func(r *receipt.Receipt) error {
		return func(r *receipt.Receipt) error {
			r.Events = slices.DeleteFunc(r.Events, func(e receipt.Event) bool { return e.EventID == id })
			return nil
		}
	}
	return []Case{
		{Name: "service untampered"},
		{Name: "a ticket's filing removed", Tamper: drop(base.Events[filed].EventID), Part: receipt.PartService, Want: "service event missing"},
		{Name: "a ticket's answer removed", Tamper: drop(base.Events[answered].EventID), Part: receipt.PartService, Want: "service event missing"},
		{Name: "the service chain removed", Tamper: func(r *receipt.Receipt) error {
			r.Records = slices.DeleteFunc(r.Records, func(x receipt.Record) bool { return x.Type == ledger.RecordService })
			return nil
		}, Part: receipt.PartService, Want: "no service event is missing"},
	}, nil
}
