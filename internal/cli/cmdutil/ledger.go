package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/testnet"
)

// LedgerOptions choose the identity a command acts as and where its node is.
type LedgerOptions struct {
	// Profile is an organisation of the local testnet (brand, supplier,
	// lab, logistics) whose client identity to use.
	Profile string
	// TestnetDir is the local testnet's state directory.
	TestnetDir string
	// Node is a member node's base URL, for trace and event queries.
	Node string
	// NodeCert and NodeKey are a TLS client certificate (PEM) of the
	// organisation's CA and its key, and NodeCA the CA of the node's TLS
	// certificate: for the member records (recall scope), which a node
	// serves on its capture listener over mutual TLS (Node is then that
	// listener's https URL).
	NodeCert, NodeKey, NodeCA string
	// NoWait makes a write return as soon as the identity's own peer has
	// committed it, without waiting for every member's peer to have it too.
	NoWait bool
	// WaitTimeout bounds that wait; zero or less means DefaultWaitTimeout.
	WaitTimeout time.Duration

	// tlsFlag prefixes the names of the flags of NodeCert, NodeKey and
	// NodeCA in errors ("--node-" when empty; AddNodeFlags's are "--").
	tlsFlag string
	// errOut is where a write that outran the wait warns (stderr if nil).
	errOut func() io.Writer
	// factory opens the clients (NewFactory's when nil).
	factory *Factory
}

// DefaultWaitTimeout bounds how long a write waits, by default, for every
// member's peer to commit its block.
const DefaultWaitTimeout = 5 * time.Second

// AddLedgerFlags registers --profile, --testnet-dir and --node as persistent
// flags of a command group, with defaults from TRUSTLINE_PROFILE,
// TRUSTLINE_TESTNET_DIR and TRUSTLINE_NODE, then the config file; and
// --no-wait and --wait-timeout, which say how a write waits for the other
// members' peers.
func AddLedgerFlags(cmd *cobra.Command, o *LedgerOptions) {
	f := cmd.PersistentFlags()
	f.StringVar(&o.Profile, "profile", "", "act as this organisation of the local testnet: "+strings.Join(testnet.Orgs, ", ")+" (default $TRUSTLINE_PROFILE; without it, the identity in the TRUSTLINE_* environment)")
	f.StringVar(&o.TestnetDir, "testnet-dir", "", "state directory of the local testnet (default $TRUSTLINE_TESTNET_DIR or ~/.trustline/testnet)")
	f.StringVar(&o.Node, "node", "", "base URL of a member node's API (default $TRUSTLINE_NODE)")
	AddNodeTLSFlags(cmd, o)
	f.BoolVar(&o.NoWait, "no-wait", false, "after a write, do not wait for every member's peer to have it (a command as another organisation right after may not see it yet)")
	f.DurationVar(&o.WaitTimeout, "wait-timeout", DefaultWaitTimeout, "how long a write waits for every member's peer to have it; past that it warns and still succeeds")
	o.errOut = cmd.ErrOrStderr
	_ = cmd.RegisterFlagCompletionFunc("profile", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return testnet.Orgs, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.MarkPersistentFlagDirname("testnet-dir")
}

// AddNodeTLSFlags registers --node-cert, --node-key and --node-ca, with
// defaults from TRUSTLINE_NODE_CERT, TRUSTLINE_NODE_KEY and
// TRUSTLINE_NODE_CA, then the config file.
func AddNodeTLSFlags(cmd *cobra.Command, o *LedgerOptions) {
	f := cmd.PersistentFlags()
	f.StringVar(&o.NodeCert, "node-cert", "", "TLS client certificate (PEM) of your organisation's CA, for a node's member records on its capture listener (default $TRUSTLINE_NODE_CERT)")
	f.StringVar(&o.NodeKey, "node-key", "", "its private key (PEM) (default $TRUSTLINE_NODE_KEY)")
	f.StringVar(&o.NodeCA, "node-ca", "", "the CA of the node's TLS certificate (PEM; default $TRUSTLINE_NODE_CA, else the system's)")
}

// resolve fills what the flags left empty from the environment and the
// config file.
func (o LedgerOptions) resolve() (LedgerOptions, client.Config, error) {
	fc, err := LoadConfigFile()
	if err != nil {
		return o, client.Config{}, err
	}
	pick := func(flag, env, file string) string {
		if flag != "" {
			return flag
		}
		if v := os.Getenv(env); v != "" {
			return v
		}
		return file
	}
	o.Profile = pick(o.Profile, "TRUSTLINE_PROFILE", fc.Profile)
	o.TestnetDir = pick(o.TestnetDir, "TRUSTLINE_TESTNET_DIR", fc.TestnetDir)
	o.Node = pick(o.Node, "TRUSTLINE_NODE", fc.Node)
	o.NodeCert = pick(o.NodeCert, "TRUSTLINE_NODE_CERT", fc.NodeCert)
	o.NodeKey = pick(o.NodeKey, "TRUSTLINE_NODE_KEY", fc.NodeKey)
	o.NodeCA = pick(o.NodeCA, "TRUSTLINE_NODE_CA", fc.NodeCA)
	return o, fc.Gateway, nil
}

// ClientConfig is the ledger identity the options choose: --profile (or
// TRUSTLINE_PROFILE) from the local testnet, else the TRUSTLINE_*
// environment, else the config file's gateway section.
func (o LedgerOptions) ClientConfig() (client.Config, error) {
	o, fileCfg, err := o.resolve()
	if err != nil {
		return client.Config{}, err
	}
	if o.Profile != "" {
		n, err := testnet.New(testnet.Config{Dir: o.TestnetDir})
		if err != nil {
			return client.Config{}, UsageError("--profile %s: %v", o.Profile, err)
		}
		cfg, err := n.ClientConfig(strings.ToLower(o.Profile), false)
		if err != nil {
			return client.Config{}, UsageError("--profile: %v", err)
		}
		return cfg, nil
	}
	cfg, err := client.ConfigFromEnv()
	if errors.Is(err, client.ErrNoEnv) && fileCfg.GatewayAddress != "" {
		cfg, err = fileCfg, fileCfg.Validate()
	}
	if errors.Is(err, client.ErrNoEnv) {
		return cfg, UsageError("no ledger identity: pass --profile ORG for the local testnet, or set the TRUSTLINE_* variables (eval \"$(trustline testnet env ORG)\")")
	}
	if err != nil {
		return cfg, UsageError("%v", err)
	}
	return cfg, nil
}

func (o LedgerOptions) connect(ctx context.Context) (*client.Client, error) {
	cfg, err := o.ClientConfig()
	if err != nil {
		return nil, err
	}
	c, err := client.Connect(ctx, cfg, o.ClientOptions()...)
	if err != nil {
		return nil, LedgerError(err)
	}
	return c, nil
}

// ClientOptions are the library options the flags ask for: unless --no-wait,
// every write, once committed, waits up to --wait-timeout until the peers
// of all the consortium's members have its block, so that a following
// command as any of them sees it (queries never wait). A write that outruns
// the wait is committed all the same: it prints one warning line on stderr
// and the command succeeds.
func (o LedgerOptions) ClientOptions() []client.Option {
	if o.NoWait {
		return nil
	}
	timeout := o.WaitTimeout
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	errOut := o.errOut
	if errOut == nil {
		errOut = func() io.Writer { return os.Stderr }
	}
	return []client.Option{
		client.WithPeerSync(client.AllMembers),
		client.WithPeerSyncTimeout(timeout),
		client.WithPeerSyncHandler(func(e *client.SyncError) { fmt.Fprintln(errOut(), SyncWarning(e)) }),
	}
}

// SyncWarning is the line a write prints when some member's peer had not
// its block when the wait ended.
func SyncWarning(e *client.SyncError) string {
	return "warning: " + oneLine(e.Error()) + "; a command as another organisation may not see it yet"
}

// NodeClient returns a client of the node --node (or TRUSTLINE_NODE, or
// the config file) names, from the options' factory.
func (o LedgerOptions) NodeClient() (*nodeclient.Client, error) {
	if o.factory != nil && o.factory.Node != nil {
		return o.factory.Node(o)
	}
	return o.nodeClient()
}

func (o LedgerOptions) nodeClient() (*nodeclient.Client, error) {
	o, _, err := o.resolve()
	if err != nil {
		return nil, err
	}
	if o.Node == "" {
		return nil, UsageError("no node: pass --node URL or set TRUSTLINE_NODE")
	}
	var opts []nodeclient.Option
	if o.NodeCert != "" || o.NodeKey != "" || o.NodeCA != "" {
		hc, err := ClientTLS(o.tlsFlagPrefix(), o.NodeCert, o.NodeKey, o.NodeCA)
		if err != nil {
			return nil, err
		}
		hc.Timeout = 30 * time.Second
		opts = append(opts, nodeclient.WithHTTPClient(hc))
	}
	c, err := nodeclient.New(o.Node, opts...)
	if err != nil {
		return nil, UsageError("--node: %v", err)
	}
	return c, nil
}

// NodeURL is the node the options name, "" when none.
func (o LedgerOptions) NodeURL() string {
	o, _, err := o.resolve()
	if err != nil {
		return ""
	}
	return o.Node
}

// LedgerError gives a ledger or node error its exit code: a refusal by the
// ledger (chaincode or validation) exits 3 with the reason on one line, an
// unreachable gateway or node 4.
func LedgerError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	var rejected *client.RejectedError
	if errors.As(err, &rejected) {
		return &ExitError{Code: ExitRejected, Err: errors.New(oneLine(rejected.Error()))}
	}
	var commit *client.CommitError
	if errors.As(err, &commit) {
		return Rejected(commit)
	}
	var unavailable *client.UnavailableError
	var nodeDown *nodeclient.UnavailableError
	if errors.As(err, &unavailable) || errors.As(err, &nodeDown) {
		return &ExitError{Code: ExitUnavailable, Err: errors.New(oneLine(err.Error()))}
	}
	var problem *nodeclient.Problem
	if errors.As(err, &problem) {
		return Rejected(problem)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Unavailable(err)
	}
	return err
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// RunLedger is the body of most role commands: connect with o, make one
// call, turn a refusal into its exit code, and print the result as format
// (--output) asks, through table for a table.
//
// C is the interface of what call needs of the ledger client (or
// *client.Client), so that a test's factory can give a fake.
func RunLedger[C LedgerClient, T any](ctx context.Context, o *LedgerOptions, out io.Writer, format string,
	call func(context.Context, C) (T, error), table func(io.Writer, T) error) error {
	c, err := Ledger[C](ctx, o)
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := call(ctx, c)
	if err != nil {
		return LedgerError(err)
	}
	return Printer{Format: format, Out: out}.Print(v, func(w io.Writer) error { return table(w, v) })
}
