package follower

import (
	"errors"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// # Reading transactions off the wire
//
// A block's transactions are read with protowire, walking only the fields
// the follower needs, rather than with proto.Unmarshal into each message on
// the way (Envelope, Payload, ChannelHeader, Transaction,
// ChaincodeActionPayload, ProposalResponsePayload, ChaincodeAction,
// ChaincodeEvent, and the read-write set of a slim event). Unmarshalling
// copied every bytes field of every message (certificates, signatures,
// proposal payloads, the write set, the event payload), one level inside the
// other, so a transaction of 13 KB was copied about six times:
// BenchmarkRebuild/parse allocated 102 KB and spent 155 CPU-µs an event,
// proto.Unmarshal 8% of the whole rebuild's CPU. The walk allocates nothing
// but the results, whose bytes (event payload, write set) are sub-slices of
// the block's: parse went to 38 KB an event (13 KB of them the delivery's
// own unmarshalling of the block) and 104–105 CPU-µs from 114–145 in
// alternated runs, the whole rebuild from 116 to 52 KB an event.
//
// The walk accepts and refuses what proto.Unmarshal does (the Fabric
// messages are proto3): each message on the path is checked whole before
// its fields are read (wireCheck against the message's schema: tags and
// lengths well formed, field numbers in range, a known field of another
// wire type read as an unknown field, proto3 strings valid UTF-8, nested
// messages checked in turn), a singular field set twice has its last value,
// and a singular message set twice is the two merged. TestWireDifferential
// and FuzzParseEnvelope compare it with proto.Unmarshal.

// wireKind is how proto.Unmarshal reads a known field of a message.
type wireKind uint8

const (
	wireUnknown wireKind = iota // any well-formed value
	wireVarint                  // int32, int64, uint32, uint64, bool, enum
	wireBytes
	wireString // proto3 string: valid UTF-8
	wireMessage
)

// wireField is a known field of a message: its kind and, for a message,
// the schema of its own fields.
type wireField struct {
	kind wireKind
	msg  *wireSchema
}

// wireSchema is a message's known fields, by field number.
type wireSchema []wireField

var (
	errWireNumber = errors.New("invalid field number")
	errWireUTF8   = errors.New("string field contains invalid UTF-8")
)

// The schemas of the messages a transaction is read through, field by
// field as in fabric-protos-go-apiv2 (common, peer, ledger/rwset).
var (
	vf = wireField{kind: wireVarint}
	bf = wireField{kind: wireBytes}
	sf = wireField{kind: wireString}

	schemaTimestamp     = wireSchema{1: vf, 2: vf}
	schemaEnvelope      = wireSchema{1: bf, 2: bf}
	schemaHeader        = wireSchema{1: bf, 2: bf}
	schemaPayload       = wireSchema{1: {wireMessage, &schemaHeader}, 2: bf}
	schemaChannelHeader = wireSchema{1: vf, 2: vf, 3: {wireMessage, &schemaTimestamp}, 4: sf, 5: sf, 6: vf, 7: bf, 8: bf}

	schemaTransactionAction = wireSchema{1: bf, 2: bf}
	schemaTransaction       = wireSchema{1: {wireMessage, &schemaTransactionAction}}
	schemaEndorsement       = wireSchema{1: bf, 2: bf}
	schemaEndorsedAction    = wireSchema{1: bf, 2: {wireMessage, &schemaEndorsement}}
	schemaActionPayload     = wireSchema{1: bf, 2: {wireMessage, &schemaEndorsedAction}}
	schemaProposalResponse  = wireSchema{1: bf, 2: bf}
	schemaResponse          = wireSchema{1: vf, 2: sf, 3: bf}
	schemaChaincodeID       = wireSchema{1: sf, 2: sf, 3: sf}
	schemaChaincodeAction   = wireSchema{1: bf, 2: bf, 3: {wireMessage, &schemaResponse}, 4: {wireMessage, &schemaChaincodeID}}
	schemaChaincodeEvent    = wireSchema{1: sf, 2: sf, 3: sf, 4: bf}

	schemaCollectionHashed = wireSchema{1: sf, 2: bf, 3: bf}
	schemaNsRWSet          = wireSchema{1: sf, 2: bf, 3: {wireMessage, &schemaCollectionHashed}}
	schemaTxRWSet          = wireSchema{1: vf, 2: {wireMessage, &schemaNsRWSet}}
	schemaVersion          = wireSchema{1: vf, 2: vf}
	schemaKVRead           = wireSchema{1: sf, 2: {wireMessage, &schemaVersion}}
	schemaQueryReads       = wireSchema{1: {wireMessage, &schemaKVRead}}
	schemaMerkleSummary    = wireSchema{1: vf, 2: vf, 3: bf}
	schemaRangeQueryInfo   = wireSchema{1: sf, 2: sf, 3: vf, 4: {wireMessage, &schemaQueryReads}, 5: {wireMessage, &schemaMerkleSummary}}
	schemaKVWrite          = wireSchema{1: sf, 2: vf, 3: bf}
	schemaMetadataEntry    = wireSchema{1: sf, 2: bf}
	schemaMetadataWrite    = wireSchema{1: sf, 2: {wireMessage, &schemaMetadataEntry}}
	schemaKVRWSet          = wireSchema{1: {wireMessage, &schemaKVRead}, 2: {wireMessage, &schemaRangeQueryInfo},
		3: {wireMessage, &schemaKVWrite}, 4: {wireMessage, &schemaMetadataWrite}}
)

// wireIter steps through the fields of a message: after next returns true,
// num and typ are the field's, v its value if typ is BytesType and x if it
// is VarintType. Fields of other wire types are consumed and returned too.
type wireIter struct {
	b   []byte
	num protowire.Number
	typ protowire.Type
	v   []byte
	x   uint64
	err error
}

func (it *wireIter) next() bool {
	if it.err != nil || len(it.b) == 0 {
		return false
	}
	tag, n := protowire.ConsumeVarint(it.b)
	if n < 0 {
		it.err = protowire.ParseError(n)
		return false
	}
	// As proto.Unmarshal: a field number out of range is an error (and so
	// is an end-group tag outside a group, which ConsumeFieldValue refuses).
	if num := tag >> 3; num < uint64(protowire.MinValidNumber) || num > uint64(protowire.MaxValidNumber) {
		it.err = errWireNumber
		return false
	}
	it.num, it.typ = protowire.Number(tag>>3), protowire.Type(tag&7)
	it.b = it.b[n:]
	switch it.typ {
	case protowire.VarintType:
		it.x, n = protowire.ConsumeVarint(it.b)
	case protowire.BytesType:
		it.v, n = protowire.ConsumeBytes(it.b)
	default:
		n = protowire.ConsumeFieldValue(it.num, it.typ, it.b)
	}
	if n < 0 {
		it.err = protowire.ParseError(n)
		return false
	}
	it.b = it.b[n:]
	return true
}

// is reports whether the current field is field num of wire type typ, as
// a known field must be to be read as one (otherwise proto.Unmarshal keeps
// it as an unknown field).
func (it *wireIter) is(num protowire.Number, typ protowire.Type) bool {
	return it.num == num && it.typ == typ
}

// wireCheck reports whether proto.Unmarshal would refuse b as a message of
// schema s.
func wireCheck(b []byte, s wireSchema) error {
	it := wireIter{b: b}
	for it.next() {
		if int(it.num) >= len(s) {
			continue
		}
		switch f := s[it.num]; {
		case f.kind == wireString && it.typ == protowire.BytesType:
			if !utf8.Valid(it.v) {
				return errWireUTF8
			}
		case f.kind == wireMessage && it.typ == protowire.BytesType:
			if err := wireCheck(it.v, *f.msg); err != nil {
				return err
			}
		}
	}
	return it.err
}

// wireLast is the value of the last occurrence of field num (BytesType) in
// b, a message already checked, and whether there is one.
func wireLast(b []byte, num protowire.Number) ([]byte, bool) {
	var v []byte
	found := false
	for it := (wireIter{b: b}); it.next(); {
		if it.is(num, protowire.BytesType) {
			v, found = it.v, true
		}
	}
	return v, found
}

// wireLastIn is wireLast of field inner of the singular message field
// outer of b: every occurrence of outer is merged into one message, as if
// they were concatenated, so its last occurrence of inner wins.
func wireLastIn(b []byte, outer, inner protowire.Number) []byte {
	var v []byte
	for it := (wireIter{b: b}); it.next(); {
		if it.is(outer, protowire.BytesType) {
			if w, ok := wireLast(it.v, inner); ok {
				v = w
			}
		}
	}
	return v
}
