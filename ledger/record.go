package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/trustline/trustline/epcis"
)

// RecordKind names a kind of ledger record that is anchored next to the
// EPCIS events: the records claims are evaluated on (package claims), so
// that a receipt can prove them as it proves events.
type RecordKind string

// Anchored record kinds.
const (
	RecordProduct    RecordKind = "product"    // Product
	RecordLot        RecordKind = "lot"        // LotSummary
	RecordLabSigner  RecordKind = "labSigner"  // LabSigner
	RecordInspection RecordKind = "inspection" // InspectionRecord
	RecordClaim      RecordKind = "claim"      // Claim
)

// recordIDPrefix and the kind suffix shape a record id like an EPCIS event
// id (RFC 6920 ni URI), so both share one Merkle leaf space without
// colliding: an event id ends in "?ver=CBV2.0".
const recordIDPrefix = "ni:///sha-256;"

// Record is one anchored ledger record of a transaction.
type Record struct {
	Kind RecordKind
	// ID is RecordID(Kind, the record).
	ID string
	// JSON is the record's canonical JSON, whose SHA-256 the id holds.
	JSON []byte
}

// RecordID is the content id of a record of kind k with canonical JSON b:
// "ni:///sha-256;{hex SHA-256 of b}?type=tl:{kind}".
func RecordID(k RecordKind, b []byte) string {
	sum := sha256.Sum256(b)
	return recordIDPrefix + hex.EncodeToString(sum[:]) + "?type=tl:" + string(k)
}

// IsRecordID reports whether id has the shape of a record id.
func IsRecordID(id string) bool {
	return strings.HasPrefix(id, recordIDPrefix) && strings.Contains(id, "?type=tl:")
}

// NewRecord encodes v, a record of kind k, and computes its id.
func NewRecord(k RecordKind, v any) (Record, error) {
	// The chaincode stores records in this encoding (struct fields in
	// declaration order, no HTML escaping): decoding a record and encoding
	// it again gives the same bytes, so anyone holding one can recompute
	// its id.
	b, err := epcis.Canonical(v)
	if err != nil {
		return Record{}, fmt.Errorf("%s record: %w", k, err)
	}
	return Record{Kind: k, ID: RecordID(k, b), JSON: b}, nil
}

// DecodeRecord decodes a record of kind k from JSON into its type
// (*Product, *LotSummary, *LabSigner, *InspectionRecord or *Claim),
// rejecting unknown members, and returns it with its canonical form.
func DecodeRecord(k RecordKind, data []byte) (any, Record, error) {
	var v any
	switch k {
	case RecordProduct:
		v = new(Product)
	case RecordLot:
		v = new(LotSummary)
	case RecordLabSigner:
		v = new(LabSigner)
	case RecordInspection:
		v = new(InspectionRecord)
	case RecordClaim:
		v = new(Claim)
	default:
		return nil, Record{}, fmt.Errorf("record kind %q is not one of product, lot, labSigner, inspection, claim", k)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, Record{}, fmt.Errorf("%s record: %w", k, err)
	}
	if dec.More() {
		return nil, Record{}, fmt.Errorf("%s record: data after the record", k)
	}
	r, err := NewRecord(k, v)
	return v, r, err
}

// Records are the anchored records of the transaction, in payload order:
// products, lots, lab signers, inspections, claims.
func (ev *Event) Records() ([]Record, error) {
	out, err := appendRecords(nil, RecordProduct, ev.Products)
	if err == nil {
		out, err = appendRecords(out, RecordLot, ev.Lots)
	}
	if err == nil {
		out, err = appendRecords(out, RecordLabSigner, ev.LabSigners)
	}
	if err == nil {
		out, err = appendRecords(out, RecordInspection, ev.Inspections)
	}
	if err == nil {
		out, err = appendRecords(out, RecordClaim, ev.Claims)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendRecords appends the records vs of kind k to out.
func appendRecords[T any](out []Record, k RecordKind, vs []T) ([]Record, error) {
	for i := range vs {
		r, err := NewRecord(k, &vs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
