package ethanchor

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/trustline/trustline/testnet/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// TestIntegrationGethDev deploys, anchors and verifies against the testnet's
// real geth --dev, with fresh keys funded by its unlocked developer account.
func TestIntegrationGethDev(t *testing.T) {
	url := testkit.Network(t).GethURL()
	if url == "" {
		t.Fatal("the testnet runs no geth")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b := ethclient.NewClient(rc)

	var keys []*ecdsa.PrivateKey
	for range 2 {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if err := testkit.Network(t).Fund(ctx, crypto.PubkeyToAddress(k.PublicKey).Hex(), big.NewInt(params.Ether)); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	contract, err := Deploy(ctx, b, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{PollInterval: 200 * time.Millisecond}
	w := testWindow("it", 1, 42)
	var receipts []Receipt
	for _, k := range keys {
		a, err := NewAnchorer(ctx, b, contract, k, opts)
		if err != nil {
			t.Fatal(err)
		}
		r, err := a.Anchor(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("anchor by %s: tx %s block %d, %d gas", r.Submitter, r.TxHash, r.BlockNumber, r.GasUsed)
		receipts = append(receipts, r)
	}
	c, err := NewClient(ctx, b, contract, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range receipts {
		if err := c.VerifyAnchor(ctx, r, w.Root); err != nil {
			t.Errorf("VerifyAnchor: %v", err)
		}
	}
	got, err := c.Anchors(ctx, Filter{Root: &w.Root})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Submitter == got[1].Submitter {
		t.Errorf("co-attestations %+v, want one from each key", got)
	}
}
