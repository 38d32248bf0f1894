// Package testnetcmd implements `trustline testnet`: a local four-organisation
// Fabric consortium and a geth dev chain, run as native processes.
package testnetcmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/netns"
)

// options are the flags every testnet command shares.
type options struct {
	dir    string
	output string
}

// NewCmd returns the testnet command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	opts := &options{}
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Run a local four-organisation consortium for development and tests",
		Long: `Run a local trustline consortium as native processes on 127.0.0.1 (or,
with ` + "`up --hosts`" + `, each organisation in a network namespace of its own):
four organisations (BrandMSP, SupplierMSP, LabMSP, LogisticsMSP), each with a
peer, a SmartBFT orderer and its own chaincode server, on the channel
"trustline", plus a geth dev chain for anchoring.

State (crypto, ledgers, logs) lives in --dir, by default
$TRUSTLINE_TESTNET_DIR or ~/.trustline/testnet.`,
	}
	cmd.PersistentFlags().StringVar(&opts.dir, "dir", "", "state directory of the network (default $TRUSTLINE_TESTNET_DIR or ~/.trustline/testnet)")
	cmd.AddCommand(newUpCmd(ios, opts), newDownCmd(ios, opts), newStatusCmd(ios, opts), newEnvCmd(ios, opts))
	return cmd
}

func newUpCmd(ios *iostreams.IO, opts *options) *cobra.Command {
	var basePort int
	var noGeth, hosts bool
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the network, or resume it from its state directory",
		Long: `Start the network, or resume it: generate crypto and channel configuration
if missing, start every process that is not running, create and join the
channel, deploy the chaincode, and wait until a transaction submitted through
the gateway commits. Running it again on a running network changes nothing.

With --hosts (root only), each organisation's peer, orderer and chaincode
server run in a network namespace of their own, with their own address on a
bridge in 198.18.0.0/24 (namespaces ` + testnet.HostsPrefix + `-h1 to -h4), as if on four
machines; geth listens on the bridge's address. The command then stays in
the foreground and, on Ctrl-C or any failure, stops every process and
removes the namespaces, links and bridge. Run an organisation's node or CLI
on its host with ` + "`ip netns exec " + testnet.HostsPrefix + "-h1 trustline …`" + `.`,
		Example: `  trustline testnet up
  trustline testnet up --dir /tmp/net2 --base-port 28000
  sudo trustline testnet up --hosts --dir /tmp/hosts`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			cfg := testnet.Config{
				Dir: opts.dir, BasePort: basePort, NoGeth: noGeth,
				Logf: func(format string, args ...any) {
					fmt.Fprintf(ios.ErrOut, "  ✓ "+format+"\n", args...)
				},
			}
			if hosts {
				return upOnHosts(cmd.Context(), ios, cfg)
			}
			n, err := testnet.New(cfg)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			fmt.Fprintf(ios.ErrOut, "Starting the trustline testnet in %s (ports %d-%d)\n", n.Dir(), n.BasePort(), n.BasePort()+99)
			if err := n.Start(cmd.Context()); err != nil {
				return cmdutil.Unavailable(err)
			}
			fmt.Fprintf(ios.ErrOut, "Ready in %s. `trustline testnet status` shows it; `trustline testnet down` stops it.\n", time.Since(start).Round(100*time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVar(&basePort, "base-port", 0, fmt.Sprintf("first of the 100 ports the network uses (default %d, or the network's own)", testnet.DefaultBasePort))
	cmd.Flags().BoolVar(&noGeth, "no-geth", false, "do not run the Ethereum dev chain")
	cmd.Flags().BoolVar(&hosts, "hosts", false, "run each organisation in its own network namespace and address (root); stays in the foreground and removes everything on exit")
	return cmd
}

// upOnHosts runs the network with each organisation on a host of its own
// until ctx ends (Ctrl-C), then stops it and removes the hosts.
func upOnHosts(ctx context.Context, ios *iostreams.IO, cfg testnet.Config) (err error) {
	start := time.Now()
	if err := netns.Available(); err != nil {
		return cmdutil.UsageError("--hosts: %v", err)
	}
	if cfg.Dir == "" {
		// A loopback network's certificates do not name the hosts'
		// addresses: keep the two apart.
		cfg.Dir = testnet.DefaultDir() + "-hosts"
	}
	lab, err := testnet.NewHostLab(ctx, cfg, testnet.HostsPrefix)
	if err != nil {
		return cmdutil.UsageError("%v", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if cerr := lab.Close(cctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("cleaning up: %w", cerr))
			return
		}
		fmt.Fprintf(ios.ErrOut, "Stopped every process and removed the hosts; state stays in %s\n", lab.Dir())
	}()
	fmt.Fprintf(ios.ErrOut, "Starting the trustline testnet in %s on four hosts:\n", lab.Dir())
	for _, org := range testnet.Orgs {
		h := lab.Host(org)
		fmt.Fprintf(ios.ErrOut, "  %-10s %s (namespace %s)\n", org, h.Addr, h.Netns)
	}
	if err := lab.Start(ctx); err != nil {
		return cmdutil.Unavailable(err)
	}
	fmt.Fprintf(ios.ErrOut, "Ready in %s. Ctrl-C stops it and removes the hosts.\n", time.Since(start).Round(100*time.Millisecond))
	<-ctx.Done()
	return nil
}

func newDownCmd(ios *iostreams.IO, opts *options) *cobra.Command {
	var purge bool
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop every process of the network",
		Long: `Stop every process the network started. The state directory stays, so
` + "`testnet up`" + ` resumes with the ledgers as they were; --purge deletes it.`,
		Example: `  trustline testnet down
  trustline testnet down --purge`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := testnet.New(testnet.Config{Dir: opts.dir})
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			if purge {
				if err := n.Purge(); err != nil {
					return err
				}
				fmt.Fprintf(ios.ErrOut, "Stopped and deleted %s\n", n.Dir())
				return nil
			}
			if err := n.Stop(); err != nil {
				return err
			}
			fmt.Fprintf(ios.ErrOut, "Stopped the testnet in %s\n", n.Dir())
			return nil
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "also delete the state directory (crypto, ledgers, logs)")
	return cmd
}
