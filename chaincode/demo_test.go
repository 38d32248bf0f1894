package chaincode

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet"
)

var updateDemo = flag.Bool("update-demo", false, "rewrite node/index/testdata/demo.json and node/follower/testdata/demo-txs.json from the demo story")

// demoFixture is the demo story's fixture for the node's tests: the
// chaincode events of its transactions, as the index package's fixtures
// hold them (indextest.Step: block, tx, event).
const demoFixture = "../node/index/testdata/demo.json"

// demoTxsFixture is the same story as the transactions' own output, what
// a block carries of each: the slim event the chaincode set and the writes
// in its namespace, in key order as Fabric's read-write set records them.
// The follower's rebuild benchmark makes its ledger of them.
const demoTxsFixture = "../node/follower/testdata/demo-txs.json"

type fixtureTx struct {
	Event  string         `json:"event"`
	Writes []fixtureWrite `json:"writes"`
}

// fixtureWrite holds its key and value as strings: both are the
// chaincode's text (composite keys, canonical JSON), which a reader of the
// fixture renames identifiers in.
type fixtureWrite struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type fixtureStep struct {
	Block uint64       `json:"block"`
	Tx    int          `json:"tx"`
	Event ledger.Event `json:"event"`
}

// TestDemoFixture plays the demo story (internal/demo, the milk → yogurt
// story `trustline demo` records) on the in-memory chaincode and checks
// that its events are the fixture the node's and reports' tests index
// (indextest.Demo), so that the fixture is what this chaincode records
// for that story. -update-demo rewrites it.
func TestDemoFixture(t *testing.T) {
	e := newEnv(t)
	e.now = demo.FixtureTime
	sc, err := demo.Fixture(demo.KeySigner{Key: e.labKey})
	if err != nil {
		t.Fatal(err)
	}
	steps := []fixtureStep{{Block: 1, Event: e.events[0]}} // Governance:Init
	for i, s := range sc.Steps {
		_, ev := e.ok(testnet.MSPID(s.Org), s.Fn, s.Args...)
		steps = append(steps, fixtureStep{Block: uint64(i + 2), Event: ev})
	}
	got, err := json.MarshalIndent(steps, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	var txs []fixtureTx
	for _, r := range e.results {
		ev, _ := r.Event()
		tx := fixtureTx{Event: string(ev.Payload)}
		for _, w := range r.Writes {
			if w.Delete || !utf8.Valid(w.Value) || !utf8.ValidString(w.Key) {
				t.Fatalf("%s: a write the fixture cannot hold as text: %q", r.TxID, w.Key)
			}
			tx.Writes = append(tx.Writes, fixtureWrite{Key: w.Key, Value: string(w.Value)})
		}
		slices.SortFunc(tx.Writes, func(a, b fixtureWrite) int { return strings.Compare(a.Key, b.Key) })
		txs = append(txs, tx)
	}
	gotTxs, err := json.MarshalIndent(txs, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	gotTxs = append(gotTxs, '\n')
	for _, f := range []struct {
		path string
		got  []byte
	}{{demoFixture, got}, {demoTxsFixture, gotTxs}} {
		if *updateDemo {
			if err := os.WriteFile(filepath.FromSlash(f.path), f.got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(filepath.FromSlash(f.path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.got, want) {
			t.Errorf("the demo story's transactions differ from %s: the chaincode or the story changed; go test ./chaincode -run TestDemoFixture -update-demo rewrites it", f.path)
		}
	}
}
