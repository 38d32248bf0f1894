// Package apitest serves the real node API (package api) over an in-memory
// index of the index package's fixture (testdata/supply.json: apples L1
// and L2 made into juice J1, shipped, recalled), so that the API's clients
// (nodeclient, the CLI) are tested against what a node answers rather
// than hand-written JSON.
package apitest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/index/indextest"
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
func Index(t testing.TB) *index.Index { return indextest.Supply(t) }

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
