package client

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// GatewayConn is a fabric-gateway connection opened by Dial, with the
// Config it was opened with. Close releases both the gateway and its gRPC
// connection.
type GatewayConn struct {
	*client.Gateway
	cfg  Config
	conn *grpc.ClientConn
}

// Dial opens a fabric-gateway connection to cfg's gateway as cfg's
// identity, for what a Client does not cover: a node's follower reading
// blocks, system chaincodes, raw transactions in tests. Every connection to
// a gateway, a Client's included, is made here, from a Config. opts are
// passed to fabric-gateway's Connect after the defaults (the timeouts of a
// Client: evaluate 10s, endorse 30s, submit 10s, commit status 1m). As with
// Connect, no network round trip is made: an unreachable gateway shows on
// the first call.
func Dial(ctx context.Context, cfg Config, opts ...client.ConnectOption) (*GatewayConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := cfg.complete()
	if err != nil {
		return nil, err
	}
	return dial(cfg, append([]client.ConnectOption{
		client.WithEvaluateTimeout(10 * time.Second),
		client.WithEndorseTimeout(30 * time.Second),
		client.WithSubmitTimeout(10 * time.Second),
		client.WithCommitStatusTimeout(time.Minute),
	}, opts...))
}

// Config is the configuration the connection was opened with, its channel
// and chaincode filled in.
func (g *GatewayConn) Config() Config { return g.cfg }

// Network is the Config's channel.
func (g *GatewayConn) Network() *client.Network { return g.GetNetwork(g.cfg.Channel) }

// Contract is the Config's chaincode on its channel.
func (g *GatewayConn) Contract() *client.Contract { return g.Network().GetContract(g.cfg.Chaincode) }

// Close closes the gateway and the gRPC connection.
func (g *GatewayConn) Close() error {
	return errors.Join(g.Gateway.Close(), g.conn.Close())
}

// complete validates c and fills in the default channel and chaincode.
func (c Config) complete() (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.Channel == "" {
		c.Channel = DefaultChannel
	}
	if c.Chaincode == "" {
		c.Chaincode = DefaultChaincode
	}
	return c, nil
}

// dial opens a gRPC connection to a complete cfg and a gateway over it.
func dial(cfg Config, opts []client.ConnectOption) (*GatewayConn, error) {
	creds, err := tlsCredentials(cfg)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(cfg.GatewayAddress, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, &UnavailableError{Address: cfg.GatewayAddress, Err: err}
	}
	gw, err := newGateway(cfg, conn, opts)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &GatewayConn{Gateway: gw, cfg: cfg, conn: conn}, nil
}

// newGateway connects a gateway as cfg's identity over conn.
func newGateway(cfg Config, conn grpc.ClientConnInterface, opts []client.ConnectOption) (*client.Gateway, error) {
	id, sign, err := loadIdentity(cfg)
	if err != nil {
		return nil, err
	}
	return client.Connect(id, append([]client.ConnectOption{
		client.WithSign(sign),
		client.WithHash(hash.SHA256),
		client.WithClientConnection(conn),
	}, opts...)...)
}

func tlsCredentials(cfg Config) (credentials.TransportCredentials, error) {
	caPEM, err := os.ReadFile(cfg.TLSCACert)
	if err != nil {
		return nil, fmt.Errorf("reading TLS CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no PEM certificate in %s", cfg.TLSCACert)
	}
	return credentials.NewClientTLSFromCert(pool, cfg.TLSServerName), nil
}

func loadIdentity(cfg Config) (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := os.ReadFile(cfg.CertPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading certificate: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing certificate %s: %w", cfg.CertPath, err)
	}
	id, err := identity.NewX509Identity(cfg.MSPID, cert)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(cfg.KeyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading private key: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, nil, fmt.Errorf("no PEM private key in %s", cfg.KeyPath)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing private key %s: %w", cfg.KeyPath, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, err
	}
	return id, sign, nil
}
