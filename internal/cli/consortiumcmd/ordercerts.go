package consortiumcmd

import (
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/orgca"
)

func newProposeOrdererCertsCmd(ios *iostreams.IO, f *cmdutil.Factory) *cobra.Command {
	var m memberFlags
	var out string
	cmd := &cobra.Command{
		Use:   "propose-orderer-certs --org-dir DIR",
		Short: "Put your orderer's renewed certificates into the channel's consenter mapping",
		Long: `Compute the update that gives your BFT consenter the certificates your card
now describes (after ` + "`trustline org renew --name orderer`" + `): its identity and
TLS certificates in the consenter mapping, the BlockValidation policy built
from the consenters' identities, and its endpoint. It changes the orderer
group: a majority of the consenting members' admins sign it. Once it is
submitted, restart your orderer with the new certificates; the other
consenters keep ordering meanwhile. If your orderer leads the consensus, it
goes on leading until the restart (the others no longer count its
signature, made with the old identity, but the others still make a quorum);
the restart then costs one view change, a few seconds without commits.
Submit only while ` + "`trustline consortium status`" + ` shows every consenter
healthy: an orderer restarted shortly before may still be catching up, and
the consensus would then lack two consenters.`,
		Example: `  trustline org renew --dir lab/ --name orderer
  trustline consortium propose-orderer-certs --org-dir lab/ --out lab-orderer.update.json
  trustline consortium sign lab-orderer.update.json --org-dir brand/
  trustline consortium submit lab-orderer.update.json --org-dir supplier/`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.propose(cmd, ios, f, out, func(cc *consortium.ChannelConfig, o *orgca.Org) (*consortium.Update, error) {
				return consortium.ProposeOrdererCerts(cc, o.Card(), consortium.RemoveOptions{ProposedBy: o.MSPID()})
			})
		},
	}
	m.add(cmd)
	cmd.Flags().StringVar(&out, "out", "", "update file to write (default: orderer-certs-MSPID.update.json)")
	return cmd
}
