package consortiumcmd

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	fabclient "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/orgca"
)

// ExpiryWarning is how close to its expiry a certificate is flagged.
const ExpiryWarning = 30 * 24 * time.Hour

// Status is what `consortium status` reports.
type Status struct {
	Channel     string                      `json:"channel"`
	ConfigBlock uint64                      `json:"configBlock"`
	Sequence    uint64                      `json:"sequence"`
	Members     []MemberStatus              `json:"members"`
	Consenters  []consortium.ConsenterState `json:"consenters"`
	Expiries    []ExpiryStatus              `json:"certificates"`
	Chaincode   *ChaincodeStatus            `json:"chaincode,omitempty"`
	Pending     []PendingStatus             `json:"pending,omitempty"`
}

// MemberStatus is one organisation of the channel.
type MemberStatus struct {
	MSPID     string `json:"mspId"`
	Peer      bool   `json:"peerOrg"`
	Consenter bool   `json:"consenter"`
}

// ExpiryStatus is one certificate's expiry.
type ExpiryStatus struct {
	consortium.CertExpiry
	DaysLeft int  `json:"daysLeft"`
	Warn     bool `json:"warn"`
}

// ChaincodeStatus is the committed chaincode definition, or why it could
// not be read.
type ChaincodeStatus struct {
	Name     string `json:"name"`
	Version  string `json:"version,omitempty"`
	Sequence int64  `json:"sequence,omitempty"`
	Err      string `json:"error,omitempty"`
}

// PendingStatus is one update file and its signatures.
type PendingStatus struct {
	File       string   `json:"file"`
	What       string   `json:"what"`
	BaseBlock  uint64   `json:"baseBlock"`
	SignedBy   []string `json:"signedBy"`
	Ready      bool     `json:"ready"`
	Refusal    string   `json:"refusal,omitempty"`
	NotCounted []string `json:"notCounted,omitempty"`
}

// gatewayLedger is the ledger client status reads the chaincode definition
// through (its peer's _lifecycle).
type gatewayLedger interface {
	Gateway() *fabclient.Gateway
	Config() client.Config
	Close() error
}

func newStatusCmd(ios *iostreams.IO, f *cmdutil.Factory) *cobra.Command {
	var m memberFlags
	var output string
	lo := f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "status --org-dir DIR [UPDATE…]",
		Short: "Show the channel's members, consenters, certificate expiry, chaincode and pending updates",
		Long: `Show the channel as its latest configuration says, read from the orderer as
your admin: the members (peer organisations and BFT consenters), each
consenter's health (its height, asked of it directly), the expiry of every
certificate the configuration holds and of the TLS certificates your own
peer and orderer present now (flagged inside 30 days), the committed
chaincode definition (version and sequence, from your peer's _lifecycle;
with --profile or the TRUSTLINE_* identity), and, for each UPDATE file
given, what it does, who signed it and whether it can be submitted.`,
		Example: `  trustline consortium status --org-dir brand/ --profile brand add-RetailerMSP.update.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			var pending []*consortium.Update
			for _, a := range args {
				u, err := consortium.ReadUpdate(a)
				if err != nil {
					return cmdutil.UsageError("%v", err)
				}
				pending = append(pending, u)
			}
			o, s, oc, err := m.open(cmd, f.Orderer)
			if err != nil {
				return err
			}
			defer oc.Close()
			ctx := cmd.Context()
			cc, err := oc.Config(ctx, m.channel)
			if err != nil {
				return cmdutil.Unavailable(err)
			}
			st := Status{Channel: cc.Channel, ConfigBlock: cc.Block, Sequence: cc.Sequence()}
			ords := cc.OrdererOrgs()
			for _, id := range mergeSorted(cc.Members(), ords) {
				st.Members = append(st.Members, MemberStatus{MSPID: id, Peer: slices.Contains(cc.Members(), id), Consenter: slices.Contains(ords, id)})
			}
			if st.Consenters, err = consortium.Consenters(ctx, cc, s, f.Orderer); err != nil {
				return err
			}
			exp, err := cc.Expiries()
			if err != nil {
				return err
			}
			exp = append(exp, servedCertificates(ctx, o, f.ServedCertificate)...)
			slices.SortStableFunc(exp, func(a, b consortium.CertExpiry) int { return a.NotAfter.Compare(b.NotAfter) })
			now := time.Now()
			for _, e := range exp {
				left := e.NotAfter.Sub(now)
				st.Expiries = append(st.Expiries, ExpiryStatus{CertExpiry: e, DaysLeft: int(left.Hours() / 24), Warn: left < ExpiryWarning})
			}
			st.Chaincode = chaincodeStatus(ctx, lo, m.channel)
			for i, u := range pending {
				p := PendingStatus{File: args[i], What: u.Describe(), BaseBlock: u.BaseBlock}
				for _, g := range u.Signatures {
					p.SignedBy = append(p.SignedBy, g.MSPID)
				}
				tally, err := u.Check(cc)
				p.Ready, p.NotCounted = err == nil, tally.Invalid
				if err != nil {
					p.Refusal = err.Error()
				}
				st.Pending = append(st.Pending, p)
			}
			if output == "json" {
				return cmdutil.PrintJSON(ios.Out, st)
			}
			printStatus(ios, st)
			return nil
		},
	}
	m.add(cmd)
	cmdutil.AddOutputFlag(cmd, &output)
	cmdutil.AddLedgerFlags(cmd, lo)
	return cmd
}

// servedCertificates are the TLS certificates the caller's own peer and
// orderer present now (renewed certificates are not in the channel
// configuration); one that does not answer is left out.
func servedCertificates(ctx context.Context, o *orgca.Org, served func(context.Context, string, [][]byte) (consortium.CertExpiry, error)) []consortium.CertExpiry {
	var roots [][]byte
	if b, err := os.ReadFile(o.TLSCAFile()); err == nil {
		roots = append(roots, b)
	}
	var out []consortium.CertExpiry
	for _, ep := range []struct{ what, addr string }{
		{"peer TLS (served)", o.Card().Peer.Address},
		{"orderer TLS (served)", o.Card().Orderer.Address},
	} {
		if ep.addr == "" {
			continue
		}
		if e, err := served(ctx, ep.addr, roots); err == nil {
			e.MSPID, e.What = o.MSPID(), ep.what
			out = append(out, e)
		}
	}
	return out
}

// chaincodeStatus reads the committed definition of the trustline
// chaincode from the caller's peer, if a ledger identity is configured.
func chaincodeStatus(ctx context.Context, lo *cmdutil.LedgerOptions, channel string) *ChaincodeStatus {
	cs := &ChaincodeStatus{Name: consortium.DefaultChaincode}
	l, err := cmdutil.Ledger[gatewayLedger](ctx, lo)
	if err != nil {
		cs.Err = "not read: " + firstLine(err.Error())
		return cs
	}
	defer l.Close()
	if n := l.Config().Chaincode; n != "" {
		cs.Name = n
	}
	arg, _ := proto.Marshal(&lifecycle.QueryChaincodeDefinitionArgs{Name: cs.Name})
	b, err := l.Gateway().GetNetwork(channel).GetContract("_lifecycle").EvaluateWithContext(ctx, "QueryChaincodeDefinition", fabclient.WithBytesArguments(arg))
	if err != nil {
		cs.Err = firstLine(err.Error())
		return cs
	}
	var r lifecycle.QueryChaincodeDefinitionResult
	if err := proto.Unmarshal(b, &r); err != nil {
		cs.Err = err.Error()
		return cs
	}
	cs.Version, cs.Sequence = r.Version, r.Sequence
	return cs
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func mergeSorted(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func printStatus(ios *iostreams.IO, st Status) {
	w := ios.Out
	fmt.Fprintf(w, "Channel %s: config block %d (sequence %d), %d members\n\n", st.Channel, st.ConfigBlock, st.Sequence, len(st.Members))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tPEER ORG\tCONSENTER")
	for _, m := range st.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.MSPID, yes(m.Peer), yes(m.Consenter))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONSENTER\tMEMBER\tADDRESS\tHEIGHT\tHEALTH")
	for _, c := range st.Consenters {
		health, height := "ok", fmt.Sprint(c.Height)
		if !c.Healthy() {
			health = "DOWN: " + c.Err
		}
		if c.Height == 0 {
			height = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.ID, c.MSPID, c.Address, height, health)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CERTIFICATE\tMEMBER\tEXPIRES\tDAYS LEFT\t")
	for _, e := range st.Expiries {
		warn := ""
		if e.Warn {
			warn = "WARNING: renew within 30 days"
		}
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\t%d\t%s\n", e.What, e.Subject, e.MSPID, e.NotAfter.UTC().Format("2006-01-02"), e.DaysLeft, warn)
	}
	tw.Flush()
	fmt.Fprintln(w)
	if c := st.Chaincode; c != nil {
		if c.Err != "" {
			fmt.Fprintf(w, "Chaincode %s: %s\n", c.Name, c.Err)
		} else {
			fmt.Fprintf(w, "Chaincode %s: version %s, sequence %d\n", c.Name, c.Version, c.Sequence)
		}
	}
	for _, p := range st.Pending {
		state := "ready to submit"
		if !p.Ready {
			state = p.Refusal
		}
		fmt.Fprintf(w, "Pending %s: %s (from config block %d), signed by %s: %s\n", p.File, p.What, p.BaseBlock, strings.Join(p.SignedBy, ", "), state)
		for _, n := range p.NotCounted {
			fmt.Fprintf(w, "  not counted: %s\n", n)
		}
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}

func marshalBlock(b *common.Block) ([]byte, error) { return proto.Marshal(b) }
