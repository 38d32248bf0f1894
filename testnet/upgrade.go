package testnet

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// A chaincode upgrade switches each organisation's chaincode server
// without a gap: the new version's server starts on the org's spare port
// before the new definition is committed (its package's connection.json
// names that port), so that both versions serve during the switch — a
// peer dials the new one for transactions it endorses under the new
// definition, the old one until it has committed it. Once every peer
// has the new definition, the old server is stopped and the new one
// takes its place in the network's process table.

// ChaincodeAddress is where org's current chaincode server listens.
func (n *Network) ChaincodeAddress(org string) string {
	return n.ports.at(org, n.chaincodePort(org))
}

func (n *Network) chaincodePort(org string) int {
	if p, ok := n.snapshot().ChaincodePorts[org]; ok {
		return p
	}
	return n.ports.ChaincodeServer(org)
}

// spareChaincodePort is the port the next version's server takes: the one
// of the org's two chaincode ports that the current server does not use.
func (n *Network) spareChaincodePort(org string) int {
	if n.chaincodePort(org) == n.ports.ChaincodeServer(org) {
		return n.ports.ChaincodeSpare(org)
	}
	return n.ports.ChaincodeServer(org)
}

// NextChaincodeAddress is where org's server of the next chaincode
// version listens: what its package's connection.json names.
func (n *Network) NextChaincodeAddress(org string) string {
	return n.ports.at(org, n.spareChaincodePort(org))
}

func nextChaincodeName(org string) string { return chaincodeName(org) + ".next" }

// nextChaincodeProcesses are the process names of next-version servers.
func nextChaincodeProcesses() []string {
	var names []string
	for _, org := range append(Orgs[:len(Orgs):len(Orgs)], Candidates...) {
		names = append(names, nextChaincodeName(org))
	}
	return names
}

// StartNextChaincode starts org's chaincode server for the package
// packageID on NextChaincodeAddress, next to the current one, and waits
// until it listens.
func (n *Network) StartNextChaincode(ctx context.Context, org, packageID string) error {
	port := n.spareChaincodePort(org)
	s := procSpec{
		Name: nextChaincodeName(org),
		Bin:  n.ccBin,
		Dir:  n.dir,
		Env: []string{
			"CHAINCODE_ID=" + packageID,
			"CHAINCODE_SERVER_ADDRESS=" + n.ports.at(org, port),
		},
		Host:  n.ports.host(org),
		Ports: []int{port},
	}
	if err := n.startProc(s); err != nil {
		return err
	}
	return withTimeout(ctx, 30*time.Second, func(ctx context.Context) error {
		return n.waitListening(ctx, s.Name, net.JoinHostPort(s.Host.Addr, strconv.Itoa(port)))
	})
}

// RetireChaincode ends an upgrade for org, once every peer has committed
// the new definition: it stops the old version's server and makes the
// next one org's chaincode server (packageID, on the spare port).
func (n *Network) RetireChaincode(org, packageID string) error {
	next := nextChaincodeName(org)
	if _, ok := n.running(next); !ok {
		return fmt.Errorf("no next chaincode server of %s runs: StartNextChaincode first", org)
	}
	if err := n.stopProc(chaincodeName(org), 10*time.Second); err != nil {
		return err
	}
	port := n.spareChaincodePort(org)
	if err := os.Rename(n.pidFile(next), n.pidFile(chaincodeName(org))); err != nil {
		return err
	}
	return n.update(func(s *state) {
		if s.ChaincodePorts == nil {
			s.ChaincodePorts = map[string]int{}
		}
		s.ChaincodePorts[org] = port
		s.Packages[org] = packageID
	})
}

// Reload stops the named process gracefully (SIGTERM, SIGKILL after 10 s)
// and starts it again, waiting until it listens: how a peer or orderer
// takes up renewed certificates, which Fabric reads only at start.
func (n *Network) Reload(ctx context.Context, name string) error {
	if err := n.stopProc(name, 10*time.Second); err != nil {
		return err
	}
	// The process may still hold its ports for a moment after it is gone
	// from /proc's view (a Go process's main thread can be a zombie while
	// its other threads close the sockets).
	spec := n.spec(name)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var busy error
		for _, p := range spec.Ports {
			if err := portFree(spec.Host, p); err != nil {
				busy = err
			}
		}
		if busy == nil {
			break
		}
		if time.Now().After(deadline) {
			return busy
		}
	}
	return n.Restart(ctx, name)
}
