package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// A supplier's node follows the ledger: a product and a batch written
// through the gateway appear in its index and in its trace JSON.
func TestIntegrationNodeFollowsAndServes(t *testing.T) {
	n := testkit.Network(t)
	const gtin = "09506000134352"
	lot := fmt.Sprintf("N%d", time.Now().UnixNano()%1e9)
	now := time.Now().UTC()

	prod, _ := json.Marshal(ledger.ProductRequest{GTIN: gtin, Name: "Apples", Brand: "Acme", Category: "fruit", TempMinC: 0, TempMaxC: 8, ShelfLifeDays: 30})
	if _, err := testkit.Contract(t, testnet.Brand).SubmitTransaction("Product:RegisterProduct", string(prod)); err != nil &&
		!strings.Contains(err.Error(), "already") {
		t.Fatalf("RegisterProduct: %v", err)
	}
	batch, _ := json.Marshal(ledger.BatchRequest{
		GTIN: gtin, Lot: lot, Quantity: ledger.Quantity{Value: "100", UOM: "KGM"},
		Producer: "9506000134352",
		Place: ledger.Place{Geo: &ledger.Geo{Latitude: 52.1, Longitude: 4.3},
			Address: &ledger.Address{City: "Delft", Country: "NL"}},
		ProducedAt: now.Add(-time.Hour).Format(time.RFC3339), Expiry: now.Add(10 * 24 * time.Hour).Format(time.RFC3339),
		FarmingPractice: "organic",
	})
	if _, err := testkit.Contract(t, testnet.Supplier).SubmitTransaction("Batch:CreateBatch", string(batch)); err != nil {
		t.Fatalf("CreateBatch: %v", err)
	}

	p, err := n.ClientConfig(testnet.Supplier, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Peer: p}
	nd, err := node.Open(t.Context(), cfg, &node.Options{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Follower: &follower.Options{HeightInterval: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- nd.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	deadline := time.Now().Add(30 * time.Second)
	var l ledger.LotSummary
	for {
		if l, err = nd.Index().Lot(gtin, lot); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lot %s not indexed after 30s: %v (status %+v)", lot, err, nd.Status())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if l.CreatedBy != testnet.MSPID(testnet.Supplier) || l.Origin == nil || l.Origin.FarmingPractice != "organic" {
		t.Errorf("indexed lot = %+v", l)
	}

	base := "http://" + nd.Addr().String()
	req, _ := http.NewRequest("GET", base+"/01/"+gtin+"/10/"+lot, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr index.Trace
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != 200 {
		t.Fatalf("trace: %d %v", resp.StatusCode, err)
	}
	if tr.Lot.Lot != lot || len(tr.Events) != 1 || !strings.Contains(string(tr.Events[0]), `"commissioning"`) || tr.Product == nil {
		t.Errorf("trace = %+v", tr)
	}

	// Health: connected, caught up once the height poll sees the block.
	for {
		st := nd.Status()
		if st.Connected && st.Height > 0 && st.Lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("status never caught up: %+v", st)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp2, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if resp2.StatusCode != 200 || !strings.Contains(string(b), `"status":"ok"`) {
		t.Errorf("healthz: %d %s", resp2.StatusCode, b)
	}
}
