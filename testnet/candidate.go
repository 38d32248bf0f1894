package testnet

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/orgca"
)

// An organisation of Candidates is not in the channel when the network
// starts: it makes its own identity (as `trustline org init` does), runs
// its own orderer, peer and chaincode server, and joins once the members
// voted it in (package consortium). These are its steps, for tests of
// membership by vote.

// candidateProcesses are the process names of the candidates.
func candidateProcesses() []string {
	var names []string
	for _, org := range Candidates {
		names = append(names, chaincodeName(org), peerName(org), ordererName(org))
	}
	return names
}

func checkCandidate(org string) error {
	if !slices.Contains(Candidates, org) {
		return fmt.Errorf("%q is not an organisation that joins later: choose one of %s", org, strings.Join(Candidates, ", "))
	}
	return nil
}

// InitCandidate makes org's identity (its organisation directory, with its
// card) unless it exists, and returns it.
func (n *Network) InitCandidate(org string) (*orgca.Org, error) {
	if err := checkCandidate(org); err != nil {
		return nil, err
	}
	dir := n.cryptoDir(org)
	if _, err := os.Stat(filepath.Join(dir, "card.json")); err == nil {
		return orgca.Open(dir)
	}
	return orgca.Init(dir, n.ports.orgSpec(org))
}

// OrgDir is org's organisation directory (its keys stay there).
func (n *Network) OrgDir(org string) string { return n.cryptoDir(org) }

// OrdererAdminAddress is the channel participation API of org's orderer.
func (n *Network) OrdererAdminAddress(org string) string {
	return n.ports.at(org, n.ports.OrdererAdmin(org))
}

// StartCandidate starts org's orderer, peer and chaincode server (none
// joined to any channel yet) and waits until they listen.
func (n *Network) StartCandidate(ctx context.Context, org string) error {
	if err := checkCandidate(org); err != nil {
		return err
	}
	label, pkg, err := n.ccaasPackage(org)
	if err != nil {
		return err
	}
	if err := writeFile(n.packageFile(org), pkg, 0o644); err != nil {
		return err
	}
	if err := n.update(func(s *state) { s.Packages[org] = packageID(label, pkg) }); err != nil {
		return err
	}
	specs := []procSpec{n.ordererSpec(org), n.peerSpec(org), n.chaincodeSpec(org)}
	for _, s := range specs {
		if err := n.startProc(s); err != nil {
			return err
		}
	}
	return withTimeout(ctx, 60*time.Second, func(ctx context.Context) error {
		for _, s := range specs {
			if err := n.waitListening(ctx, s.Name, net.JoinHostPort(s.Host.Addr, strconv.Itoa(s.Ports[0]))); err != nil {
				return err
			}
		}
		return nil
	})
}

// JoinCandidatePeer joins org's peer to the channel from the genesis block
// (the peer then pulls every block from the orderers), as org's admin on
// its own host.
func (n *Network) JoinCandidatePeer(ctx context.Context, org, genesis string) error {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		var out []byte
		out, err = n.runOn(n.ports.host(org), n.adminEnv(org), "peer", "channel", "join", "-b", genesis)
		if err == nil || strings.Contains(string(out), "already exists") {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return err
}

// ApproveChaincode installs org's chaincode package on its peer and
// approves, as org's admin, the definition committed on the channel as it
// stands (consortium.ApproveAsNewMember): after an upgrade, its version
// and sequence, not the first deployment's. It fails while org's peer has
// not yet caught up with the channel: ask again.
func (n *Network) ApproveChaincode(ctx context.Context, org string) error {
	o, err := orgca.Open(n.cryptoDir(org))
	if err != nil {
		return err
	}
	s, err := consortium.AdminSigner(o)
	if err != nil {
		return err
	}
	var roots [][]byte
	if b, err := os.ReadFile(o.TLSCAFile()); err == nil {
		roots = append(roots, b)
	}
	lc, err := consortium.DialLifecycle(o.Card().Peer.Address, roots, s)
	if err != nil {
		return err
	}
	defer lc.Close()
	pkg, err := os.ReadFile(n.packageFile(org))
	if err != nil {
		return err
	}
	return withTimeout(ctx, time.Minute, func(ctx context.Context) error {
		_, err := consortium.ApproveAsNewMember(ctx, lc, ChannelName, ChaincodeName, o.MSPID(), pkg)
		return err
	})
}
