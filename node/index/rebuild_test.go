package index

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
)

// goldenDigests are the digests of the testdata sequences indexed by the
// apply of layout 6 before the rebuild was made fast (issue 18): a rebuilt
// index must hold exactly the same keys and values, whatever the apply does
// to get there faster. A change of layout changes them on purpose.
var goldenDigests = map[string]string{
	"demo.json":   "a9342d7ed8223c4072209ceef128b994fbb13d708b63392fc5f5c8c85e18ff95",
	"supply.json": "4d075157323b72f1c5992795f693a9d0006ec130f695c60cf7964357916aed4d",
}

// rawSeq is a testdata sequence with each payload's bytes, as a follower
// reads them off the ledger.
func rawSeq(t testing.TB, name string) (seq []tx, payloads [][]byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var raw []struct {
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		payloads = append(payloads, r.Event)
	}
	return loadSeq(t, name), payloads
}

// TestRebuildGolden applies each testdata sequence one transaction at a
// time (Apply, records from the Go values) and as a follower catching up
// does (ApplyBlocks over every block at once, payloads prepared from their
// bytes beforehand), and checks both against the golden digest.
func TestRebuildGolden(t *testing.T) {
	for name, want := range goldenDigests {
		t.Run(name, func(t *testing.T) {
			seq, payloads := rawSeq(t, name)
			x := openMem(t, vfs.NewMem())
			defer x.Close()
			applyAll(t, x, seq)
			one := digest(t, x)

			y := openMem(t, vfs.NewMem())
			defer y.Close()
			var bs []Block
			for i, s := range seq {
				var ev ledger.Event
				if err := json.Unmarshal(payloads[i], &ev); err != nil {
					t.Fatal(err)
				}
				if len(bs) == 0 || bs[len(bs)-1].Number != s.Block {
					bs = append(bs, Block{Number: s.Block})
				}
				b := &bs[len(bs)-1]
				b.Txs = append(b.Txs, Tx{Pos: s.pos(), Event: &ev, Prepared: PreparePayload(&ev, payloads[i])})
			}
			if _, err := y.ApplyBlocks(bs); err != nil {
				t.Fatal(err)
			}
			batched := digest(t, y)
			if one != batched {
				t.Errorf("Apply gives digest %s, ApplyBlocks of prepared payloads %s", one, batched)
			}
			if one != want {
				t.Errorf("digest %s, want the golden %s", one, want)
			}
		})
	}
}
