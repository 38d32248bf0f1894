package index

// Service events (ledger.ServiceMember: consumers' tickets and the brand's
// answers) are evidence about a whole product, not a lot: service_within
// claims judge a product's record of answering in time. They are indexed
// by product, in ledger order, under the claims table:
//
//	q v {gtin} {txTime} {eventID}    → "" (the product's service events)
//
// A service event re-evaluates the claims on every lot of its product.

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/ledger"
)

// serviceProducts indexes ev's service events and returns the GTINs of
// their products.
func serviceProducts(w writer, ev *ledger.Event) ([]string, error) {
	var out []string
	for _, raw := range ev.EPCIS {
		if !bytes.Contains(raw, []byte(ledger.ServiceMember)) {
			continue
		}
		var e epcis.Event
		if json.Unmarshal(raw, &e) != nil || e.Extensions[ledger.ServiceMember] == nil || len(e.QuantityList) != 1 {
			continue
		}
		l, err := digitallink.Parse(e.QuantityList[0].EPCClass)
		if err != nil || l.GTIN == "" || l.Lot != "" || !validComponent(e.EventID) || !validComponent(ev.Timestamp) {
			continue
		}
		if err := w.Set(key(tClaims, "v", l.GTIN, ev.Timestamp, e.EventID), nil, nil); err != nil {
			return nil, err
		}
		out = append(out, l.GTIN)
	}
	return out, nil
}

// serviceWindow is the longest window of the service claims among cs, 0
// without one.
func serviceWindow(cs []ledger.Claim) time.Duration {
	var d time.Duration
	for _, c := range cs {
		if c.Kind == ledger.ClaimService && c.Params.Service != nil {
			d = max(d, time.Duration(c.Params.Service.WindowDays)*24*time.Hour)
		}
	}
	return d
}

// serviceEvents returns gtin's service events recorded in the window up to
// at, in ledger order.
func serviceEvents(r reader, gtin string, at time.Time, window time.Duration) ([]json.RawMessage, error) {
	var out []json.RawMessage
	p := prefix(tClaims, "v", gtin)
	from := append(append([]byte(nil), p...), ledger.FormatTime(at.Add(-window))...)
	last := ledger.FormatTime(at)
	err := scan(r, p, from, func(k, _ []byte) (bool, error) {
		parts := split(k)
		if len(parts) != 4 || parts[2] > last {
			return false, nil
		}
		b, ok, err := get(r, key(tEvent, parts[3]))
		if err != nil || !ok {
			return err == nil, err
		}
		out = append(out, b)
		return true, nil
	})
	return out, err
}
