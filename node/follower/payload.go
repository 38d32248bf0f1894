package follower

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/ledger"
)

// CompletePayload returns the complete payload of a trustline event and the
// event decoded from it. A complete event (the chaincode's only form before
// slim events, kept in every block written then) is its own payload. A slim
// event names its records by state key (ledger.Written): their bytes are
// the transaction's writes in the chaincode's namespace, from which the
// complete payload is rebuilt byte for byte (ledger.Event.Expand), so the
// index, its digests and receipts are the same for either form.
func (e *ChaincodeEvent) CompletePayload() ([]byte, *ledger.Event, error) {
	ev := new(ledger.Event)
	if err := json.Unmarshal(e.Payload, ev); err != nil {
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
	if err := json.Unmarshal(payload, full); err != nil {
		return nil, nil, fmt.Errorf("expanding a slim event: %w", err)
	}
	return payload, full, nil
}

// writes are the values e's transaction wrote in e's chaincode's namespace,
// by key (deletes left out: the chaincode never deletes, and a slim event
// never names a deleted key).
func (e *ChaincodeEvent) writes() (map[string][]byte, error) {
	if len(e.Results) == 0 {
		return nil, errors.New("the transaction has no read-write set")
	}
	var txrw rwset.TxReadWriteSet
	if err := proto.Unmarshal(e.Results, &txrw); err != nil {
		return nil, fmt.Errorf("read-write set: %w", err)
	}
	for _, ns := range txrw.GetNsRwset() {
		if ns.GetNamespace() != e.Chaincode {
			continue
		}
		var kv kvrwset.KVRWSet
		if err := proto.Unmarshal(ns.GetRwset(), &kv); err != nil {
			return nil, fmt.Errorf("namespace %s: %w", e.Chaincode, err)
		}
		out := make(map[string][]byte, len(kv.GetWrites()))
		for _, w := range kv.GetWrites() {
			if !w.GetIsDelete() {
				out[w.GetKey()] = w.GetValue()
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("no writes in namespace %s", e.Chaincode)
}
