package testnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
	// BasePort is the first of the network's ports (it uses BasePort to
	// BasePort+99, each organisation on its own host's address). Default: DefaultBasePort, or the port the
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
	// Hosts places organisations' processes on hosts of their own (org
	// name to host); an organisation not named runs on LocalHost. The
	// placement is remembered with the network: its TLS certificates name
	// the addresses. Default: the network's own placement, else every
	// organisation on LocalHost.
	Hosts map[string]Host
	// GethAddr is the address geth's RPC listens on. Default: the
	// network's own, else 127.0.0.1.
	GethAddr string
}

// Host is where one organisation's peer, orderer and chaincode server run:
// the address they listen on and announce to the other members (their TLS
// certificates name it), and the network namespace they run in ("" for
// the caller's own). Netns models a separate machine (see package netns).
type Host struct {
	Addr  string `json:"addr"`
	Netns string `json:"netns,omitempty"`
}

// LocalHost runs an organisation's processes on loopback, in the caller's
// own network namespace: the single-host testnet.
var LocalHost = Host{Addr: "127.0.0.1"}

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
	Hosts    map[string]Host   `json:"hosts,omitempty"`
	GethAddr string            `json:"gethAddr,omitempty"`
	// ChaincodePorts is the port of an org's chaincode server after an
	// upgrade moved it to the spare one (see upgrade.go).
	ChaincodePorts map[string]int `json:"chaincodePorts,omitempty"`
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
	if err := n.place(cfg); err != nil {
		return nil, err
	}
	n.ports = ports{base: n.state.BasePort, hosts: n.state.Hosts}
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

// place settles where each organisation runs: cfg's placement for a new
// network, the remembered one for an existing network (whose certificates
// name those addresses). A namespace may change between runs: it exists
// only while the harness that made it runs.
func (n *Network) place(cfg Config) error {
	made := n.state.Joined != nil || n.state.Channel || n.state.Packages != nil
	if _, err := os.Stat(n.cryptoDir(Orgs[0])); err == nil {
		made = true
	}
	hosts := map[string]Host{}
	for _, org := range allOrgs() {
		h, ok := n.state.Hosts[org]
		if !ok {
			h = LocalHost
		}
		if c, ok := cfg.Hosts[org]; ok {
			// A founding member's certificates name its address once the
			// network was made; a candidate's once it made its identity.
			fixed := made
			if !slices.Contains(Orgs, org) {
				_, err := os.Stat(n.cryptoDir(org))
				fixed = err == nil
			}
			if fixed && c.Addr != h.Addr {
				return fmt.Errorf("the network in %s runs %s on %s, not %s: its certificates name that address; use it, or `testnet down --purge` first", n.dir, org, h.Addr, c.Addr)
			}
			if net.ParseIP(c.Addr) == nil {
				return fmt.Errorf("host of %s: %q is not an IP address", org, c.Addr)
			}
			h = c
		}
		hosts[org] = h
	}
	for org := range cfg.Hosts {
		if MSPID(org) == "" {
			return fmt.Errorf("hosts: unknown organisation %q: choose among %s", org, strings.Join(allOrgs(), ", "))
		}
	}
	n.state.Hosts = hosts
	if cfg.GethAddr != "" {
		n.state.GethAddr = cfg.GethAddr
	}
	if n.state.GethAddr == "" {
		n.state.GethAddr = LocalHost.Addr
	}
	return nil
}

// PeerAddress and OrdererAddress are the endpoints of org's peer and
// orderer that the other members dial (as its card names them).
func (n *Network) PeerAddress(org string) string { return n.ports.at(org, n.ports.PeerListen(org)) }
func (n *Network) OrdererAddress(org string) string {
	return n.ports.at(org, n.ports.OrdererListen(org))
}

// Host returns where org's processes run.
func (n *Network) Host(org string) Host { return n.ports.host(org) }

// ports lays out the network's ports: ten per organisation, then geth. Each
// organisation's ports are on its own host's address.
type ports struct {
	base  int
	hosts map[string]Host
}

func (p ports) host(org string) Host {
	if h, ok := p.hosts[org]; ok {
		return h
	}
	return LocalHost
}

// at is org's address with port.
func (p ports) at(org string, port int) string {
	return net.JoinHostPort(p.host(org).Addr, strconv.Itoa(port))
}

func (p ports) org(org string) int {
	for i, o := range append(Orgs[:len(Orgs):len(Orgs)], Candidates...) {
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
func (p ports) ChaincodeSpare(org string) int  { return p.org(org) + 7 }
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
