// Package nodecmd is `trustline node`: run a member node.
package nodecmd

import (
	"errors"
	"fmt"
	"log/slog"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/testnet"
)

// NewCmd returns the `node` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a member node: ledger follower, index and trace API",
	}
	cmd.AddCommand(newStartCmd(ios))
	return cmd
}

func newStartCmd(ios *iostreams.IO) *cobra.Command {
	var config, org, netDir, dataDir, listen, baseURL string
	var rebuild bool
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Follow the org's peer into the index and serve the HTTP API until interrupted",
		Long: `Start follows the org's peer into the node's index and serves the HTTP API.

An index written by an older trustline (another index layout) is rebuilt
from block 0 behind the one being served, which keeps answering until the
new one has caught up and is swapped in; --rebuild does the same for an
index of this layout. An index written by a newer trustline is refused
(exit 2) unless --rebuild is given: then it is rebuilt for this trustline
and replaced, and the node answers 503 until then. Progress is on /healthz
and /metrics.`,
		Example: `  trustline node start --config node.yaml
  trustline node start --testnet-org supplier --listen 127.0.0.1:8480
  trustline node start --config node.yaml --rebuild`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(config, org, netDir)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			if dataDir != "" {
				cfg.DataDir = dataDir
			}
			if listen != "" {
				cfg.Listen = listen
			}
			if baseURL != "" {
				cfg.BaseURL = baseURL
			}
			log := slog.New(slog.NewTextHandler(ios.ErrOut, nil))
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			n, err := node.Open(ctx, cfg, &node.Options{Logger: log, Rebuild: rebuild})
			if errors.Is(err, index.ErrLayout) {
				// An index of a newer trustline: retrying cannot help; the
				// message says what can.
				return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: err}
			}
			if err != nil {
				return cmdutil.Unavailable(err)
			}
			fmt.Fprintf(ios.ErrOut, "Node serving on http://%s (index in %s); Ctrl-C stops it.\n", n.Addr(), cfg.IndexDir())
			return n.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "node configuration file (YAML or JSON)")
	cmd.Flags().StringVar(&org, "testnet-org", "", "take the peer profile from a running testnet, as this organisation")
	cmd.Flags().StringVar(&netDir, "testnet-dir", "", "state directory of the testnet (default $TRUSTLINE_TESTNET_DIR or ~/.trustline/testnet)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "data directory (overrides the config file)")
	cmd.Flags().StringVar(&listen, "listen", "", "API listen address (default "+node.DefaultListen+")")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "public base URL for links")
	cmd.Flags().BoolVar(&rebuild, "rebuild", false, "rebuild the index from block 0 behind the one being served, then swap it in")
	return cmd
}

func loadConfig(path, org, netDir string) (node.Config, error) {
	switch {
	case path != "" && org != "":
		return node.Config{}, fmt.Errorf("--config and --testnet-org exclude each other")
	case path != "":
		return node.LoadConfig(path)
	case org != "":
		n, err := testnet.New(testnet.Config{Dir: netDir})
		if err != nil {
			return node.Config{}, err
		}
		p, err := n.ClientConfig(org, false)
		if err != nil {
			return node.Config{}, err
		}
		return node.Config{DataDir: filepath.Join(n.Dir(), "nodes", org), Peer: p}, nil
	}
	return node.Config{}, fmt.Errorf("give --config FILE or --testnet-org ORG")
}
