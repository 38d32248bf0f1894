package cmdutil

import (
	"context"
	"fmt"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/node/follower"
)

// Factory is what commands get from outside (the gh CLI's pattern): their
// streams and the functions that open their ledger and node clients. The
// real one (NewFactory) connects to a gateway and a node; a test's fills in
// fakes, so that every command's output and errors are unit-tested without
// a network.
type Factory struct {
	IOStreams *iostreams.IO
	// Ledger opens a ledger client as the identity o chooses; the real one
	// returns a *client.Client. Each command asserts it to the small
	// interface of what it calls (see Ledger and RunLedger).
	Ledger func(ctx context.Context, o LedgerOptions) (LedgerClient, error)
	// Node returns a client of the node o names.
	Node func(o LedgerOptions) (*nodeclient.Client, error)
	// Blocks opens the channel's blocks at the peer that peer names, for
	// rebuilding a node's index; the real one dials its gateway.
	Blocks func(ctx context.Context, peer client.Config) (BlockSource, error)
	// Orderer connects to an orderer of the channel for membership
	// changes (package consortium); the real one dials it.
	Orderer consortium.Dialer
	// Lifecycle connects to a peer's chaincode lifecycle as an
	// organisation's admin (chaincode upgrades); the real one dials it.
	Lifecycle consortium.LifecycleDialer
	// ServedCertificate reads the TLS certificate a peer or orderer
	// presents (certificate renewal); the real one dials it.
	ServedCertificate func(ctx context.Context, addr string, tlsRoots [][]byte) (consortium.CertExpiry, error)
}

// BlockSource is a stream of a channel's blocks and its height, to close
// when done.
type BlockSource interface {
	follower.Source
	Close() error
}

// gatewayBlocks is the blocks of a gateway connection.
type gatewayBlocks struct {
	follower.Gateway
	conn *client.GatewayConn
}

func (g gatewayBlocks) Close() error { return g.conn.Close() }

// LedgerClient is what every ledger client does; commands ask for more
// with an interface of their own.
type LedgerClient interface{ Close() error }

// NewFactory returns the factory of the real CLI, writing to ios.
func NewFactory(ios *iostreams.IO) *Factory {
	return &Factory{
		IOStreams: ios,
		Ledger: func(ctx context.Context, o LedgerOptions) (LedgerClient, error) {
			c, err := o.connect(ctx)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		Node:              func(o LedgerOptions) (*nodeclient.Client, error) { return o.nodeClient() },
		Orderer:           consortium.Dial,
		Lifecycle:         consortium.DialLifecycle,
		ServedCertificate: consortium.ServedCertificate,
		Blocks: func(ctx context.Context, peer client.Config) (BlockSource, error) {
			conn, err := client.Dial(ctx, peer)
			if err != nil {
				return nil, err
			}
			return gatewayBlocks{follower.Gateway{Network: conn.Network(), Chaincode: conn.Config().Chaincode}, conn}, nil
		},
	}
}

// LedgerOptions returns new ledger options whose clients come from f.
func (f *Factory) LedgerOptions() *LedgerOptions { return &LedgerOptions{factory: f} }

// Ledger opens the ledger client o's factory gives, as C: the interface of
// what the calling command needs.
func Ledger[C LedgerClient](ctx context.Context, o *LedgerOptions) (C, error) {
	var zero C
	f := o.factory
	if f == nil {
		f = NewFactory(nil)
	}
	lc, err := f.Ledger(ctx, *o)
	if err != nil {
		return zero, LedgerError(err)
	}
	c, ok := lc.(C)
	if !ok {
		lc.Close()
		// A programming error (a fake that lacks a method), not the user's.
		return zero, &ExitError{Code: ExitFailure, Err: fmt.Errorf("ledger client %T does not implement %T", lc, zero)}
	}
	return c, nil
}
