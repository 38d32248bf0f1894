package follower

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// goldenRebuildDigest is the digest of the index of the recorded chain of
// TestRebuildGolden, as the apply of layout 6 built it before the rebuild
// was made fast (issue 18): the fast path must write exactly the same keys
// and values.
const goldenRebuildDigest = "23c054e9eb110f252b51df7050d45378eda47a9ca81ebfb1042b3f226e039df6"

// TestRebuildGolden rebuilds a recorded chain (2,000 payloads, 20 a block)
// twice, by the follower catching up (parallel decoding, batched commits)
// and block by block on one goroutine as the follower once did, and checks
// both against the golden digest.
func TestRebuildGolden(t *testing.T) {
	c := recordChain(t, completeTxs(supplyPayloads(t, 2000)), 20)
	open := func() *index.Index {
		x, err := index.Open("idx", &index.Options{FS: vfs.NewMem(), NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		return x
	}
	fast := open()
	f := New(recordedSource{c}, fast, &Options{StopAt: uint64(len(c.blocks)), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := f.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	serial := open()
	for _, raw := range c.blocks {
		blk := new(common.Block)
		if err := proto.Unmarshal(raw, blk); err != nil {
			t.Fatal(err)
		}
		pb, err := ParseBlock(blk, "trustline")
		if err != nil {
			t.Fatal(err)
		}
		var txs []index.Tx
		for i, tx := range pb.Txs {
			if tx.Valid && tx.Event != nil && tx.Event.Name == ledger.EventName {
				ev := new(ledger.Event)
				if err := json.Unmarshal(tx.Event.Payload, ev); err != nil {
					t.Fatal(err)
				}
				txs = append(txs, index.Tx{Pos: index.Position{Block: pb.Number, Tx: i, TxID: tx.ID}, Event: ev})
			}
		}
		if _, err := serial.ApplyBlock(pb.Number, txs); err != nil {
			t.Fatal(err)
		}
	}
	df, err := fast.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := serial.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if df != ds {
		t.Errorf("the follower built digest %s, block by block %s", df, ds)
	}
	if df != goldenRebuildDigest {
		t.Errorf("digest %s, want the golden %s", df, goldenRebuildDigest)
	}
	if cp := fast.Checkpoint(); cp.Events != uint64(c.events) || cp.NextBlock() != uint64(len(c.blocks)) {
		t.Errorf("checkpoint %+v after %d events in %d blocks", cp, c.events, len(c.blocks))
	}
}
