package testnet

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
)

// ClientConfig is the client configuration of org's ordinary user (or its
// admin): its own peer's gateway, the TLS CA to trust and the identity's
// files. client.Dial and client.Connect open connections with it.
func (n *Network) ClientConfig(org string, admin bool) (tlclient.Config, error) {
	if MSPID(org) == "" {
		return tlclient.Config{}, fmt.Errorf("unknown organisation %q: choose one of %s", org, strings.Join(Orgs, ", "))
	}
	who := "user"
	if admin {
		who = "admin"
	}
	c := n.cryptoDir(org)
	cfg := tlclient.Config{
		MSPID:          MSPID(org),
		GatewayAddress: n.ports.at(org, n.ports.PeerListen(org)),
		TLSServerName:  tlsName(n.ports.host(org).Addr),
		TLSCACert:      filepath.Join(c, "peer", "tls", "ca.crt"),
		CertPath:       filepath.Join(c, who, "msp", "signcerts", "cert.pem"),
		KeyPath:        filepath.Join(c, who, "msp", "keystore", "priv_sk"),
		Channel:        ChannelName,
		Chaincode:      ChaincodeName,
	}
	if _, err := os.Stat(cfg.CertPath); err != nil {
		return tlclient.Config{}, fmt.Errorf("no identity for %s yet: run `trustline testnet up` first", org)
	}
	return cfg, nil
}

// tlsName is the name a client checks in the TLS certificate of a process
// on addr: localhost on loopback (as before hosts existed), else addr.
func tlsName(addr string) string {
	if addr == LocalHost.Addr {
		return "localhost"
	}
	return addr
}

// Profile is what `trustline testnet env ORG` prints: the organisation's
// client configuration and the testnet's other endpoints.
type Profile struct {
	Org string `json:"org"`
	tlclient.Config
	// EthereumRPC is the geth dev chain's endpoint, when it runs.
	EthereumRPC string `json:"ethereumRpc,omitempty"`
}

// Profile returns the profile of org's ordinary user (or its admin).
func (n *Network) Profile(org string, admin bool) (Profile, error) {
	cfg, err := n.ClientConfig(org, admin)
	if err != nil {
		return Profile{}, err
	}
	return Profile{Org: org, Config: cfg, EthereumRPC: n.GethURL()}, nil
}

// dial opens a gateway connection as org's ordinary user.
func (n *Network) dial(org string, opts ...client.ConnectOption) (*tlclient.GatewayConn, error) {
	cfg, err := n.ClientConfig(org, false)
	if err != nil {
		return nil, err
	}
	return tlclient.Dial(context.Background(), cfg, opts...)
}

// contract connects as org and returns the trustline chaincode; the caller
// closes the connection.
func (n *Network) contract(org string) (*tlclient.GatewayConn, *client.Contract, error) {
	conn, err := n.dial(org)
	if err != nil {
		return nil, nil, err
	}
	return conn, conn.Contract(), nil
}

// waitReady submits System:Ping until one commits. Right after channel join
// the gateway may not yet see enough peers to satisfy the endorsement policy,
// until gossip has converged.
func (n *Network) waitReady(ctx context.Context) error {
	conn, contract, err := n.contract(Brand)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var last error
	for attempt := 1; ; attempt++ {
		nonce := fmt.Sprintf("ready-%d", time.Now().UnixNano())
		if _, last = contract.SubmitTransaction("System:Ping", nonce); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no gateway submit committed after %d attempts: %w", attempt, last)
		case <-time.After(time.Second):
		}
	}
}

// Roles is the role table the testnet gives the consortium at deploy time.
func Roles() ledger.RoleTable {
	return ledger.RoleTable{
		MSPID(Brand):     {ledger.RoleBrand},
		MSPID(Supplier):  {ledger.RoleSupplier},
		MSPID(Lab):       {ledger.RoleLab},
		MSPID(Logistics): {ledger.RoleLogistics},
	}
}

// initChaincode sets the consortium's role table (Governance:Init).
func (n *Network) initChaincode(ctx context.Context) error {
	conn, contract, err := n.contract(Brand)
	if err != nil {
		return err
	}
	defer conn.Close()
	roles, err := json.Marshal(Roles())
	if err != nil {
		return err
	}
	if _, err := contract.SubmitTransaction("Governance:Init", string(roles)); err != nil {
		if !strings.Contains(err.Error(), "already") {
			return fmt.Errorf("Governance:Init: %w", err)
		}
	}
	return n.update(func(s *state) { s.Inited = true })
}
