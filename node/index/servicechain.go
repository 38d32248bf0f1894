package index

import (
	"encoding/json"

	"github.com/trustline/trustline/ledger"
)

// A product's service chain (ledger.ServiceChain) is an anchored record
// like a lot's: kept as recorded in table A under its GTIN (records.go),
// and in the anchored state (f, blocks.go) under
// ledger.ServiceStateKey(gtin), so that a receipt proves it the product's
// latest and with it the product's service events complete. Receipts then
// carry all of the product's service events (AllServiceEvents), which the
// chain commits to, not only those of the claims' windows.

// serviceStateEntry is the state key of r when it is the next service
// chain record of ev (n counts those seen).
func serviceStateEntry(ev *ledger.Event, r ledger.Record, n *int) (string, bool) {
	if r.Kind != ledger.RecordService || *n >= len(ev.ServiceChains) {
		return "", false
	}
	sc := ev.ServiceChains[*n]
	*n++
	if !validComponent(sc.GTIN) {
		return "", false
	}
	return ledger.ServiceStateKey(sc.GTIN), true
}

// serviceChainRecord is product gtin's latest service chain record as
// anchored; ok is false when the product has none.
func serviceChainRecord(r reader, gtin string) (ledger.Record, bool, error) {
	sc := &ledger.ServiceChain{GTIN: gtin}
	k, err := recordKey(ledger.RecordService, sc)
	if err != nil {
		return ledger.Record{}, false, err
	}
	if _, ok, err := get(r, k); err != nil || !ok {
		return ledger.Record{}, false, err
	}
	rec, err := anchoredRecord(r, ledger.RecordService, sc)
	return rec, err == nil, err
}

// allServiceEvents are every service event of product gtin, in ledger
// order: what its service chain commits to.
func allServiceEvents(r reader, gtin string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := scan(r, prefix(tClaims, "v", gtin), nil, func(k, _ []byte) (bool, error) {
		parts := split(k)
		b, ok, err := get(r, key(tEvent, parts[len(parts)-1]))
		if err != nil || !ok {
			return err == nil, err
		}
		out = append(out, b)
		return true, nil
	})
	return out, err
}
