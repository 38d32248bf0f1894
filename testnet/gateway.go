package testnet

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/trustline/trustline/ledger"
)

// Profile is what a client of one organisation needs to reach the ledger:
// its peer's gateway, the TLS CA to trust, and an identity.
type Profile struct {
	Org            string `json:"org"`
	MSPID          string `json:"mspId"`
	GatewayAddress string `json:"gatewayAddress"`
	// TLSServerName is the name to check in the peer's TLS certificate.
	TLSServerName string `json:"tlsServerName"`
	TLSCACert     string `json:"tlsCaCert"`
	CertPath      string `json:"certPath"`
	KeyPath       string `json:"keyPath"`
	Channel       string `json:"channel"`
	Chaincode     string `json:"chaincode"`
	// EthereumRPC is the geth dev chain's endpoint, when it runs.
	EthereumRPC string `json:"ethereumRpc,omitempty"`
}

// Profile returns the client profile of org's ordinary user (or its admin).
func (n *Network) Profile(org string, admin bool) (Profile, error) {
	if MSPID(org) == "" {
		return Profile{}, fmt.Errorf("unknown organisation %q: choose one of %s", org, strings.Join(Orgs, ", "))
	}
	who := "user"
	if admin {
		who = "admin"
	}
	c := n.cryptoDir(org)
	p := Profile{
		Org:            org,
		MSPID:          MSPID(org),
		GatewayAddress: fmt.Sprintf("127.0.0.1:%d", n.ports.PeerListen(org)),
		TLSServerName:  "localhost",
		TLSCACert:      filepath.Join(c, "peer", "tls", "ca.crt"),
		CertPath:       filepath.Join(c, who, "msp", "signcerts", "cert.pem"),
		KeyPath:        filepath.Join(c, who, "msp", "keystore", "priv_sk"),
		Channel:        ChannelName,
		Chaincode:      ChaincodeName,
		EthereumRPC:    n.GethURL(),
	}
	if _, err := os.Stat(p.CertPath); err != nil {
		return Profile{}, fmt.Errorf("no identity for %s yet: run `trustline testnet up` first", org)
	}
	return p, nil
}

// Connection is an open gateway connection. Close releases both the gateway
// and its gRPC connection.
type Connection struct {
	*client.Gateway
	conn *grpc.ClientConn
}

// Close closes the gateway and the underlying gRPC connection.
func (c *Connection) Close() error {
	return errors.Join(c.Gateway.Close(), c.conn.Close())
}

// Connect opens a gateway connection with profile p. opts are passed on to
// client.Connect after the defaults (timeouts suited to a local network).
func Connect(p Profile, opts ...client.ConnectOption) (*Connection, error) {
	caPEM, err := os.ReadFile(p.TLSCACert)
	if err != nil {
		return nil, fmt.Errorf("reading TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", p.TLSCACert)
	}
	certPEM, err := os.ReadFile(p.CertPath)
	if err != nil {
		return nil, fmt.Errorf("reading certificate: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", p.CertPath, err)
	}
	id, err := identity.NewX509Identity(p.MSPID, cert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(p.KeyPath)
	if err != nil {
		return nil, fmt.Errorf("reading private key: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("no PEM key in %s", p.KeyPath)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", p.KeyPath, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(p.GatewayAddress, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, p.TLSServerName)))
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", p.GatewayAddress, err)
	}
	all := append([]client.ConnectOption{
		client.WithSign(sign),
		client.WithHash(hash.SHA256),
		client.WithClientConnection(conn),
		client.WithEvaluateTimeout(10 * time.Second),
		client.WithEndorseTimeout(30 * time.Second),
		client.WithSubmitTimeout(10 * time.Second),
		client.WithCommitStatusTimeout(1 * time.Minute),
	}, opts...)
	gw, err := client.Connect(id, all...)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Connection{Gateway: gw, conn: conn}, nil
}

// Connect opens a gateway connection as org's ordinary user.
func (n *Network) Connect(org string, opts ...client.ConnectOption) (*Connection, error) {
	p, err := n.Profile(org, false)
	if err != nil {
		return nil, err
	}
	return Connect(p, opts...)
}

// contract connects as org and returns the trustline chaincode; the caller
// closes the connection.
func (n *Network) contract(org string) (*Connection, *client.Contract, error) {
	conn, err := n.Connect(org)
	if err != nil {
		return nil, nil, err
	}
	return conn, conn.GetNetwork(ChannelName).GetContract(ChaincodeName), nil
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
