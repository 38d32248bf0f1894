package node

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"golang.org/x/sync/errgroup"

	"github.com/trustline/trustline/ethanchor"
	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/index"
)

// This file is the node's side of anchoring: the configuration section and
// the wiring (chain dial, key, store) that starts the anchoring loop of
// package node/anchoring, which sends and reads anchors through package
// ethanchor, the Anchor contract's client.

// AnchoringConfig is the anchoring section of a node's configuration:
//
//	anchoring:
//	  enabled: true
//	  rpcURL: http://127.0.0.1:8545     # an RPC endpoint of the anchoring chain
//	  contract: "0x…"                   # the Anchor contract
//	  deployBlock: 0                    # its deployment block: where anchor searches start
//	  keystore: …/key.json              # the member's key (geth keystore V3) …
//	  passwordFile: …/password
//	  keyFile: …/key.hex                # … or a hex key file (dev chains only)
//	  blocks: 10                        # N: Fabric blocks per window
//	  interval: 5m                      # T: longest wait of an event for its anchor
//	  confirmations: 0                  # chain blocks an anchor must be under
//	  firstBlock: 0                     # Fabric block the first window starts at
//
// A node without a key anchors nothing: its windows are those the other
// members anchored, adopted once its own index gives their roots
// (anchoring.Options.ReadOnly), with the members' anchors recorded; its
// interval is unused.
type AnchoringConfig struct {
	Enabled       bool   `json:"enabled"`
	RPCURL        string `json:"rpcURL"`
	Contract      string `json:"contract"`
	DeployBlock   uint64 `json:"deployBlock"`
	Keystore      string `json:"keystore,omitempty"`
	PasswordFile  string `json:"passwordFile,omitempty"`
	KeyFile       string `json:"keyFile,omitempty"`
	Blocks        uint64 `json:"blocks,omitempty"`
	Interval      string `json:"interval,omitempty"`
	Confirmations uint64 `json:"confirmations,omitempty"`
	FirstBlock    uint64 `json:"firstBlock,omitempty"`
	// BareLeavesBefore is anchoring.Options.BareLeavesBefore: the block
	// from which windows bind their leaves (receipt format 3); the same on
	// every member. Zero: from the start.
	BareLeavesBefore uint64 `json:"bareLeavesBefore,omitempty"`
	// StatelessBefore is anchoring.Options.StatelessBefore: the block from
	// which windows commit to every lot's latest record (receipt format
	// 4); the same on every member. Zero: from the start.
	StatelessBefore uint64 `json:"statelessBefore,omitempty"`
}

// validate checks the section when anchoring is enabled.
func (c *AnchoringConfig) validate() error {
	if c == nil || !c.Enabled {
		return nil
	}
	switch {
	case c.RPCURL == "":
		return &ConfigError{"anchoring.rpcURL", "required"}
	case !common.IsHexAddress(c.Contract):
		return &ConfigError{"anchoring.contract", "not an address"}
	case c.Keystore != "" && c.KeyFile != "":
		return &ConfigError{"anchoring.keyFile", "excludes anchoring.keystore"}
	case c.Keystore != "" && c.PasswordFile == "":
		return &ConfigError{"anchoring.passwordFile", "required with anchoring.keystore"}
	}
	if _, err := c.interval(); err != nil {
		return &ConfigError{"anchoring.interval", err.Error()}
	}
	return nil
}

func (c *AnchoringConfig) interval() (time.Duration, error) {
	if c.Interval == "" {
		return 0, nil
	}
	return time.ParseDuration(c.Interval)
}

// key loads the member's key; nil without one.
func (c *AnchoringConfig) key() (*ecdsa.PrivateKey, error) {
	switch {
	case c.Keystore != "":
		return ethanchor.LoadKeystore(c.Keystore, c.PasswordFile)
	case c.KeyFile != "":
		b, err := os.ReadFile(c.KeyFile)
		if err != nil {
			return nil, err
		}
		return ethanchor.ParseHexKey(string(b))
	}
	return nil, nil
}

// ScanInterval is how often a node records other members' anchors.
const ScanInterval = time.Minute

// anchorer is the running anchoring of a node.
type anchorer struct {
	eth   *ethclient.Client
	loop  *anchoring.Loop
	store *index.AnchorStore
	log   *slog.Logger
	scan  time.Duration
	// scanBlocks bounds each co-attestation scan to the windows ending in
	// the last scanBlocks Fabric blocks: members anchor within about T.
	scanBlocks uint64
}

// anchorDial is the anchoring chain connected and the contract found,
// before the loop is prepared over an index (open): connecting is the slow
// part (up to OpenTimeout), which a rolling rebuild does while the old
// index still serves.
type anchorDial struct {
	c   *AnchoringConfig
	eth *ethclient.Client
	a   anchoring.Anchorer
	// readOnly: no key, the members' anchors are watched.
	readOnly bool
}

// dialAnchoring connects to the chain; nil when anchoring is disabled.
func dialAnchoring(ctx context.Context, c *AnchoringConfig) (*anchorDial, error) {
	if c == nil || !c.Enabled {
		return nil, nil
	}
	key, err := c.key()
	if err != nil {
		return nil, fmt.Errorf("anchoring key: %w", err)
	}
	eth, err := ethclient.DialContext(ctx, c.RPCURL)
	if err != nil {
		return nil, fmt.Errorf("anchoring: dialing the chain: %w", err)
	}
	aopts := ethanchor.Options{Confirmations: c.Confirmations}
	contract := common.HexToAddress(c.Contract)
	var a anchoring.Anchorer
	if key != nil {
		if a, err = ethanchor.NewAnchorer(ctx, eth, contract, key, aopts); err != nil {
			eth.Close()
			return nil, err
		}
	} else {
		cl, err := ethanchor.NewClient(ctx, eth, contract, aopts)
		if err != nil {
			eth.Close()
			return nil, err
		}
		a = watcher{cl}
	}
	return &anchorDial{c: c, eth: eth, a: a, readOnly: key == nil}, nil
}

// open prepares the loop over idx; the anchorer owns the connection from
// then on. nil when anchoring is disabled.
func (d *anchorDial) open(channel string, idx *index.Index, store *index.AnchorStore, log *slog.Logger) *anchorer {
	if d == nil {
		return nil
	}
	c := d.c
	interval, _ := c.interval()
	blocks := c.Blocks
	if blocks == 0 {
		blocks = 10
	}
	l := anchoring.New(idx, store, d.a, anchoring.Options{
		Channel: channel, Blocks: blocks, Interval: interval, ChainStart: c.DeployBlock, FirstBlock: c.FirstBlock,
		BareLeavesBefore: c.BareLeavesBefore, StatelessBefore: c.StatelessBefore,
		ReadOnly: d.readOnly, Logger: log,
	})
	log.Info("anchoring", "contract", common.HexToAddress(c.Contract).Hex(), "submitter", d.a.Address().Hex(), "readOnly", d.readOnly, "blocks", blocks, "interval", interval)
	return &anchorer{eth: d.eth, loop: l, store: store, log: log, scan: ScanInterval, scanBlocks: 100 * blocks}
}

// close releases a connection that was not opened into an anchorer.
func (d *anchorDial) close() {
	if d != nil {
		d.eth.Close()
	}
}

// start runs the anchoring loop and the co-attestation scan in g until
// ctx ends; either ending stops the node.
func (a *anchorer) start(ctx context.Context, g *errgroup.Group, stop func(), idx *index.Index) {
	g.Go(func() error {
		defer stop()
		if err := a.loop.Run(ctx); !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		defer stop()
		a.scanLoop(ctx, idx)
		return nil
	})
}

// scanLoop records the other members' anchors every a.scan until ctx ends.
func (a *anchorer) scanLoop(ctx context.Context, idx *index.Index) {
	t := time.NewTicker(a.scan)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h, _ := idx.Height(ctx)
		from := uint64(0)
		if h > a.scanBlocks {
			from = h - a.scanBlocks
		}
		n, err := a.loop.ScanCoAttestations(ctx, from)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("scanning co-attestations failed; retrying", "in", a.scan, "err", err)
		} else if n > 0 {
			a.log.Info("co-attestations recorded", "new", n)
		}
	}
}

func (a *anchorer) close() {
	if a != nil {
		a.eth.Close()
	}
}

// errReadOnly: a node without a key sends no anchor.
var errReadOnly = errors.New("anchoring: this node has no key and sends no anchor")

// watcher is the Anchorer of a node without a key: it reads the other
// members' anchors (the loop runs read-only) and never sends one. Its
// address is the zero address, which submits nothing.
type watcher struct{ *ethanchor.Client }

func (watcher) Address() common.Address { return common.Address{} }

func (watcher) Anchor(context.Context, ethanchor.Window) (ethanchor.Receipt, error) {
	return ethanchor.Receipt{}, errReadOnly
}
