package follower

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// payloadLists are the record lists of a complete payload, in its order.
var payloadLists = []string{"epcis", "products", "lots", "units", "shipments", "logisticUnits", "labSigners",
	"inspections", "recalls", "roles", "roleProposals", "claims", "locations", "serviceChains"}

// slimmed is the slim form of the complete payload p, as the chaincode
// sets it since slim events: the header and each record's state key, with
// the records as the transaction's writes (a serialised
// rwset.TxReadWriteSet, with an index entry of the chaincode and a write of
// another namespace beside them, as a real transaction may have).
func slimmed(t *testing.T, p []byte) (slim, results []byte) {
	t.Helper()
	var lists map[string]json.RawMessage
	if err := json.Unmarshal(p, &lists); err != nil {
		t.Fatal(err)
	}
	var head ledger.Event
	if err := json.Unmarshal(p, &head); err != nil {
		t.Fatal(err)
	}
	ev := ledger.Event{Function: head.Function, MSPID: head.MSPID, TxID: head.TxID, Timestamp: head.Timestamp}
	written := map[string]any{}
	// Writes in key order, as Fabric records them, not in payload order.
	writes := []*kvrwset.KVWrite{{Key: ledger.Key{"lotevent", "x", head.TxID}.StateKey(), Value: []byte(`"x"`)}}
	for _, name := range payloadLists {
		raw, ok := lists[name]
		if !ok {
			continue
		}
		key := func(i int) ledger.Key { return ledger.Key{"rec" + name, head.TxID, fmt.Sprint(i)} }
		if name == "roles" {
			written[name] = key(0)
			writes = append(writes, &kvrwset.KVWrite{Key: key(0).StateKey(), Value: raw})
			continue
		}
		var recs []json.RawMessage
		if err := json.Unmarshal(raw, &recs); err != nil {
			t.Fatal(err)
		}
		var keys []ledger.Key
		for i := len(recs) - 1; i >= 0; i-- {
			writes = append(writes, &kvrwset.KVWrite{Key: key(i).StateKey(), Value: recs[i]})
		}
		for i := range recs {
			keys = append(keys, key(i))
		}
		written[name] = keys
	}
	b, err := json.Marshal(written)
	if err != nil {
		t.Fatal(err)
	}
	ev.Written = new(ledger.Written)
	if err := json.Unmarshal(b, ev.Written); err != nil {
		t.Fatal(err)
	}
	if slim, err = json.Marshal(ev); err != nil {
		t.Fatal(err)
	}
	ours := mustMarshal(t, &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{{Key: "r"}}, Writes: writes})
	theirs := mustMarshal(t, &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: writes[len(writes)-1].Key, Value: []byte(`{"other":1}`)}}})
	results = mustMarshal(t, &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: []*rwset.NsReadWriteSet{
		{Namespace: "_lifecycle", Rwset: theirs}, {Namespace: "trustline", Rwset: ours}}})
	return slim, results
}

// chainOf records payloads, txsPerBlock a block, as a peer delivers them;
// slim says which transactions the chaincode recorded with a slim event.
func chainOf(t *testing.T, payloads [][]byte, txsPerBlock int, slim func(i int) bool) recordedChain {
	block := func(num uint64, data [][]byte) []byte {
		md := make([][]byte, common.BlockMetadataIndex_TRANSACTIONS_FILTER+1)
		md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = make([]byte, len(data))
		return mustMarshal(t, &common.Block{Header: &common.BlockHeader{Number: num}, Data: &common.BlockData{Data: data},
			Metadata: &common.BlockMetadata{Metadata: md}})
	}
	cfg := mustMarshal(t, &common.Envelope{Payload: mustMarshal(t, &common.Payload{
		Header: &common.Header{ChannelHeader: mustMarshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_CONFIG)})}})})
	c := recordedChain{blocks: [][]byte{block(0, [][]byte{cfg})}}
	for first := 0; first < len(payloads); first += txsPerBlock {
		num := uint64(len(c.blocks))
		var data [][]byte
		for i := first; i < min(first+txsPerBlock, len(payloads)); i++ {
			p, results := payloads[i], []byte(nil)
			if slim(i) {
				p, results = slimmed(t, p)
			}
			txID := fmt.Sprintf("%064x", sha256.Sum256(fmt.Appendf(nil, "%d/%d", num, i-first))) // as recordChain
			ev := mustMarshal(t, &peer.ChaincodeEvent{ChaincodeId: "trustline", TxId: txID, EventName: ledger.EventName, Payload: p})
			ca := mustMarshal(t, &peer.ChaincodeAction{Results: results, Events: ev})
			prp := mustMarshal(t, &peer.ProposalResponsePayload{Extension: ca})
			act := mustMarshal(t, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp}})
			tx := mustMarshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: act}}})
			ch := mustMarshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), TxId: txID})
			data = append(data, mustMarshal(t, &common.Envelope{Payload: mustMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: ch}, Data: tx})}))
			c.bytes += len(p) + len(results)
		}
		c.blocks = append(c.blocks, block(num, data))
		c.events += len(data)
	}
	return c
}

// follow indexes c with the follower into a fresh in-memory index.
func follow(t *testing.T, c recordedChain) (*index.Index, Status) {
	t.Helper()
	x, err := index.Open("idx", &index.Options{FS: vfs.NewMem(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	f := New(recordedSource{c}, x, &Options{StopAt: uint64(len(c.blocks)), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := f.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return x, f.Status()
}

// TestSlimEventsIndexAsComplete follows the recorded supply chain of
// TestRebuildGolden with complete events (as every block before slim
// events holds them), with slim events, and with an upgrade halfway (the
// old form, then the slim one): the three indexes have the golden digest.
func TestSlimEventsIndexAsComplete(t *testing.T) {
	payloads := supplyPayloads(t, 2000)
	for _, form := range []struct {
		name string
		slim func(int) bool
	}{
		{"complete", func(int) bool { return false }},
		{"slim", func(int) bool { return true }},
		{"upgraded at 1000", func(i int) bool { return i >= 1000 }},
	} {
		t.Run(form.name, func(t *testing.T) {
			c := chainOf(t, payloads, 20, form.slim)
			x, st := follow(t, c)
			if st.Applied != uint64(len(payloads)) || st.Skipped != 0 {
				t.Errorf("status %+v, want %d applied and none skipped", st, len(payloads))
			}
			d, err := x.Digest()
			if err != nil {
				t.Fatal(err)
			}
			if d != goldenRebuildDigest {
				t.Errorf("digest %s, want the golden %s", d, goldenRebuildDigest)
			}
		})
	}
}

// TestCompletePayload checks how a payload is read: a complete event as it
// is, a slim one from its writes, and a slim one whose records are not all
// in the write set refused, naming why.
func TestCompletePayload(t *testing.T) {
	complete := []byte(`{"function":"Custody:Ship","mspId":"SupplierMSP","txId":"t1","timestamp":"2025-06-01T08:00:00.000000000Z",` +
		`"epcis":[{"eventID":"e1","x":"<&>"}],"lots":[{"id":"L1","gtin":"1"}],"shipments":[{"id":"t1"}],"roles":{"members":[]}}`)
	slim, results := slimmed(t, complete)
	for _, c := range []struct {
		name    string
		e       ChaincodeEvent
		want    string // payload, or the error's text
		wantErr bool
	}{
		{"complete", ChaincodeEvent{Payload: complete}, string(complete), false},
		{"slim", ChaincodeEvent{Payload: slim, Chaincode: "trustline", Results: results}, string(complete), false},
		{"slim, another chaincode's namespace", ChaincodeEvent{Payload: slim, Chaincode: "other", Results: results}, "no writes in namespace other", true},
		{"slim, no write set", ChaincodeEvent{Payload: slim, Chaincode: "trustline"}, "no read-write set", true},
		{"slim, a record not written", ChaincodeEvent{Payload: []byte(strings.Replace(string(slim), `"recshipments"`, `"recnone"`, 1)), Chaincode: "trustline", Results: results},
			`shipments 0 "recnone t1 0": not in the transaction's write set`, true},
		{"slim, no records", ChaincodeEvent{Payload: []byte(`{"function":"System:Ping","mspId":"M","txId":"t","timestamp":"","written":{}}`)},
			`{"function":"System:Ping","mspId":"M","txId":"t","timestamp":""}`, false},
		{"not JSON", ChaincodeEvent{Payload: []byte(`{`)}, "unexpected end of JSON input", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, ev, err := c.e.CompletePayload()
			if c.wantErr {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error %v, want one containing %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(p) != c.want {
				t.Errorf("payload\n%s\nwant\n%s", p, c.want)
			}
			if ev.Slim() || ev.TxID != func() string { var h ledger.Event; json.Unmarshal([]byte(c.want), &h); return h.TxID }() {
				t.Errorf("event %+v", ev)
			}
		})
	}
}

// TestUnknownFormStops follows a chain in which one valid transaction's
// event has a member this version does not know (a future form): the
// follower applies the blocks before it, then stops with an error naming
// the block and the transaction, instead of indexing it as a transaction
// that wrote nothing; resumed, it stops there again.
func TestUnknownFormStops(t *testing.T) {
	payloads := supplyPayloads(t, 200)
	const bad = 130 // block 7 (20 a block after block 0), transaction 10
	payloads[bad] = []byte(strings.Replace(string(payloads[bad]), `{"function":`, `{"refs":[["lot","x"]],"function":`, 1))
	c := chainOf(t, payloads, 20, func(int) bool { return false })
	x, err := index.Open("idx", &index.Options{FS: vfs.NewMem(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for range 2 {
		f := New(recordedSource{c}, x, &Options{StopAt: uint64(len(c.blocks)), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		err = f.Run(context.Background())
		var ue *UnknownFormError
		if !errors.As(err, &ue) || !errors.Is(err, ledger.ErrUnknownForm) || ue.Block != 7 || ue.Tx != 10 ||
			!strings.Contains(err.Error(), "block 7, transaction 10") || !strings.Contains(err.Error(), `"refs"`) {
			t.Fatalf("Run: %v, want an *UnknownFormError for block 7, transaction 10, member refs", err)
		}
		if cp := x.Checkpoint(); cp.NextBlock() != 7 || cp.Events != 120 {
			t.Fatalf("checkpoint: next block %d, %d events; want 7 and 120 (the blocks before it)", cp.NextBlock(), cp.Events)
		}
		if st := f.Status(); st.Skipped != 0 || !strings.Contains(st.LastError, "block 7") {
			t.Fatalf("status %+v", st)
		}
	}
}
