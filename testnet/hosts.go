package testnet

import (
	"context"
	"errors"
	"fmt"

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
// network in cfg.Dir placed on it. It starts nothing: call Start, and Close
// in every case.
func NewHostLab(ctx context.Context, cfg Config, prefix string) (*HostLab, error) {
	lab, err := netns.New(ctx, prefix, len(Orgs))
	if err != nil {
		return nil, err
	}
	hosts, err := OnHosts(lab)
	if err == nil {
		cfg.Hosts, cfg.GethAddr = hosts, lab.BridgeIP()
		var n *Network
		if n, err = New(cfg); err == nil {
			return &HostLab{Network: n, Lab: lab}, nil
		}
	}
	return nil, errors.Join(err, lab.Close(context.WithoutCancel(ctx)))
}

// LabHost returns the namespace org runs in.
func (l *HostLab) LabHost(org string) *netns.Host {
	for i, o := range Orgs {
		if o == org {
			return l.Lab.Hosts[i]
		}
	}
	return nil
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
