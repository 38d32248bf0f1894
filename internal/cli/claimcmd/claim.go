// Package claimcmd implements `trustline claim add|list|check`: a brand's
// claims about its products and lots, and their verdicts.
package claimcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/claims"
	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
)

// NewCmd returns `trustline claim`.
func NewCmd(ios *iostreams.IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "claim",
		Short: "Register, list and check claims about products and lots (brands)",
		Long: `A claim is a promise made to consumers ("cold chain all the way") that every
node checks against the ledger's evidence: farm_to_shelf_within, cold_chain,
lab_tested, origin_in and certified. A claim is never edited; --supersedes
replaces one.`,
	}
	cmd.AddCommand(newAddCmd(ios), newListCmd(ios), newCheckCmd(ios))
	return cmd
}

func contract(c *tlclient.Client) *client.Contract {
	cfg := c.Config()
	ch, cc := cfg.Channel, cfg.Chaincode
	if ch == "" {
		ch = tlclient.DefaultChannel
	}
	if cc == "" {
		cc = tlclient.DefaultChaincode
	}
	return c.Gateway().GetNetwork(ch).GetContract(cc)
}

func newAddCmd(ios *iostreams.IO) *cobra.Command {
	lo := &cmdutil.LedgerOptions{}
	var file, supersedes, output string
	cmd := &cobra.Command{
		Use:   "add -f CLAIM.json|yaml",
		Short: "Register a claim (a ClaimRequest) about your product or one of its lots",
		Example: `  trustline claim add --profile brand -f - <<'EOF'
  {"subject": "09506000134352", "kind": "cold_chain", "wording": "Cold chain all the way",
   "params": {"coldChain": {"maxGapMinutes": 120}}}
  EOF`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			if file == "" {
				return cmdutil.UsageError("-f is required (a file, or - for standard input)\n\n%s", cmd.UsageString())
			}
			var req ledger.ClaimRequest
			if err := cmdutil.LoadInput(file, ios.In, &req); err != nil {
				return cmdutil.UsageError("%v", err)
			}
			if err := claims.CheckParams(req.Kind, req.Params); err != nil {
				return cmdutil.UsageError("%v", err)
			}
			b, err := json.Marshal(req)
			if err != nil {
				return err
			}
			c, err := lo.Connect(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			fn, fargs := "Claim:RegisterClaim", []string{string(b)}
			if supersedes != "" {
				fn, fargs = "Claim:SupersedeClaim", []string{supersedes, string(b)}
			}
			res, err := contract(c).SubmitTransaction(fn, fargs...)
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			var out ledger.Claim
			if err := json.Unmarshal(res, &out); err != nil {
				return err
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(out, func(w io.Writer) error {
				return cmdutil.Fields(w, [2]string{"Claim", out.ID}, [2]string{"Subject", out.Subject}, [2]string{"Kind", string(out.Kind)},
					[2]string{"Wording", out.Wording}, [2]string{"Supersedes", out.Supersedes}, [2]string{"At", out.RegisteredAt})
			})
		},
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.Flags().StringVarP(&file, "file", "f", "", "the ClaimRequest, JSON or YAML (- for standard input)")
	cmd.Flags().StringVar(&supersedes, "supersedes", "", "id of the claim this one replaces")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func listClaims(ctx context.Context, c *tlclient.Client, gtin string) ([]ledger.Claim, error) {
	res, err := contract(c).EvaluateWithContext(ctx, "Claim:ListClaims", client.WithArguments(gtin))
	if err != nil {
		return nil, cmdutil.LedgerError(err)
	}
	var out []ledger.Claim
	return out, json.Unmarshal(res, &out)
}

func newListCmd(ios *iostreams.IO) *cobra.Command {
	lo := &cmdutil.LedgerOptions{}
	var output string
	cmd := &cobra.Command{
		Use:   "list GTIN",
		Short: "List the claims about a product and its lots, superseded ones included",
		Args:  cmdutil.ExactArgs(1, "a GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			c, err := lo.Connect(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			cs, err := listClaims(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(cs, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CLAIM\tKIND\tSUBJECT\tWORDING\tSTATE")
				for _, c := range cs {
					state := "active"
					if !c.Active() {
						state = "superseded by " + c.SupersededBy
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Kind, c.Subject, c.Wording, state)
				}
				return tw.Flush()
			})
		},
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newCheckCmd(ios *iostreams.IO) *cobra.Command {
	lo := &cmdutil.LedgerOptions{}
	var output, at string
	cmd := &cobra.Command{
		Use:   "check LOT",
		Short: "Evaluate the claims about a lot from the ledger's records, here",
		Long: `Reads the lot, its upstream lots, their events, lab reports and signers from
the ledger and evaluates every active claim about the lot locally, as a node
does. --at is the time to judge pending deadlines at (default: now).
Exits 3 when a claim fails.`,
		Args: cmdutil.ExactArgs(1, "a lot's Digital Link"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			when := time.Now().UTC()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return cmdutil.UsageError("--at %q is not an RFC 3339 time", at)
				}
				when = t
			}
			c, err := lo.Connect(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			rs, err := check(cmd.Context(), c, args[0], when)
			if err != nil {
				return err
			}
			if err := (cmdutil.Printer{Format: output, Out: ios.Out}).Print(rs, func(w io.Writer) error {
				for _, r := range rs {
					fmt.Fprintf(w, "%-8s %s — %s\n         evidence: %s\n", strings.ToUpper(string(r.Status)), r.Wording, r.Reason, strings.Join(r.Evidence, " "))
				}
				if len(rs) == 0 {
					fmt.Fprintln(w, "no claims about this lot")
				}
				return nil
			}); err != nil {
				return err
			}
			if slices.ContainsFunc(rs, func(r claims.Result) bool { return r.Status == claims.Fails }) {
				return &cmdutil.ExitError{Code: 3, Err: fmt.Errorf("a claim fails")}
			}
			return nil
		},
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.Flags().StringVar(&at, "at", "", "evaluate as of this RFC 3339 time")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// check gathers a lot's evidence through the gateway and evaluates its claims.
func check(ctx context.Context, c *tlclient.Client, lot string, at time.Time) ([]claims.Result, error) {
	l, err := c.Lot(ctx, lot)
	if err != nil {
		return nil, cmdutil.LedgerError(err)
	}
	tr := claims.Trace{Lot: *l, At: at}
	if p, err := c.Product(ctx, l.GTIN); err == nil {
		tr.Product = p
	}
	reports := map[string]bool{}
	if tr.Events, err = lotEvents(ctx, c, l.ID, reports); err != nil {
		return nil, err
	}
	up, err := c.Upstream(ctx, l.ID)
	if err != nil {
		return nil, cmdutil.LedgerError(err)
	}
	tr.Upstream = up.Lots
	for _, u := range up.Lots {
		evs, err := lotEvents(ctx, c, u.ID, reports)
		if err != nil {
			return nil, err
		}
		tr.UpstreamEvents = append(tr.UpstreamEvents, evs...)
	}
	signers := map[string]bool{}
	ids := make([]string, 0, len(reports))
	for id := range reports {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		rec, err := c.Inspection(ctx, id)
		if err != nil {
			return nil, cmdutil.LedgerError(err)
		}
		tr.Inspections = append(tr.Inspections, *rec)
		if !signers[strings.ToLower(rec.Signer)] {
			signers[strings.ToLower(rec.Signer)] = true
			if s, err := c.LabSigner(ctx, rec.Signer); err == nil {
				tr.Signers = append(tr.Signers, *s)
			}
		}
	}
	cs, err := listClaims(ctx, c, l.GTIN)
	if err != nil {
		return nil, err
	}
	out := []claims.Result{}
	for _, cl := range cs {
		if claims.Applies(cl, *l) {
			out = append(out, claims.Evaluate(tr, cl))
		}
	}
	return out, nil
}

func lotEvents(ctx context.Context, c *tlclient.Client, lot string, reports map[string]bool) ([]json.RawMessage, error) {
	doc, err := c.LotEvents(ctx, lot)
	if err != nil {
		return nil, cmdutil.LedgerError(err)
	}
	var d struct {
		EPCISBody struct {
			EventList []json.RawMessage `json:"eventList"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("events of %s: %w", lot, err)
	}
	for _, e := range d.EPCISBody.EventList {
		var head struct {
			Inspection *struct {
				ReportID string `json:"tl:reportId"`
			} `json:"tl:inspection"`
		}
		if json.Unmarshal(e, &head) == nil && head.Inspection != nil {
			reports[head.Inspection.ReportID] = true
		}
	}
	return d.EPCISBody.EventList, nil
}
