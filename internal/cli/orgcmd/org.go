// Package orgcmd implements `trustline org`: an organisation's own identity
// material, made and kept on its own host (see package orgca).
package orgcmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/orgca"
)

// NewCmd returns the org command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	cmd := &cobra.Command{
		Use:   "org",
		Short: "Create and manage your organisation's keys and certificates (members)",
		Long: `Each member of a consortium makes its own certificate authorities and
identities on its own host, and hands the others only its public org card
(card.json: MSP id, display name, root and TLS root certificates, endpoints,
its orderer's public certificates). Private keys never leave the
organisation directory; keep it on the member's host, readable by its
operators only.`,
	}
	cmd.AddCommand(newInitCmd(ios), newEnrollCmd(ios), newRevokeCmd(ios), newRenewCmd(ios), newUnitsCmd(ios))
	return cmd
}

// usage turns orgca's input errors into usage errors (exit 2).
func usage(err error) error {
	if errors.Is(err, orgca.ErrInvalid) || errors.Is(err, orgca.ErrExists) || errors.Is(err, orgca.ErrNotFound) {
		return cmdutil.UsageError("%v", err)
	}
	return err
}

func requireFlags(cmd *cobra.Command, names ...string) error {
	var missing []string
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return cmdutil.UsageError("%s needs %s\n\n%s", cmd.CommandPath(), strings.Join(missing, " and "), cmd.UsageString())
	}
	return nil
}

func newInitCmd(ios *iostreams.IO) *cobra.Command {
	var spec orgca.Spec
	var dir string
	cmd := &cobra.Command{
		Use:   "init --msp-id ID --domain DOMAIN --dir DIR",
		Short: "Create your organisation: CA, TLS CA, identities and its public card",
		Long: `Create an organisation in DIR (which must be empty or absent): its CA and TLS
CA (ECDSA P-256, NodeOUs), the identities admin, peer, orderer, node (the
trustline node's) and user, and card.json, the public org card to send to
the other members.

The peer and orderer addresses are what the other members dial: give the
real host names or IP addresses of your hosts; TLS certificates are made
valid for them. --host adds names or IPs every TLS certificate accepts.`,
		Example: `  trustline org init --msp-id LabMSP --domain lab.example.com --name "Acme Labs" \
    --peer-address peer0.lab.example.com:7051 --orderer-address orderer0.lab.example.com:7050 \
    --dir /var/lib/trustline/org`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "msp-id", "domain", "dir"); err != nil {
				return err
			}
			o, err := orgca.Init(dir, spec)
			if err != nil {
				return usage(err)
			}
			c := o.Card()
			fmt.Fprintf(ios.ErrOut, "Created %s (%s) in %s\n", c.MSPID, c.Name, o.Dir())
			printIssued(ios.ErrOut, o)
			fmt.Fprintf(ios.ErrOut, "Peer %s, orderer %s\n", c.Peer.Address, c.Orderer.Address)
			fmt.Fprintf(ios.ErrOut, "Send the other members your org card; keep the rest of the directory to yourself:\n")
			fmt.Fprintln(ios.Out, o.CardFile())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.MSPID, "msp-id", "", "MSP id of the organisation, e.g. LabMSP")
	f.StringVar(&spec.Domain, "domain", "", "DNS domain of the organisation; identities are named under it")
	f.StringVar(&spec.Name, "name", "", "display name (default: the MSP id)")
	f.StringVar(&spec.PeerAddress, "peer-address", "", "host:port other members dial for your peer (default peer.DOMAIN:7051)")
	f.StringVar(&spec.OrdererAddress, "orderer-address", "", "host:port of your orderer (default orderer.DOMAIN:7050)")
	f.StringSliceVar(&spec.Hosts, "host", nil, "further host name or IP every TLS certificate is valid for (repeatable)")
	f.StringVar(&dir, "dir", "", "organisation directory to create")
	return cmd
}

func printIssued(w io.Writer, o *orgca.Org) {
	for _, is := range o.Issued() {
		state := ""
		if is.Revoked != "" {
			state = " revoked " + is.Revoked
		}
		fmt.Fprintf(w, "  %-10s %-8s serial %s%s\n", is.Name, is.Role, is.Serial, state)
	}
}

func newEnrollCmd(ios *iostreams.IO) *cobra.Command {
	var dir, name, role string
	var opts orgca.EnrollOptions
	cmd := &cobra.Command{
		Use:   "enroll --dir DIR --name NAME",
		Short: "Issue a further identity (a technician, a warehouse system, a second peer)",
		Long: `Issue a further identity of the organisation in DIR, signed by its CA, with
a TLS key pair signed by its TLS CA. --role is its NodeOU: client (default;
applications and people), admin, peer or orderer. It is written to DIR/NAME/:
msp/ (signcerts, keystore) and tls/.`,
		Example: `  trustline org enroll --dir /var/lib/trustline/org --name tech-ana
  trustline org enroll --dir /var/lib/trustline/org --name peer1 --role peer --host peer1.lab.example.com`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "dir", "name"); err != nil {
				return err
			}
			o, err := orgca.Open(dir)
			if err != nil {
				return usage(err)
			}
			opts.Role = orgca.Role(role)
			id, err := o.Enroll(name, opts)
			if err != nil {
				return usage(err)
			}
			fmt.Fprintf(ios.ErrOut, "Issued %s (%s) of %s\n", name, opts.Role, o.MSPID())
			fmt.Fprintln(ios.Out, id.MSPDir())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "organisation directory (made by org init)")
	f.StringVar(&name, "name", "", "name of the identity: lower-case letters, digits, '.', '_', '-'")
	f.StringVar(&role, "role", string(orgca.RoleClient), "NodeOU: client, admin, peer or orderer")
	f.StringSliceVar(&opts.Hosts, "host", nil, "host name or IP its TLS certificate is valid for (repeatable)")
	return cmd
}

func newRenewCmd(ios *iostreams.IO) *cobra.Command {
	var dir, name string
	cmd := &cobra.Command{
		Use:   "renew --dir DIR --name NAME",
		Short: "Renew an identity's certificates before they expire",
		Long: `Issue the identity NAME of the organisation in DIR new enrollment and TLS
certificates, with new keys, from the same CA and TLS CA (same role, names
and hosts), over its files. The old certificates are not revoked: they stay
valid until they expire. Fabric peers and orderers read their certificates
only when they start: restart the process (one at a time) to serve with the
new ones; ` + "`trustline consortium status`" + ` then shows the new expiry of your
peer's and orderer's TLS certificates. An orderer's TLS certificate is also
in the channel configuration (its consenter entry), which needs a
configuration update; this command does not make one. Prints the new
certificate's expiry.`,
		Example: `  trustline org renew --dir /var/lib/trustline/org --name peer`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "dir", "name"); err != nil {
				return err
			}
			o, err := orgca.Open(dir)
			if err != nil {
				return usage(err)
			}
			id, err := o.Renew(name)
			if err != nil {
				return usage(err)
			}
			b, err := os.ReadFile(id.TLSCertFile())
			if err != nil {
				return err
			}
			c, err := orgca.ParseCertPEM(b)
			if err != nil {
				return err
			}
			fmt.Fprintf(ios.ErrOut, "Renewed %s of %s: restart the process that uses it to serve with the new certificates\n", name, o.MSPID())
			fmt.Fprintln(ios.Out, c.NotAfter.UTC().Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "organisation directory (made by org init)")
	cmd.Flags().StringVar(&name, "name", "", "name of the identity to renew (peer, orderer, node, admin, …)")
	return cmd
}

func newRevokeCmd(ios *iostreams.IO) *cobra.Command {
	var dir, name string
	cmd := &cobra.Command{
		Use:   "revoke --dir DIR --name NAME",
		Short: "Revoke an identity: write the organisation's new CRL",
		Long: `Revoke an identity of the organisation in DIR: its certificate is added to the
organisation's certificate revocation list, written to DIR/msp/crls/crl.pem
and into the org card. A consortium formed from the card afterwards carries
it; a running channel needs a channel configuration update with the new CRL
(signed by a majority of the members' admins) before peers refuse the
identity. The CRL (PEM) is printed.`,
		Example: `  trustline org revoke --dir /var/lib/trustline/org --name tech-ana > crl.pem`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "dir", "name"); err != nil {
				return err
			}
			o, err := orgca.Open(dir)
			if err != nil {
				return usage(err)
			}
			crl, err := o.Revoke(name)
			if err != nil {
				return usage(err)
			}
			fmt.Fprintf(ios.ErrOut, "Revoked %s of %s; CRL in %s\n", name, o.MSPID(), o.CRLFile())
			_, err = ios.Out.Write(crl)
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "organisation directory (made by org init)")
	cmd.Flags().StringVar(&name, "name", "", "name of the identity to revoke")
	return cmd
}
