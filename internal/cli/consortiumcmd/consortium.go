// Package consortiumcmd implements `trustline consortium`: forming a channel
// from the members' org cards, joining a member's own orderer to it, and
// changing its membership by the members' vote (see package consortium).
package consortiumcmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/orgca"
)

// NewCmd returns the consortium command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	cmd := &cobra.Command{
		Use:   "consortium",
		Short: "Form a consortium's channel from its members' org cards, and change its membership by vote (members)",
		Long: `Form the consortium's channel from public material only: every member makes
its organisation with ` + "`trustline org init`" + ` on its own host and sends its
org card; one of them runs ` + "`trustline consortium create`" + ` with every card
and the role table, and sends genesis.block and consortium.json to all. Each
member then joins its own orderer (` + "`trustline consortium join`" + `) and peer
with its own admin.

Membership changes by the members' vote: one admin proposes adding a member
(` + "`propose-add`" + `, a peer organisation and optionally a BFT consenter) or
removing one (` + "`propose-remove`" + `), or a member publishes its revocations
and renewed CAs (` + "`propose-msp`" + `); each admin signs the update file on its own
host (` + "`sign`" + `); once a majority signed, anyone submits it (` + "`submit`" + `).
` + "`status`" + ` shows members, consenters, certificate expiry, the chaincode and
pending updates.`,
	}
	cmd.AddCommand(newCreateCmd(ios), newJoinCmd(ios), newProposeAddCmd(ios, f), newProposeRemoveCmd(ios, f), newProposeMSPCmd(ios, f), newProposeOrdererCertsCmd(ios, f), newSignCmd(ios), newSubmitCmd(ios, f), newStatusCmd(ios, f))
	return cmd
}

func newCreateCmd(ios *iostreams.IO) *cobra.Command {
	var cardFiles, roles []string
	var channel, out, configtxgen string
	cmd := &cobra.Command{
		Use:   "create --org-card CARD… --role MSPID=ROLE… --out DIR",
		Short: "Build the channel's genesis block from the members' org cards",
		Long: `Build the channel's genesis block from one org card per member: SmartBFT
ordering with one consenter per member (in the order of the cards), channel,
orderer and application administration and chaincode lifecycle by a
MAJORITY of the members. --role gives each member its roles in trustline
(brand, supplier, lab, logistics): the role table the chaincode is
initialised with. Writes DIR/genesis.block, DIR/consortium.json (the
definition, with every card) and DIR/configtx/ (the configtx.yaml and MSPs
it was made from). Needs Fabric's configtxgen.`,
		Example: `  trustline consortium create \
    --org-card brand/card.json --org-card supplier/card.json \
    --org-card lab/card.json --org-card logistics/card.json \
    --role BrandMSP=brand --role SupplierMSP=supplier --role LabMSP=lab --role LogisticsMSP=logistics \
    --out channel/`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(cardFiles) == 0 || out == "" {
				return cmdutil.UsageError("%s needs --org-card (one per member) and --out\n\n%s", cmd.CommandPath(), cmd.UsageString())
			}
			var cards []orgca.Card
			for _, f := range cardFiles {
				c, err := orgca.ReadCard(f)
				if err != nil {
					return cmdutil.UsageError("%v", err)
				}
				cards = append(cards, c)
			}
			table, err := consortium.ParseRoles(roles)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			members, err := consortium.Assemble(cards, table)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			c, err := consortium.New(channel, members)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			if configtxgen == "" {
				if configtxgen, err = consortium.FindConfigtxgen(); err != nil {
					return cmdutil.Unavailable(err)
				}
			}
			if err := c.Write(filepath.Join(out, "consortium.json")); err != nil {
				return err
			}
			block := filepath.Join(out, "genesis.block")
			if err := c.Genesis(cmd.Context(), configtxgen, filepath.Join(out, "configtx"), block); err != nil {
				return err
			}
			fmt.Fprintf(ios.ErrOut, "Channel %q of %d members (BFT, f=%d); send genesis.block and consortium.json to every member:\n",
				c.Channel, len(c.Members), (len(c.Members)-1)/3)
			fmt.Fprintln(ios.Out, block)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&cardFiles, "org-card", nil, "a member's org card (card.json); once per member, in consenter order")
	f.StringArrayVar(&roles, "role", nil, "MSPID=role[,role]: a member's trustline roles (brand, supplier, lab, logistics); once per member")
	f.StringVar(&channel, "channel", consortium.DefaultChannel, "channel name")
	f.StringVar(&out, "out", "", "directory to write genesis.block, consortium.json and configtx/ to")
	f.StringVar(&configtxgen, "configtxgen", "", "path of Fabric's configtxgen (default: found in $TRUSTLINE_BIN, next to trustline, or on PATH)")
	return cmd
}

func newJoinCmd(ios *iostreams.IO) *cobra.Command {
	var orgDir, genesis, adminAddr string
	cmd := &cobra.Command{
		Use:   "join --org-dir DIR --genesis FILE --orderer-admin HOST:PORT",
		Short: "Join your own orderer to the channel, as your organisation's admin",
		Long: `Join your orderer to the channel of the genesis block through its channel
participation API (ORDERER_ADMIN_LISTENADDRESS), authenticated with your
organisation's admin TLS identity from DIR. Joining a channel the orderer
already has is not an error. Then join your peer with the peer CLI as your
admin:
  CORE_PEER_MSPCONFIGPATH=DIR/admin/msp peer channel join -b genesis.block`,
		Example: `  trustline consortium join --org-dir /var/lib/trustline/org --genesis genesis.block \
    --orderer-admin orderer0.lab.example.com:7053`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if orgDir == "" || genesis == "" || adminAddr == "" {
				return cmdutil.UsageError("%s needs --org-dir, --genesis and --orderer-admin\n\n%s", cmd.CommandPath(), cmd.UsageString())
			}
			if err := orgca.CheckAddress(adminAddr); err != nil {
				return cmdutil.UsageError("--orderer-admin: %v", err)
			}
			o, err := orgca.Open(orgDir)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			block, err := os.ReadFile(genesis)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return cmdutil.UsageError("genesis block: %v", err)
				}
				return err
			}
			if err := consortium.JoinOrderer(cmd.Context(), o, adminAddr, block); err != nil {
				return cmdutil.Unavailable(err)
			}
			fmt.Fprintf(ios.ErrOut, "Orderer at %s joined as %s's admin\n", adminAddr, o.MSPID())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&orgDir, "org-dir", "", "your organisation directory (made by org init)")
	f.StringVar(&genesis, "genesis", "", "the channel's genesis block (made by consortium create)")
	f.StringVar(&adminAddr, "orderer-admin", "", "host:port of your orderer's channel participation API")
	return cmd
}
