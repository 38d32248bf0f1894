package demo

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/testnet"
)

// Anchoring is where the demo's members anchor the ledger: the Anchor
// contract on the testnet's dev chain and one funded key per organisation.
type Anchoring struct {
	RPCURL      string            `json:"rpcURL"`
	Contract    string            `json:"contract"`
	DeployBlock uint64            `json:"deployBlock"`
	KeyFiles    map[string]string `json:"-"` // by organisation
}

// SetupAnchoring deploys the Anchor contract on n's dev chain the first
// time (remembering it in <dir>/demo/anchoring.json, and deploying again if
// the chain no longer has it) and gives each organisation a funded key in
// <dir>/demo/anchor-<org>.key.
func SetupAnchoring(ctx context.Context, n *testnet.Network) (*Anchoring, error) {
	url := n.GethURL()
	if url == "" {
		return nil, errors.New("the testnet runs no Ethereum dev chain")
	}
	dir := filepath.Join(n.Dir(), "demo")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	eth, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return nil, err
	}
	defer eth.Close()

	a := &Anchoring{RPCURL: url, KeyFiles: map[string]string{}}
	state := filepath.Join(dir, "anchoring.json")
	if b, err := os.ReadFile(state); err == nil && json.Unmarshal(b, a) == nil && common.IsHexAddress(a.Contract) {
		code, err := eth.CodeAt(ctx, common.HexToAddress(a.Contract), nil)
		if err != nil {
			return nil, err
		}
		if len(code) == 0 {
			a.Contract = "" // the chain was reset: deploy again
		}
	} else {
		a.Contract = ""
	}
	if a.Contract == "" {
		// Searches for anchors start at the block before the deployment.
		if a.DeployBlock, err = eth.BlockNumber(ctx); err != nil {
			return nil, err
		}
		deployer, err := fundedKey(ctx, n, eth, filepath.Join(dir, "deployer.key"))
		if err != nil {
			return nil, err
		}
		addr, err := ethanchor.Deploy(ctx, eth, deployer)
		if err != nil {
			return nil, fmt.Errorf("deploying the Anchor contract: %w", err)
		}
		a.Contract, a.RPCURL = addr.Hex(), url
		b, _ := json.MarshalIndent(a, "", "  ")
		if err := os.WriteFile(state, b, 0o600); err != nil {
			return nil, err
		}
	}
	for _, org := range testnet.Orgs {
		file := filepath.Join(dir, "anchor-"+org+".key")
		if _, err := fundedKey(ctx, n, eth, file); err != nil {
			return nil, err
		}
		a.KeyFiles[org] = file
	}
	return a, nil
}

// fundedKey loads the hex key in file, creating it if needed, and tops its
// account up to 1 ether when it holds less than 0.1.
func fundedKey(ctx context.Context, n *testnet.Network, eth *ethclient.Client, file string) (*ecdsa.PrivateKey, error) {
	var key *ecdsa.PrivateKey
	if b, err := os.ReadFile(file); err == nil {
		if key, err = ethanchor.ParseHexKey(strings.TrimSpace(string(b))); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		if key, err = crypto.GenerateKey(); err != nil {
			return nil, err
		}
		if err := os.WriteFile(file, []byte(hex.EncodeToString(crypto.FromECDSA(key))), 0o600); err != nil {
			return nil, err
		}
	} else {
		return nil, err
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	bal, err := eth.BalanceAt(ctx, addr, nil)
	if err != nil {
		return nil, err
	}
	if bal.Cmp(new(big.Int).Div(big.NewInt(params.Ether), big.NewInt(10))) < 0 {
		if err := n.Fund(ctx, addr.Hex(), big.NewInt(params.Ether)); err != nil {
			return nil, err
		}
	}
	return key, nil
}
