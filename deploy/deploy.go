// Package deploy describes one organisation's host (which of its processes
// run there, on which addresses, with which files) and renders the service
// definitions an operator installs: systemd units for the org's orderer,
// peer, chaincode server and trustline node.
//
// A host file names the organisation directory made by `trustline org
// init` (package orgca); addresses other members dial come from its card,
// so TLS names and endpoints agree. Listen addresses default to all
// interfaces on the card's ports.
package deploy

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/trustline/trustline/internal/jsonyaml"
	"github.com/trustline/trustline/orgca"
)

// ErrInvalid is wrapped by errors about a host file.
var ErrInvalid = errors.New("invalid host config")

// Host is one organisation's host: what host.yaml holds. Zero values mean
// defaults.
type Host struct {
	// OrgDir is the organisation directory (org init). Required.
	OrgDir string `json:"orgDir,omitempty"`
	// BinDir holds peer, orderer, trustline and trustline-chaincode.
	// Default: /usr/local/bin.
	BinDir string `json:"binDir,omitempty"`
	// ConfigDir holds Fabric's core.yaml and orderer.yaml (FABRIC_CFG_PATH)
	// and the node's config. Default: /etc/trustline.
	ConfigDir string `json:"configDir,omitempty"`
	// DataDir holds ledgers and the node's index. Default: /var/lib/trustline.
	DataDir string `json:"dataDir,omitempty"`
	// User runs the services. Default: trustline.
	User string `json:"user,omitempty"`
	// Orderer, Peer, Chaincode and Node are the processes on this host;
	// a nil one is not run here.
	Orderer   *Orderer   `json:"orderer,omitempty"`
	Peer      *Peer      `json:"peer,omitempty"`
	Chaincode *Chaincode `json:"chaincode,omitempty"`
	Node      *Node      `json:"node,omitempty"`
}

// Orderer is the org's orderer on this host.
type Orderer struct {
	Listen     string `json:"listen,omitempty"`     // default 0.0.0.0:<card's orderer port>
	Admin      string `json:"admin,omitempty"`      // channel participation API; default 0.0.0.0:<port+3>
	Operations string `json:"operations,omitempty"` // default 127.0.0.1:9444
}

// Peer is the org's peer on this host.
type Peer struct {
	Listen          string `json:"listen,omitempty"`          // default 0.0.0.0:<card's peer port>
	ChaincodeListen string `json:"chaincodeListen,omitempty"` // default 0.0.0.0:<port+1>
	Operations      string `json:"operations,omitempty"`      // default 127.0.0.1:9443
}

// Chaincode is the org's chaincode server (CCaaS).
type Chaincode struct {
	Listen    string `json:"listen,omitempty"`    // default 0.0.0.0:9999
	PackageID string `json:"packageId,omitempty"` // the installed package's id; required
}

// Node is the org's trustline node.
type Node struct {
	Config string `json:"config,omitempty"` // node config file; default <configDir>/node.yaml
}

// Load reads a host file (YAML or JSON, strictly: an unknown key is an
// error naming it), fills in defaults and validates it.
func Load(path string) (*Host, *orgca.Org, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var h Host
	if err := jsonyaml.Decode(b, &h); err != nil {
		return nil, nil, fmt.Errorf("%w %s: %v", ErrInvalid, path, err)
	}
	org, err := h.Resolve()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return &h, org, nil
}

// Resolve opens the organisation, fills in defaults and validates.
func (h *Host) Resolve() (*orgca.Org, error) {
	if h.OrgDir == "" {
		return nil, fmt.Errorf("%w: orgDir is required", ErrInvalid)
	}
	org, err := orgca.Open(h.OrgDir)
	if err != nil {
		return nil, err
	}
	h.OrgDir = org.Dir()
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&h.BinDir, "/usr/local/bin")
	def(&h.ConfigDir, "/etc/trustline")
	def(&h.DataDir, "/var/lib/trustline")
	def(&h.User, "trustline")
	if h.Orderer == nil && h.Peer == nil && h.Chaincode == nil && h.Node == nil {
		return nil, fmt.Errorf("%w: no process on this host: give orderer, peer, chaincode or node", ErrInvalid)
	}
	card := org.Card()
	port := func(addr string) int {
		_, p, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(p)
		return n
	}
	var addrs []*string
	if o := h.Orderer; o != nil {
		p := port(card.Orderer.Address)
		def(&o.Listen, fmt.Sprintf("0.0.0.0:%d", p))
		def(&o.Admin, fmt.Sprintf("0.0.0.0:%d", p+3))
		def(&o.Operations, "127.0.0.1:9444")
		addrs = append(addrs, &o.Listen, &o.Admin, &o.Operations)
	}
	if pe := h.Peer; pe != nil {
		p := port(card.Peer.Address)
		def(&pe.Listen, fmt.Sprintf("0.0.0.0:%d", p))
		def(&pe.ChaincodeListen, fmt.Sprintf("0.0.0.0:%d", p+1))
		def(&pe.Operations, "127.0.0.1:9443")
		addrs = append(addrs, &pe.Listen, &pe.ChaincodeListen, &pe.Operations)
	}
	if c := h.Chaincode; c != nil {
		def(&c.Listen, "0.0.0.0:9999")
		if c.PackageID == "" {
			return nil, fmt.Errorf("%w: chaincode.packageId is required (peer lifecycle chaincode calculatepackageid)", ErrInvalid)
		}
		addrs = append(addrs, &c.Listen)
	}
	if n := h.Node; n != nil {
		def(&n.Config, filepath.Join(h.ConfigDir, "node.yaml"))
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if err := orgca.CheckAddress(*a); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		_, p, _ := net.SplitHostPort(*a)
		if seen[p] {
			return nil, fmt.Errorf("%w: port %s used twice on this host", ErrInvalid, p)
		}
		seen[p] = true
	}
	return org, nil
}
