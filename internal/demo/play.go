package demo

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/testnet"
)

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Signer signs inspection reports for a lab.
type Signer interface {
	Address() string
	Sign(inspection.Report) ([]byte, error)
}

// KeySigner signs with an in-memory secp256k1 key.
type KeySigner struct{ Key *ecdsa.PrivateKey }

// Address is the signer's Ethereum address.
func (s KeySigner) Address() string { return crypto.PubkeyToAddress(s.Key.PublicKey).Hex() }

// Sign signs r as EIP-712 typed data.
func (s KeySigner) Sign(r inspection.Report) ([]byte, error) { return inspection.Sign(r, s.Key) }

// Ledger is what the scenario needs of the consortium's ledger.
type Ledger interface {
	// Submit records a transaction as org and returns once every member's
	// peer has committed it, so the next step may be endorsed anywhere.
	Submit(ctx context.Context, org, fn string, args ...string) (txID string, err error)
	// Evaluate queries as org.
	Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error)
}

// Progress is told about each step once it is submitted (txID, or err) or
// skipped as done by an earlier run.
type Progress func(i, n int, s Step, skipped bool, txID string, err error)

// Play submits the scenario's steps in order, skipping those whose
// IfMissing query shows they were done by an earlier run.
func Play(ctx context.Context, sc *Scenario, l Ledger, progress Progress) error {
	if progress == nil {
		progress = func(int, int, Step, bool, string, error) {}
	}
	for i, s := range sc.Steps {
		if len(s.IfMissing) > 0 {
			res, err := l.Evaluate(ctx, s.Org, s.IfMissing[0], s.IfMissing[1:]...)
			if err == nil && (s.DoneWhen == "" || bytes.Contains(res, []byte(s.DoneWhen))) {
				progress(i, len(sc.Steps), s, true, "", nil)
				continue
			}
		}
		txID, err := l.Submit(ctx, s.Org, s.Fn, s.Args...)
		progress(i, len(sc.Steps), s, false, txID, err)
		if err != nil {
			return fmt.Errorf("step %d (%s as %s): %w", i+1, s.Fn, s.Org, err)
		}
	}
	return nil
}

// NetworkLedger is a Ledger on a local testnet, with one gateway connection
// per organisation.
type NetworkLedger struct {
	conns map[string]*tlclient.GatewayConn
}

// NewNetworkLedger connects to every organisation's peer of n.
func NewNetworkLedger(n *testnet.Network) (*NetworkLedger, error) {
	l := &NetworkLedger{conns: map[string]*tlclient.GatewayConn{}}
	for _, org := range testnet.Orgs {
		cfg, err := n.ClientConfig(org, false)
		if err != nil {
			l.Close()
			return nil, err
		}
		c, err := tlclient.Dial(context.Background(), cfg)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.conns[org] = c
	}
	return l, nil
}

// Close closes the connections.
func (l *NetworkLedger) Close() {
	for _, c := range l.conns {
		c.Close()
	}
}

func (l *NetworkLedger) contract(org, name string) (*client.Contract, error) {
	c, ok := l.conns[org]
	if !ok {
		return nil, fmt.Errorf("unknown organisation %q", org)
	}
	return c.GetNetwork(testnet.ChannelName).GetContract(name), nil
}

// Evaluate queries the trustline chaincode as org, on org's own peer.
func (l *NetworkLedger) Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error) {
	c, err := l.contract(org, testnet.ChaincodeName)
	if err != nil {
		return nil, err
	}
	return c.EvaluateWithContext(ctx, fn, client.WithArguments(args...), client.WithEndorsingOrganizations(testnet.MSPID(org)))
}

// Submit records a transaction as org and waits until every peer has
// committed it.
func (l *NetworkLedger) Submit(ctx context.Context, org, fn string, args ...string) (string, error) {
	c, err := l.contract(org, testnet.ChaincodeName)
	if err != nil {
		return "", err
	}
	_, commit, err := c.SubmitAsync(fn, client.WithArguments(args...))
	if err != nil {
		return "", err
	}
	status, err := commit.StatusWithContext(ctx)
	if err != nil {
		return commit.TransactionID(), err
	}
	if !status.Successful {
		return status.TransactionID, fmt.Errorf("transaction %s was invalidated: %s", status.TransactionID, status.Code)
	}
	return status.TransactionID, l.waitForBlock(ctx, status.BlockNumber)
}

func (l *NetworkLedger) waitForBlock(ctx context.Context, block uint64) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, org := range testnet.Orgs {
		qscc, _ := l.contract(org, "qscc")
		for {
			res, err := qscc.EvaluateWithContext(ctx, "GetChainInfo", client.WithArguments(testnet.ChannelName),
				client.WithEndorsingOrganizations(testnet.MSPID(org)))
			if err == nil {
				info := &common.BlockchainInfo{}
				if proto.Unmarshal(res, info) == nil && info.GetHeight() > block {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("peer of %s has not committed block %d: %w", org, block, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}
