package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/internal/jsondec"
)

// # Slim events
//
// A transaction's records are in its block twice over if the event repeats
// them: once as the values of its write set (the KVWrites of the
// chaincode's namespace, which are the records' canonical bytes) and once
// in the event. Peers and orderers pay for every byte of a transaction, so
// the chaincode sets a slim event: the header and, in Written, the state
// key of each record in the lists of a complete payload, in their order.
// Whoever reads blocks (a member node's follower) takes each record's
// bytes from the write set and rebuilds the complete payload byte for byte
// (Expand): the records, their ids and every index entry are what a
// complete event of the same transaction gives. Blocks written before the
// slim event keep their complete events, which need no expanding.
//
// The write set is endorsed with the event in the same chaincode action,
// so the event carries no hash of a record: it would prove nothing the
// endorsers' signatures do not.

// Key is a state key as its parts, the composite key's object type and
// then its attributes (Fabric's CreateCompositeKey joins them with U+0000,
// which JSON would spell \u0000).
type Key []string

// compositeKeyNamespace starts and U+0000 ends every part of a composite
// key, as Fabric's shim writes it (hand-written: ledger has no Fabric
// dependency, and the format is fixed by the ledgers already written).
const compositeKeyNamespace = "\x00"

// StateKey is the composite state key of k.
func (k Key) StateKey() string {
	var b strings.Builder
	b.WriteString(compositeKeyNamespace)
	for _, p := range k {
		b.WriteString(p)
		b.WriteByte(0)
	}
	return b.String()
}

// SplitKey splits a composite state key into its parts.
func SplitKey(key string) (Key, error) {
	if len(key) < 2 || !strings.HasPrefix(key, compositeKeyNamespace) || key[len(key)-1] != 0 {
		return nil, fmt.Errorf("%q is not a composite key", key)
	}
	return Key(strings.Split(key[1:len(key)-1], "\x00")), nil
}

// Written lists the records a transaction wrote by their state keys, in the
// lists and order of a complete payload (Event).
type Written struct {
	EPCIS         []Key `json:"epcis,omitempty"`
	Products      []Key `json:"products,omitempty"`
	Lots          []Key `json:"lots,omitempty"`
	Units         []Key `json:"units,omitempty"`
	Shipments     []Key `json:"shipments,omitempty"`
	LogisticUnits []Key `json:"logisticUnits,omitempty"`
	LabSigners    []Key `json:"labSigners,omitempty"`
	Inspections   []Key `json:"inspections,omitempty"`
	Recalls       []Key `json:"recalls,omitempty"`
	Roles         Key   `json:"roles,omitempty"`
	RoleProposals []Key `json:"roleProposals,omitempty"`
	Claims        []Key `json:"claims,omitempty"`
	Locations     []Key `json:"locations,omitempty"`
	ServiceChains []Key `json:"serviceChains,omitempty"`
}

// writtenList is one list of a complete payload: its JSON name and keys;
// one is set for Roles, a single record rather than a list.
type writtenList struct {
	name string
	keys []Key
	one  bool
}

// lists are w's lists in Event's order, which is the order of a complete
// payload's members.
func (w *Written) lists() []writtenList {
	var roles []Key
	if w.Roles != nil {
		roles = []Key{w.Roles}
	}
	return []writtenList{
		{"epcis", w.EPCIS, false},
		{"products", w.Products, false},
		{"lots", w.Lots, false},
		{"units", w.Units, false},
		{"shipments", w.Shipments, false},
		{"logisticUnits", w.LogisticUnits, false},
		{"labSigners", w.LabSigners, false},
		{"inspections", w.Inspections, false},
		{"recalls", w.Recalls, false},
		{"roles", roles, true},
		{"roleProposals", w.RoleProposals, false},
		{"claims", w.Claims, false},
		{"locations", w.Locations, false},
		{"serviceChains", w.ServiceChains, false},
	}
}

// Slim reports whether ev is a slim event, whose records are in its
// transaction's write set (Expand).
func (ev *Event) Slim() bool { return ev.Written != nil }

// ErrNotWritten is a record a slim event names that its transaction's write
// set does not hold.
var ErrNotWritten = errors.New("not in the transaction's write set")

// Expand returns the complete payload of the slim event ev: its header and
// each record it names as value returns it, the bytes its transaction wrote
// at the record's state key (false when the write set has no such write).
// The result is byte for byte the payload a complete event of the same
// transaction carries (epcis.Canonical of an Event), since the chaincode
// writes each record in that same encoding.
func (ev *Event) Expand(value func(key string) ([]byte, bool)) ([]byte, error) {
	if ev.Written == nil {
		return nil, errors.New("not a slim event")
	}
	if len(ev.EPCIS)+len(ev.Products)+len(ev.Lots)+len(ev.Units)+len(ev.Shipments)+len(ev.LogisticUnits)+len(ev.LabSigners)+
		len(ev.Inspections)+len(ev.Recalls)+len(ev.RoleProposals)+len(ev.Claims)+len(ev.Locations)+len(ev.ServiceChains) > 0 || ev.Roles != nil {
		return nil, errors.New("a slim event with records of its own")
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, h := range [...]struct{ name, v string }{{"function", ev.Function}, {"mspId", ev.MSPID}, {"txId", ev.TxID}, {"timestamp", ev.Timestamp}} {
		s, err := epcis.Canonical(h.v)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`"` + h.name + `":`)
		buf.Write(s)
	}
	for _, l := range ev.Written.lists() {
		if len(l.keys) == 0 {
			continue
		}
		buf.WriteString(`,"` + l.name + `":`)
		if !l.one {
			buf.WriteByte('[')
		}
		for i, k := range l.keys {
			if len(k) == 0 {
				return nil, fmt.Errorf("%s %d: an empty key", l.name, i)
			}
			v, ok := value(k.StateKey())
			if !ok || len(v) == 0 {
				return nil, fmt.Errorf("%s %d %q: %w", l.name, i, strings.Join(k, " "), ErrNotWritten)
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			// The chaincode writes compact JSON; compacting (as encoding/json
			// does for a json.RawMessage) keeps the result the encoding of a
			// complete event whatever a write holds.
			if err := jsondec.Compact(&buf, v); err != nil {
				return nil, fmt.Errorf("%s %d %q: %w", l.name, i, strings.Join(k, " "), err)
			}
		}
		if !l.one {
			buf.WriteByte(']')
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
