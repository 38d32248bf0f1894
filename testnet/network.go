package testnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DefaultBasePort is where the network's ports start when none is chosen.
const DefaultBasePort = 27000

// Config configures a network. The zero value of every field means its default.
type Config struct {
	// Dir is the state directory: crypto, channel artefacts, ledgers, logs,
	// pid files. Default: DefaultDir().
	Dir string
	// BasePort is the first of the network's ports on 127.0.0.1 (it uses
	// BasePort to BasePort+99). Default: DefaultBasePort, or the port the
	// network was created with when Dir already holds one.
	BasePort int
	// BinDir holds peer, orderer, osnadmin, configtxgen, geth and
	// trustline-chaincode. Default: FindBinDir().
	BinDir string
	// ChaincodeBin is the chaincode server executable. Default:
	// $TRUSTLINE_CHAINCODE_BIN, else BinDir/trustline-chaincode.
	ChaincodeBin string
	// Logf receives progress lines. Default: discard.
	Logf func(format string, args ...any)
	// NoGeth leaves out the Ethereum dev chain.
	NoGeth bool
}

// DefaultDir is the state directory used when Config.Dir is empty:
// $TRUSTLINE_TESTNET_DIR, else ~/.trustline/testnet.
func DefaultDir() string {
	if d := os.Getenv("TRUSTLINE_TESTNET_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".trustline-testnet"
	}
	return filepath.Join(home, ".trustline", "testnet")
}

// Network is a local consortium rooted in a state directory. Its methods are
// safe for concurrent use.
type Network struct {
	dir    string
	bin    string
	ccBin  string
	ports  ports
	logf   func(string, ...any)
	noGeth bool

	mu    sync.Mutex
	state state
}

// state is what the network remembers across runs, in <dir>/network.json.
type state struct {
	BasePort int               `json:"basePort"`
	NoGeth   bool              `json:"noGeth,omitempty"`
	Channel  bool              `json:"channelCreated,omitempty"`
	Joined   map[string]bool   `json:"peersJoined,omitempty"`
	Packages map[string]string `json:"chaincodePackageIds,omitempty"`
	Deployed bool              `json:"chaincodeCommitted,omitempty"`
	Inited   bool              `json:"chaincodeInitialised,omitempty"`
}

// New opens the network in cfg.Dir, creating the directory if needed. It
// starts nothing.
func New(cfg Config) (*Network, error) {
	dir := cfg.Dir
	if dir == "" {
		dir = DefaultDir()
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin := cfg.BinDir
	if bin == "" {
		if bin, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return nil, err
	}
	n := &Network{dir: dir, bin: bin, ccBin: cfg.ChaincodeBin, logf: cfg.Logf, noGeth: cfg.NoGeth}
	if n.ccBin == "" {
		n.ccBin = os.Getenv("TRUSTLINE_CHAINCODE_BIN")
	}
	if n.ccBin == "" {
		n.ccBin = filepath.Join(bin, "trustline-chaincode")
	}
	if n.logf == nil {
		n.logf = func(string, ...any) {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	if err := n.loadState(); err != nil {
		return nil, err
	}
	switch {
	case n.state.BasePort == 0 && cfg.BasePort == 0:
		n.state.BasePort = DefaultBasePort
	case n.state.BasePort == 0:
		n.state.BasePort = cfg.BasePort
	case cfg.BasePort != 0 && cfg.BasePort != n.state.BasePort:
		return nil, fmt.Errorf("the network in %s was created with base port %d, not %d: use that port, or `testnet down --purge` first", dir, n.state.BasePort, cfg.BasePort)
	}
	if n.state.BasePort < 1024 || n.state.BasePort > 65535-100 {
		return nil, fmt.Errorf("base port %d out of range: choose 1024 to 65435", n.state.BasePort)
	}
	n.ports = ports{base: n.state.BasePort}
	n.noGeth = n.noGeth || n.state.NoGeth
	n.state.NoGeth = n.noGeth
	return n, nil
}

// Dir returns the state directory.
func (n *Network) Dir() string { return n.dir }

// BasePort returns the first port of the network.
func (n *Network) BasePort() int { return n.ports.base }

func (n *Network) loadState() error {
	b, err := os.ReadFile(filepath.Join(n.dir, "network.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &n.state); err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(n.dir, "network.json"), err)
	}
	return nil
}

// update changes the remembered state and saves it atomically.
func (n *Network) update(f func(*state)) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	f(&n.state)
	b, err := json.MarshalIndent(n.state, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(n.dir, "network.json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(n.dir, "network.json"))
}

func (n *Network) snapshot() state {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.state
	return s
}

// ports lays out the network's ports: ten per organisation, then geth.
type ports struct{ base int }

func (p ports) org(org string) int {
	for i, o := range Orgs {
		if o == org {
			return p.base + 10*i
		}
	}
	panic("testnet: unknown organisation " + org)
}

func (p ports) PeerListen(org string) int      { return p.org(org) + 0 }
func (p ports) PeerChaincode(org string) int   { return p.org(org) + 1 }
func (p ports) PeerOps(org string) int         { return p.org(org) + 2 }
func (p ports) OrdererListen(org string) int   { return p.org(org) + 3 }
func (p ports) OrdererAdmin(org string) int    { return p.org(org) + 4 }
func (p ports) OrdererOps(org string) int      { return p.org(org) + 5 }
func (p ports) ChaincodeServer(org string) int { return p.org(org) + 6 }
func (p ports) GethHTTP() int                  { return p.base + 90 }
func (p ports) GethAuth() int                  { return p.base + 91 }
func (p ports) GethP2P() int                   { return p.base + 92 }

// Paths inside the state directory.
func (n *Network) cryptoDir(org string) string { return filepath.Join(n.dir, "crypto", org) }
func (n *Network) configDir() string           { return filepath.Join(n.dir, "config") }
func (n *Network) genesisBlock() string        { return filepath.Join(n.dir, "channel", "genesis.block") }
func (n *Network) dataDir(name string) string  { return filepath.Join(n.dir, "data", name) }

// Process names.
func peerName(org string) string      { return "peer." + org }
func ordererName(org string) string   { return "orderer." + org }
func chaincodeName(org string) string { return "chaincode." + org }

const gethName = "geth"

// processNames lists every process of the network in start order.
func (n *Network) processNames() []string {
	var names []string
	for _, org := range Orgs {
		names = append(names, ordererName(org))
	}
	for _, org := range Orgs {
		names = append(names, peerName(org))
	}
	for _, org := range Orgs {
		names = append(names, chaincodeName(org))
	}
	if !n.noGeth {
		names = append(names, gethName)
	}
	return names
}

func elapsed(start time.Time) string {
	return time.Since(start).Round(10 * time.Millisecond).String()
}

// withTimeout runs f with a context bounded by d.
func withTimeout(ctx context.Context, d time.Duration, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return f(ctx)
}
