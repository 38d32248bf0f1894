package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/internal/jsondec"
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
// colliding: an event id ends in "?ver=CBV2.0" or "?ver=CBV2.1".
const recordIDPrefix = "ni:///sha-256;"

// RecordSchema is the schema version the chaincode writes into every
// anchored record (the records' SchemaVersion member). Bump it when a
// member is added to or changes meaning in Product, LotSummary, LabSigner,
// InspectionRecord or Claim: the version says how to read a record, while
// its id stays a hash of the bytes as stored, whichever Go types a member
// decodes them into.
const RecordSchema = 1

// Record ids.
//
// A record with a schema version (SchemaVersion ≥ 1, written by the
// chaincode since RecordSchema 1) has the id
//
//	ni:///sha-256;{hex SHA-256 of JCS(the record as stored)}?type=tl:{kind}&schema={version}
//
// where JCS is RFC 8785: the stored bytes are canonicalised, never decoded
// into Go types and encoded again, so two members running trustline
// versions whose record types differ (a member one of them does not know,
// another order of fields) compute the same id, the same leaves and the
// same anchored roots: a rolling upgrade cannot split the consortium's
// anchors. The version is hashed (it is a member of the record) and named
// in the id, so the same content under another schema has another id.
//
// A legacy record (no schema version, recorded before RecordSchema 1) keeps
// the id it was anchored with: the SHA-256 of Go's encoding of the record
// decoded strictly into this version's type (epcis.Canonical),
//
//	ni:///sha-256;{hex SHA-256}?type=tl:{kind}
//
// which only members whose types encode the record alike agree on.

// Record is one anchored ledger record of a transaction.
type Record struct {
	Kind RecordKind
	// ID is the record's id (see Record ids).
	ID string
	// JSON is the record as anchored: its JCS form when it has a schema
	// version, else Go's canonical encoding, which its legacy id hashes.
	JSON []byte
	// Schema is the record's schema version, 0 for a legacy record.
	Schema int
}

// RecordID is the legacy content id of a record of kind k with canonical
// JSON b: "ni:///sha-256;{hex SHA-256 of b}?type=tl:{kind}".
func RecordID(k RecordKind, b []byte) string {
	sum := sha256.Sum256(b)
	return recordIDPrefix + hex.EncodeToString(sum[:]) + "?type=tl:" + string(k)
}

// SchemaRecordID is the id of a record of kind k and schema version v
// whose JCS form is c.
func SchemaRecordID(k RecordKind, v int, c []byte) string {
	sum := sha256.Sum256(c)
	return recordIDPrefix + hex.EncodeToString(sum[:]) + "?type=tl:" + string(k) + "&schema=" + strconv.Itoa(v)
}

// IsRecordID reports whether id has the shape of a record id.
func IsRecordID(id string) bool {
	return strings.HasPrefix(id, recordIDPrefix) && strings.Contains(id, "?type=tl:")
}

// NewRecord encodes v, a record of kind k, and computes its id. It is how
// the chaincode's encoding of a Go value is anchored; a member reading a
// record off the ledger or a receipt uses StoredRecord on its bytes.
func NewRecord(k RecordKind, v any) (Record, error) {
	// The chaincode stores records in this encoding (struct fields in
	// declaration order, no HTML escaping).
	b, err := epcis.Canonical(v)
	if err != nil {
		return Record{}, fmt.Errorf("%s record: %w", k, err)
	}
	s, err := schemaOf(k, b)
	if err != nil {
		return Record{}, err
	}
	if s == 0 {
		return Record{Kind: k, ID: RecordID(k, b), JSON: b}, nil
	}
	return schemaRecord(k, s, b)
}

// StoredRecord is the record of kind k stored as data (from a chaincode
// event payload, an index or a receipt), with its id: from the JCS form of
// data itself when it has a schema version, so members not in the record's
// schema get the same id; by the legacy rule otherwise.
func StoredRecord(k RecordKind, data []byte) (Record, error) {
	_, r, err := DecodeRecord(k, data)
	return r, err
}

// schemaOf reads the schemaVersion member of a record of kind k.
func schemaOf(k RecordKind, data []byte) (int, error) {
	if _, err := newRecordValue(k); err != nil {
		return 0, err
	}
	var h struct {
		SchemaVersion *int `json:"schemaVersion"`
	}
	if err := jsondec.Unmarshal(data, &h); err != nil {
		return 0, fmt.Errorf("%s record: %w", k, err)
	}
	switch {
	case h.SchemaVersion == nil:
		return 0, nil
	case *h.SchemaVersion < 1:
		return 0, fmt.Errorf("%s record: schemaVersion %d is not a version (1 or more)", k, *h.SchemaVersion)
	}
	return *h.SchemaVersion, nil
}

// schemaRecord is the record of kind k, schema version s, stored as data.
func schemaRecord(k RecordKind, s int, data []byte) (Record, error) {
	c, err := canonicalJSON(data)
	if err != nil {
		return Record{}, fmt.Errorf("%s record: canonicalising JSON (RFC 8785): %w", k, err)
	}
	return Record{Kind: k, ID: SchemaRecordID(k, s, c), JSON: c, Schema: s}, nil
}

func newRecordValue(k RecordKind) (any, error) {
	switch k {
	case RecordProduct:
		return new(Product), nil
	case RecordLot:
		return new(LotSummary), nil
	case RecordLabSigner:
		return new(LabSigner), nil
	case RecordInspection:
		return new(InspectionRecord), nil
	case RecordClaim:
		return new(Claim), nil
	case RecordService:
		return new(ServiceChain), nil
	}
	return nil, fmt.Errorf("record kind %q is not one of product, lot, labSigner, inspection, claim, service", k)
}

// DecodeRecord decodes a record of kind k from JSON into its type
// (*Product, *LotSummary, *LabSigner, *InspectionRecord or *Claim) and
// returns it with the record and its id (see StoredRecord). A record with a
// schema version may have members this version does not know (a newer
// schema): its id covers them, the decoded value leaves them out. A legacy
// record is decoded strictly, since its id is that of its re-encoding.
func DecodeRecord(k RecordKind, data []byte) (any, Record, error) {
	s, err := schemaOf(k, data)
	if err != nil {
		return nil, Record{}, err
	}
	v, _ := newRecordValue(k)
	// The fast decoder first (a node decodes every record it indexes);
	// where it fails, the Decoder gives encoding/json's error, or accepts
	// what the fast one does not (data after the value that More does not
	// see, such as a closing bracket).
	fast := jsondec.Fast
	if s == 0 {
		fast = jsondec.FastKnown
	}
	if fast(data, v) != nil {
		v, _ = newRecordValue(k)
		dec := json.NewDecoder(bytes.NewReader(data))
		if s == 0 {
			dec.DisallowUnknownFields()
		}
		if err := dec.Decode(v); err != nil {
			return nil, Record{}, fmt.Errorf("%s record: %w", k, err)
		}
		if dec.More() {
			return nil, Record{}, fmt.Errorf("%s record: data after the record", k)
		}
	}
	if s == 0 {
		r, err := legacyRecord(k, v)
		return v, r, err
	}
	r, err := schemaRecord(k, s, data)
	return v, r, err
}

// legacyRecord is NewRecord for v decoded from a record without a schema
// version, whose encoding has none either (the member is omitted when 0):
// NewRecord without reading the encoding back for it.
func legacyRecord(k RecordKind, v any) (Record, error) {
	b, err := epcis.Canonical(v)
	if err != nil {
		return Record{}, fmt.Errorf("%s record: %w", k, err)
	}
	return Record{Kind: k, ID: RecordID(k, b), JSON: b}, nil
}

// Records are the anchored records of the transaction, in payload order
// (products, lots, lab signers, inspections, claims, service chains), from its Go values
// encoded (NewRecord): what the chaincode anchors. A member reading a
// payload off the ledger uses PayloadRecords on its bytes instead, so that
// the ids do not depend on its version's types.
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
	if err == nil {
		out, err = appendRecords(out, RecordService, ev.ServiceChains)
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

// DecodedPayloadRecords is PayloadRecords for a payload that has been
// decoded into ev (json.Unmarshal(payload, ev) succeeded): the same records
// and ids, with less work. A record with a schema version is not decoded
// into its type again (the payload's decoding into ev did that, with the
// same types, and its SchemaVersion says the version): it is only
// canonicalised for its id. Rebuilding an index does this for every record
// of the ledger.
func DecodedPayloadRecords(ev *Event, payload []byte) ([]Record, error) {
	raw, ok := scanRecordLists(payload) // scan.go
	if !ok {
		raw = payloadRecords{}
		if err := json.Unmarshal(payload, &raw); err != nil {
			return nil, fmt.Errorf("chaincode event payload: %w", err)
		}
	}
	if len(raw.Products) != len(ev.Products) || len(raw.Lots) != len(ev.Lots) || len(raw.LabSigners) != len(ev.LabSigners) ||
		len(raw.Inspections) != len(ev.Inspections) || len(raw.Claims) != len(ev.Claims) || len(raw.Service) != len(ev.ServiceChains) {
		return raw.records() // not ev's payload: every record on its own
	}
	out := make([]Record, 0, len(raw.Products)+len(raw.Lots)+len(raw.LabSigners)+len(raw.Inspections)+len(raw.Claims)+len(raw.Service))
	add := func(k RecordKind, b []byte, s int, v any) error {
		var r Record
		var err error
		switch {
		case s >= 1:
			r, err = schemaRecord(k, s, b)
		case v != nil:
			// A legacy record is Go's encoding of the value ev decoded it
			// into (legacyRecord). If that encoding is b itself, b has no
			// member the type lacks, no schemaVersion (omitted when 0 for
			// these kinds) and decodes strictly into a value with that
			// same encoding: StoredRecord's record, without decoding b a
			// second time (twice: its schema version, then strictly).
			if r, err = legacyRecord(k, v); err == nil && bytes.Equal(r.JSON, b) {
				break
			}
			fallthrough
		default:
			r, err = StoredRecord(k, b) // legacy, or a version to refuse
		}
		out = append(out, r)
		return err
	}
	for i, b := range raw.Products {
		if err := add(RecordProduct, b, ev.Products[i].SchemaVersion, &ev.Products[i]); err != nil {
			return nil, err
		}
	}
	for i, b := range raw.Lots {
		if err := add(RecordLot, b, ev.Lots[i].SchemaVersion, &ev.Lots[i]); err != nil {
			return nil, err
		}
	}
	for i, b := range raw.LabSigners {
		if err := add(RecordLabSigner, b, ev.LabSigners[i].SchemaVersion, &ev.LabSigners[i]); err != nil {
			return nil, err
		}
	}
	for i, b := range raw.Inspections {
		if err := add(RecordInspection, b, ev.Inspections[i].SchemaVersion, &ev.Inspections[i]); err != nil {
			return nil, err
		}
	}
	for i, b := range raw.Claims {
		if err := add(RecordClaim, b, ev.Claims[i].SchemaVersion, &ev.Claims[i]); err != nil {
			return nil, err
		}
	}
	for i, b := range raw.Service {
		// A service chain's schemaVersion is never omitted, so a legacy
		// one (0) is refused by StoredRecord: no shortcut.
		if err := add(RecordService, b, ev.ServiceChains[i].SchemaVersion, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// payloadRecords are the anchored records of a payload, as recorded.
type payloadRecords struct {
	Products    []json.RawMessage `json:"products"`
	Lots        []json.RawMessage `json:"lots"`
	LabSigners  []json.RawMessage `json:"labSigners"`
	Inspections []json.RawMessage `json:"inspections"`
	Claims      []json.RawMessage `json:"claims"`
	Service     []json.RawMessage `json:"serviceChains"`
}

func (raw *payloadRecords) records() ([]Record, error) {
	var out []Record
	for _, l := range []struct {
		k    RecordKind
		list []json.RawMessage
	}{{RecordProduct, raw.Products}, {RecordLot, raw.Lots}, {RecordLabSigner, raw.LabSigners}, {RecordInspection, raw.Inspections}, {RecordClaim, raw.Claims}, {RecordService, raw.Service}} {
		for _, b := range l.list {
			r, err := StoredRecord(l.k, b)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// PayloadRecords are the anchored records of the chaincode event payload
// (an Event's JSON), in the order of Records, each from its bytes as
// recorded (StoredRecord).
func PayloadRecords(payload []byte) ([]Record, error) {
	var raw payloadRecords
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("chaincode event payload: %w", err)
	}
	return raw.records()
}
