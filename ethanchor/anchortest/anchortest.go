// Package anchortest runs an in-process Ethereum chain for tests of
// anchoring: mainnet's fork rules, funded keys, blocks mined continuously as
// on a dev chain, optionally served over HTTP JSON-RPC.
//
// Import it from _test files only: it pulls in go-ethereum's simulated
// backend, a large dependency that production binaries must not carry. It
// does not import package ethanchor, so ethanchor's own tests can use it.
package anchortest

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
)

// Options configure a Chain. The zero value is one funded key, no HTTP.
type Options struct {
	// Keys is how many funded keys to make (1000 ether each); 0 means 1.
	Keys int
	// HTTPPort, when set, serves JSON-RPC (eth, net, web3) on
	// 127.0.0.1:HTTPPort, for code that dials a URL as it would geth's.
	HTTPPort int
}

// Chain is a simulated chain and its funded keys. It is closed when the
// test ends.
type Chain struct {
	Sim  *simulated.Backend
	Keys []*ecdsa.PrivateKey
}

// MainnetRules runs the chain on the forks live on mainnet (through Osaka).
// The simulated backend's default, every fork go-ethereum knows, includes
// Bogota, which reprices state access and is not on mainnet: gas figures
// measured under it would not be mainnet's.
func MainnetRules(_ *node.Config, eth *ethconfig.Config) {
	cfg := *params.AllDevChainProtocolChanges
	cfg.BogotaTime = nil
	eth.Genesis.Config = &cfg
}

// New starts a chain.
func New(t testing.TB, opts Options) *Chain {
	t.Helper()
	n := max(opts.Keys, 1)
	alloc := types.GenesisAlloc{}
	c := &Chain{}
	for range n {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		c.Keys = append(c.Keys, k)
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))}
	}
	c.Sim = simulated.NewBackend(alloc, func(nc *node.Config, eth *ethconfig.Config) {
		MainnetRules(nc, eth)
		if opts.HTTPPort != 0 {
			nc.HTTPHost, nc.HTTPPort, nc.HTTPModules = "127.0.0.1", opts.HTTPPort, []string{"eth", "net", "web3"}
		}
	})
	t.Cleanup(func() { c.Sim.Close() })
	return c
}

// Client is the chain's client; it satisfies ethanchor.Backend.
func (c *Chain) Client() simulated.Client { return c.Sim.Client() }

// AutoMine mines a block every few milliseconds, as a dev chain does, until
// stop is called or the test ends. (A pending-transaction count lags behind
// sends, so mining on demand cannot tell when a block is due.)
func (c *Chain) AutoMine(t testing.TB) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			c.Sim.Commit()
			time.Sleep(5 * time.Millisecond)
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	// Registered after New's Close, so it runs first: stop mining, then close.
	t.Cleanup(stop)
	return stop
}
