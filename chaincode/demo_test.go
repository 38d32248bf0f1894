package chaincode

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet"
)

var updateDemo = flag.Bool("update-demo", false, "rewrite node/index/testdata/demo.json from the demo story")

// demoFixture is the demo story's fixture for the node's tests: the
// chaincode events of its transactions, as the index package's fixtures
// hold them (indextest.Step: block, tx, event).
const demoFixture = "../node/index/testdata/demo.json"

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
	if *updateDemo {
		if err := os.WriteFile(demoFixture, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(filepath.FromSlash(demoFixture))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the demo story's events differ from %s: the chaincode or the story changed; go test ./chaincode -run TestDemoFixture -update-demo rewrites it", demoFixture)
	}
}
