package orgcmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/deploy"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
)

func newUnitsCmd(ios *iostreams.IO) *cobra.Command {
	var config, out string
	cmd := &cobra.Command{
		Use:   "units --config HOST.yaml",
		Short: "Print systemd units for this host's orderer, peer, chaincode server and node",
		Long: `Render systemd service definitions for the processes one organisation runs on
one host, from its host file (one per organisation and host):

  orgDir: /var/lib/trustline/org      # made by org init; required
  binDir: /usr/local/bin              # peer, orderer, trustline, trustline-chaincode
  configDir: /etc/trustline           # core.yaml, orderer.yaml, node.yaml, builder/
  dataDir: /var/lib/trustline         # ledgers and index
  user: trustline
  orderer: {}                         # listen, admin, operations: default from the card
  peer: {}                            # listen, chaincodeListen, operations
  chaincode: {packageId: trustline_lab:…}
  node: {}                            # config: default configDir/node.yaml

Addresses the other members dial come from the org card, so TLS names match.
Without --out the units are printed; with it each is written as DIR/NAME.
Install with: systemctl daemon-reload && systemctl enable --now trustline-orderer trustline-peer …`,
		Example: `  trustline org units --config /etc/trustline/host.yaml --out /etc/systemd/system`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" {
				return cmdutil.UsageError("%s needs --config\n\n%s", cmd.CommandPath(), cmd.UsageString())
			}
			h, org, err := deploy.Load(config)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) || errors.Is(err, deploy.ErrInvalid) {
					return cmdutil.UsageError("%v", err)
				}
				return usage(err)
			}
			for _, u := range h.Units(org) {
				if out == "" {
					fmt.Fprintf(ios.Out, "# ---- %s\n%s\n", u.Name, u.Content)
					continue
				}
				if err := os.MkdirAll(out, 0o755); err != nil {
					return err
				}
				path := filepath.Join(out, u.Name)
				if err := os.WriteFile(path, []byte(u.Content), 0o644); err != nil {
					return err
				}
				fmt.Fprintln(ios.Out, path)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "host file (YAML or JSON) of this organisation and host")
	cmd.Flags().StringVar(&out, "out", "", "directory to write the unit files to (default: print them)")
	return cmd
}
