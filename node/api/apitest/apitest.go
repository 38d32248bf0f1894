// Package apitest serves the real node API (package api) over an in-memory
// index of the index package's fixture (testdata/supply.json: apples L1
// and L2 made into juice J1, shipped, recalled), so that the API's clients
// (nodeclient, the CLI) are tested against what a node answers rather
// than hand-written JSON.
package apitest

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/index"
)

// GTINs and lots of the fixture.
const (
	GTINApples = "09506000134352"
	GTINJuice  = "09506000134369"
	// LotJuice is recalled (through apples L1) and shipped.
	LotJuice = "https://id.gs1.org/01/" + GTINJuice + "/10/J1"
	// LotApples is the recalled apples lot juice J1 was made from.
	LotApples = "https://id.gs1.org/01/" + GTINApples + "/10/L1"
)

// Index returns an in-memory index with the fixture applied.
func Index(t testing.TB) *index.Index {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "index", "testdata", "supply.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seq []struct {
		Block uint64
		Tx    int
		Event ledger.Event
	}
	if err := json.Unmarshal(b, &seq); err != nil {
		t.Fatal(err)
	}
	idx, err := index.Open("idx", &index.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	for _, s := range seq {
		if _, err := idx.Apply(index.Position{Block: s.Block, Tx: s.Tx, TxID: s.Event.TxID}, &s.Event); err != nil {
			t.Fatal(err)
		}
	}
	return idx
}

// Server starts the node API over Index; it is closed when the test ends.
func Server(t testing.TB) *httptest.Server {
	t.Helper()
	h := api.New(Index(t), &api.Options{BaseURL: "https://node.example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.CloseStreams()
		srv.Close()
	})
	return srv
}
