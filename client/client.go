package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"google.golang.org/grpc"
)

// Defaults of a Config's channel and chaincode.
const (
	DefaultChannel   = "trustline"
	DefaultChaincode = "trustline"
)

// Config is what a member's client needs to reach the ledger: its peer's
// gateway, the TLS CA to trust, and an X.509 identity. The fields mirror
// the profile `trustline testnet env ORG` prints.
type Config struct {
	// GatewayAddress is the peer's gateway, host:port.
	GatewayAddress string `json:"gatewayAddress"`
	// TLSServerName is the name to check in the peer's TLS certificate;
	// empty means the host of GatewayAddress.
	TLSServerName string `json:"tlsServerName,omitempty"`
	// TLSCACert is the PEM file of the CA that issued the peer's TLS certificate.
	TLSCACert string `json:"tlsCaCert"`
	// CertPath and KeyPath are PEM files of the identity's certificate and
	// PKCS #8 private key.
	CertPath string `json:"certPath"`
	KeyPath  string `json:"keyPath"`
	MSPID    string `json:"mspId"`
	// Channel and Chaincode default to "trustline".
	Channel   string `json:"channel,omitempty"`
	Chaincode string `json:"chaincode,omitempty"`
}

// Environment variables ConfigFromEnv reads, as `trustline testnet env ORG`
// prints them.
const (
	EnvGateway       = "TRUSTLINE_GATEWAY"
	EnvTLSCA         = "TRUSTLINE_TLS_CA"
	EnvTLSServerName = "TRUSTLINE_TLS_SERVER_NAME"
	EnvMSPID         = "TRUSTLINE_MSP_ID"
	EnvCert          = "TRUSTLINE_CERT"
	EnvKey           = "TRUSTLINE_KEY"
	EnvChannel       = "TRUSTLINE_CHANNEL"
	EnvChaincode     = "TRUSTLINE_CHAINCODE"
)

// ErrNoEnv is returned by ConfigFromEnv when TRUSTLINE_GATEWAY is not set.
var ErrNoEnv = errors.New(EnvGateway + " is not set")

// ConfigFromEnv reads a Config from the TRUSTLINE_* environment variables.
// It fails with ErrNoEnv when none is set and names the missing ones when
// only some are.
func ConfigFromEnv() (Config, error) {
	return configFromLookup(os.LookupEnv)
}

func configFromLookup(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string { v, _ := lookup(k); return v }
	c := Config{
		GatewayAddress: get(EnvGateway), TLSServerName: get(EnvTLSServerName), TLSCACert: get(EnvTLSCA),
		CertPath: get(EnvCert), KeyPath: get(EnvKey), MSPID: get(EnvMSPID),
		Channel: get(EnvChannel), Chaincode: get(EnvChaincode),
	}
	if c.GatewayAddress == "" {
		return c, ErrNoEnv
	}
	return c, c.Validate()
}

// Validate reports the required fields that are empty.
func (c Config) Validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"gateway address (" + EnvGateway + ")", c.GatewayAddress},
		{"TLS CA certificate (" + EnvTLSCA + ")", c.TLSCACert},
		{"certificate (" + EnvCert + ")", c.CertPath},
		{"private key (" + EnvKey + ")", c.KeyPath},
		{"MSP id (" + EnvMSPID + ")", c.MSPID},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("incomplete client configuration: no %s", strings.Join(missing, ", "))
	}
	return nil
}

// Option configures a Client.
type Option func(*options)

type options struct {
	evaluateTimeout, endorseTimeout, submitTimeout, commitTimeout time.Duration
	attempts                                                      int
	backoff                                                       time.Duration
	conn                                                          grpc.ClientConnInterface
	syncOrgs                                                      []string
	syncTimeout                                                   time.Duration
	onSync                                                        func(*SyncError)
}

// WithTimeouts sets the per-call timeouts of evaluating, endorsing,
// submitting and awaiting the commit status (defaults 10s, 30s, 10s, 1m).
// A zero value keeps the default.
func WithTimeouts(evaluate, endorse, submit, commitStatus time.Duration) Option {
	return func(o *options) {
		for _, p := range []struct {
			dst *time.Duration
			v   time.Duration
		}{{&o.evaluateTimeout, evaluate}, {&o.endorseTimeout, endorse}, {&o.submitTimeout, submit}, {&o.commitTimeout, commitStatus}} {
			if p.v > 0 {
				*p.dst = p.v
			}
		}
	}
}

// WithRetry sets how many times a call is attempted in all when it fails
// transiently (default 3; 1 disables retries) and the delay before the
// first retry, doubled for each further one (default 500ms).
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(o *options) {
		if attempts >= 1 {
			o.attempts = attempts
		}
		if backoff > 0 {
			o.backoff = backoff
		}
	}
}

// WithClientConnection uses conn to reach the gateway instead of dialling
// Config.GatewayAddress; the caller closes it after the Client.
func WithClientConnection(conn grpc.ClientConnInterface) Option {
	return func(o *options) { o.conn = conn }
}

// Client is a connection to the ledger as one member identity. It is safe
// for concurrent use.
type Client struct {
	cfg      Config
	opts     options
	gw       *client.Gateway
	conn     *grpc.ClientConn // nil when the caller owns the connection
	network  *client.Network
	contract *client.Contract
	qscc     *client.Contract

	heights heights // for waits for other organisations' peers

	members struct { // for AllMembers
		mu  sync.Mutex
		ids []string
		at  time.Time
	}
}

// Connect opens a connection to cfg's gateway. No network round trip is
// made: an unreachable gateway shows as an *UnavailableError on the first
// call. ctx bounds nothing after Connect returns.
func Connect(ctx context.Context, cfg Config, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := cfg.complete()
	if err != nil {
		return nil, err
	}
	o := options{
		evaluateTimeout: 10 * time.Second, endorseTimeout: 30 * time.Second,
		submitTimeout: 10 * time.Second, commitTimeout: time.Minute,
		attempts: 3, backoff: 500 * time.Millisecond,
		syncTimeout: DefaultPeerSyncTimeout,
	}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{cfg: cfg, opts: o}
	gwOpts := []client.ConnectOption{
		client.WithEvaluateTimeout(o.evaluateTimeout),
		client.WithEndorseTimeout(o.endorseTimeout),
		client.WithSubmitTimeout(o.submitTimeout),
		client.WithCommitStatusTimeout(o.commitTimeout),
	}
	if o.conn != nil {
		c.gw, err = newGateway(cfg, o.conn, gwOpts)
	} else {
		var g *GatewayConn
		if g, err = dial(cfg, gwOpts); err == nil {
			c.gw, c.conn = g.Gateway, g.conn
		}
	}
	if err != nil {
		return nil, err
	}
	c.network = c.gw.GetNetwork(cfg.Channel)
	c.contract = c.network.GetContract(cfg.Chaincode)
	c.qscc = c.network.GetContract("qscc")
	return c, nil
}

// Close closes the gateway and the connection Connect dialled.
func (c *Client) Close() error {
	err := c.gw.Close()
	if c.conn != nil {
		err = errors.Join(err, c.conn.Close())
	}
	return err
}

// MSPID is the MSP id of the client's identity.
func (c *Client) MSPID() string { return c.cfg.MSPID }

// Config is the configuration the client was connected with.
func (c *Client) Config() Config { return c.cfg }

// Gateway is the underlying fabric-gateway connection, for what this
// package does not cover (chaincode events, block events).
func (c *Client) Gateway() *client.Gateway { return c.gw }
