package follower

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/trustline/trustline/internal/jsondec"
	"github.com/trustline/trustline/ledger"
)

// CompletePayload returns the complete payload of a trustline event and the
// event decoded from it. A complete event (the chaincode's only form before
// slim events, kept in every block written then) is its own payload. A slim
// event names its records by state key (ledger.Written): their bytes are
// the transaction's writes in the chaincode's namespace, from which the
// complete payload is rebuilt byte for byte (ledger.Event.Expand), so the
// index, its digests and receipts are the same for either form. An event
// of a form this version does not know is an error wrapping
// ledger.ErrUnknownForm.
func (e *ChaincodeEvent) CompletePayload() ([]byte, *ledger.Event, error) {
	ev := new(ledger.Event)
	if err := jsondec.Unmarshal(e.Payload, ev); err != nil {
		return nil, nil, err
	}
	// A form this version does not know would decode as an event without
	// records (ledger.CheckForm): the caller stops on it.
	if err := ledger.CheckForm(e.Payload); err != nil {
		return nil, nil, err
	}
	if !ev.Slim() {
		return e.Payload, ev, nil
	}
	// The write set is read on the first record: an event naming none
	// (a transaction that wrote no record) needs none.
	var writes map[string][]byte
	var werr error
	payload, err := ev.Expand(func(k string) ([]byte, bool) {
		if writes == nil && werr == nil {
			writes, werr = e.writes()
		}
		v, ok := writes[k]
		return v, ok
	})
	if werr != nil {
		return nil, nil, fmt.Errorf("the write set of a slim event: %w", werr)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("expanding a slim event: %w", err)
	}
	full := new(ledger.Event)
	if err := jsondec.Unmarshal(payload, full); err != nil {
		return nil, nil, fmt.Errorf("expanding a slim event: %w", err)
	}
	return payload, full, nil
}

// writes are the values e's transaction wrote in e's chaincode's namespace,
// by key (deletes left out: the chaincode never deletes, and a slim event
// never names a deleted key), sub-slices of the block's bytes. The
// read-write set is walked on the wire as the envelope is (wire.go).
func (e *ChaincodeEvent) writes() (map[string][]byte, error) {
	if len(e.Results) == 0 {
		return nil, errors.New("the transaction has no read-write set")
	}
	if err := wireCheck(e.Results, schemaTxRWSet); err != nil {
		return nil, fmt.Errorf("read-write set: %w", err)
	}
	for it := (wireIter{b: e.Results}); it.next(); {
		if !it.is(2, protowire.BytesType) { // ns_rwset
			continue
		}
		if ns, _ := wireLast(it.v, 1); string(ns) != e.Chaincode { // namespace
			continue
		}
		kv, _ := wireLast(it.v, 2) // rwset
		if err := wireCheck(kv, schemaKVRWSet); err != nil {
			return nil, fmt.Errorf("namespace %s: %w", e.Chaincode, err)
		}
		out := make(map[string][]byte)
		for w := (wireIter{b: kv}); w.next(); {
			if !w.is(3, protowire.BytesType) { // writes
				continue
			}
			var key, value []byte
			var del bool
			for f := (wireIter{b: w.v}); f.next(); {
				switch {
				case f.is(1, protowire.BytesType):
					key = f.v
				case f.is(2, protowire.VarintType):
					del = f.x != 0
				case f.is(3, protowire.BytesType):
					value = f.v
				}
			}
			if !del {
				out[string(key)] = value
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("no writes in namespace %s", e.Chaincode)
}
