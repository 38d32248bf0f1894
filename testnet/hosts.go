package testnet

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/trustline/trustline/testnet/netns"
)

// HostsPrefix names the namespaces, links and bridge of `testnet up
// --hosts` (tlhosts-h1 … tlhosts-h4, tlhosts-br).
const HostsPrefix = "tlhosts"

// OnHosts places organisation i of Orgs on lab.Hosts[i]: its address on the
// lab's bridge, its namespace.
func OnHosts(lab *netns.Lab) (map[string]Host, error) {
	if len(lab.Hosts) < len(Orgs) {
		return nil, fmt.Errorf("the lab has %d hosts, the consortium %d organisations", len(lab.Hosts), len(Orgs))
	}
	hosts := map[string]Host{}
	for i, org := range Orgs {
		hosts[org] = Host{Addr: lab.Hosts[i].IP, Netns: lab.Hosts[i].Name}
	}
	return hosts, nil
}

// HostLab is a network whose organisations each run on a host of their own:
// a network namespace with its own address on one bridge, so members talk
// over real TCP between distinct addresses with TLS names that match them.
// Geth listens on the bridge's address, which every host reaches.
type HostLab struct {
	*Network
	Lab *netns.Lab
}

// NewHostLab makes a lab of one host per organisation, named with prefix
// (sweeping leftovers of an earlier run with that prefix), and opens the
// network in cfg.Dir placed on it. Each of the Candidates is placed on a
// host of its own that does not exist yet (AddCandidateHost makes it), the
// first after the founding members'. It starts nothing: call Start, and
// Close in every case.
func NewHostLab(ctx context.Context, cfg Config, prefix string) (*HostLab, error) {
	lab, err := netns.New(ctx, prefix, len(Orgs))
	if err != nil {
		return nil, err
	}
	hosts, err := OnHosts(lab)
	if err == nil {
		for i, org := range Candidates {
			h := lab.Planned(len(Orgs) + i)
			hosts[org] = Host{Addr: h.IP, Netns: h.Name}
		}
		cfg.Hosts, cfg.GethAddr = hosts, lab.BridgeIP()
		var n *Network
		if n, err = New(cfg); err == nil {
			return &HostLab{Network: n, Lab: lab}, nil
		}
	}
	return nil, errors.Join(err, lab.Close(context.WithoutCancel(ctx)))
}

// LabHost returns the namespace org runs in (nil for a candidate whose
// host is not made yet).
func (l *HostLab) LabHost(org string) *netns.Host {
	for i, o := range allOrgs() {
		if o == org && i < len(l.Lab.Hosts) {
			return l.Lab.Hosts[i]
		}
	}
	return nil
}

// AddCandidateHost makes the host a candidate organisation runs on (its
// own network namespace on the lab's bridge, with the address its
// certificates name), as a new member sets up its machine: the hosts of
// the candidates before it in Candidates are made first.
func (l *HostLab) AddCandidateHost(ctx context.Context, org string) (*netns.Host, error) {
	if err := checkCandidate(org); err != nil {
		return nil, err
	}
	i := len(Orgs) + slices.Index(Candidates, org)
	for len(l.Lab.Hosts) <= i {
		if _, err := l.Lab.AddHost(ctx); err != nil {
			return nil, err
		}
	}
	h := l.Lab.Hosts[i]
	if want := l.Host(org); h.IP != want.Addr || h.Name != want.Netns {
		return nil, fmt.Errorf("host of %s: made %s (%s), the network places it on %s (%s)", org, h.IP, h.Name, want.Addr, want.Netns)
	}
	return h, nil
}

// KillOrg sends SIGKILL to every process of org's host, as if the machine
// lost power. RestartOrg starts them again.
func (n *Network) KillOrg(org string) error {
	var errs []error
	for _, name := range []string{chaincodeName(org), peerName(org), ordererName(org)} {
		if _, ok := n.running(name); ok {
			errs = append(errs, n.Kill(name))
		}
	}
	return errors.Join(errs...)
}

// RestartOrg starts org's orderer, peer and chaincode server again and
// waits until they listen.
func (n *Network) RestartOrg(ctx context.Context, org string) error {
	for _, name := range []string{ordererName(org), peerName(org), chaincodeName(org)} {
		if err := n.Restart(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// Close stops every process and removes the lab's namespaces, links and
// bridge. The state directory stays.
func (l *HostLab) Close(ctx context.Context) error {
	return errors.Join(l.Stop(), l.Lab.Close(ctx))
}
