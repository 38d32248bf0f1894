package index

import (
	"fmt"
	"strings"

	"github.com/trustline/trustline/ledger"
)

// The anchored records (ledger.Record) are kept as recorded, next to the
// tables that hold them decoded, so that a receipt carries the very bytes
// whose id was anchored rather than this version's types encoded again:
//
//	A {kind} {gtin}               → product record as anchored (ledger.Record.JSON)
//	A {kind} {gtin} {lot}         → lot record
//	A {kind} {address, lower case} → lab signer record
//	A {kind} {reportID}           → inspection record
//	A {kind} {claimID}            → claim record
//	A {kind} {gtin}               → a product's service chain record (kind service)
//
// kind is the ledger.RecordKind. Each holds the latest record of its key.
const tAnchored = 'A'

// recordKey is the key of record v of kind k in table A.
func recordKey(k ledger.RecordKind, v any) ([]byte, error) {
	var comps []string
	switch r := v.(type) {
	case *ledger.Product:
		comps = []string{r.GTIN}
	case *ledger.LotSummary:
		comps = []string{r.GTIN, r.Lot}
	case *ledger.LabSigner:
		comps = []string{strings.ToLower(r.Address)}
	case *ledger.InspectionRecord:
		comps = []string{r.Report.ReportID}
	case *ledger.Claim:
		comps = []string{r.ID}
	case *ledger.ServiceChain:
		comps = []string{r.GTIN}
	default:
		return nil, fmt.Errorf("internal error: %T is not an anchored record", v)
	}
	for _, c := range comps {
		if !validComponent(c) {
			return nil, fmt.Errorf("%s record key %q", k, c)
		}
	}
	return key(tAnchored, append([]string{string(k)}, comps...)...), nil
}

// applyRecords stores the anchored records of ev, prepared in p, as
// recorded.
func applyRecords(w writer, ev *ledger.Event, p *Prepared) error {
	i := 0
	put := func(k ledger.RecordKind, v any) error {
		if i >= len(p.records) || p.records[i].Kind != k {
			return fmt.Errorf("internal error: prepared records do not match the payload's")
		}
		key, err := recordKey(k, v)
		if err != nil {
			return err
		}
		i++
		return w.Set(key, p.records[i-1].JSON, nil)
	}
	for j := range ev.Products {
		if err := put(ledger.RecordProduct, &ev.Products[j]); err != nil {
			return err
		}
	}
	for j := range ev.Lots {
		if err := put(ledger.RecordLot, &ev.Lots[j]); err != nil {
			return err
		}
	}
	for j := range ev.LabSigners {
		if err := put(ledger.RecordLabSigner, &ev.LabSigners[j]); err != nil {
			return err
		}
	}
	for j := range ev.Inspections {
		if err := put(ledger.RecordInspection, &ev.Inspections[j]); err != nil {
			return err
		}
	}
	for j := range ev.Claims {
		if err := put(ledger.RecordClaim, &ev.Claims[j]); err != nil {
			return err
		}
	}
	for j := range ev.ServiceChains {
		if err := put(ledger.RecordService, &ev.ServiceChains[j]); err != nil {
			return err
		}
	}
	return nil
}

// anchoredRecord is the record v of kind k as anchored (table A), with its
// id.
func anchoredRecord(r reader, k ledger.RecordKind, v any) (ledger.Record, error) {
	key, err := recordKey(k, v)
	if err != nil {
		return ledger.Record{}, err
	}
	b, ok, err := get(r, key)
	if err != nil {
		return ledger.Record{}, err
	}
	if !ok {
		return ledger.Record{}, fmt.Errorf("index: no anchored %s record under %q", k, key)
	}
	rec, err := ledger.StoredRecord(k, b)
	if err != nil {
		return rec, corrupt(key, err)
	}
	return rec, nil
}
