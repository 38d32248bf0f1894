// Package claimcmd implements `trustline claim add|list|check`: a brand's
// claims about its products and lots, and their verdicts.
package claimcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
)

// NewCmd returns `trustline claim`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "claim",
		Short: "Register, list and check claims about products and lots (brands)",
		Long: `A claim is a promise made to consumers ("cold chain all the way") that every
node checks against the ledger's evidence: farm_to_shelf_within, cold_chain,
lab_tested, origin_in, certified and service_within. A claim is never edited; --supersedes
replaces one.`,
		Args: cmdutil.NoArgs,
		// Runnable, so that an unknown subcommand is a usage error (exit 2)
		// rather than help.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.AddCommand(newAddCmd(ios, lo), newShowCmd(ios, lo), newListCmd(ios, lo), newCheckCmd(ios, lo))
	return cmd
}

// claimLedger is what the claim commands call of the ledger client: the
// claims, and for check the evidence a node would have.
type claimLedger interface {
	RegisterClaim(ctx context.Context, req ledger.ClaimRequest, opts ...client.CallOption) (*ledger.Claim, error)
	SupersedeClaim(ctx context.Context, oldID string, req ledger.ClaimRequest, opts ...client.CallOption) (*ledger.Claim, error)
	Claim(ctx context.Context, id string, opts ...client.CallOption) (*ledger.Claim, error)
	Claims(ctx context.Context, gtin string, opts ...client.CallOption) ([]ledger.Claim, error)
	Lot(ctx context.Context, lot string, opts ...client.CallOption) (*ledger.LotSummary, error)
	Product(ctx context.Context, gtin string, opts ...client.CallOption) (*ledger.Product, error)
	LotEvents(ctx context.Context, lot string, opts ...client.CallOption) (json.RawMessage, error)
	Upstream(ctx context.Context, lot string, opts ...client.CallOption) (*ledger.Trace, error)
	Inspection(ctx context.Context, reportID string, opts ...client.CallOption) (*ledger.InspectionRecord, error)
	LabSigner(ctx context.Context, address string, opts ...client.CallOption) (*ledger.LabSigner, error)
	Close() error
}

func newAddCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var file, supersedes, output string
	cmd := &cobra.Command{
		Use:   "add -f CLAIM.json|yaml",
		Short: "Register a claim (a ClaimRequest) about your product or one of its lots",
		Long: `Register a claim (Claim:RegisterClaim) about a product your organisation owns,
or about one of its lots. The request (-f, JSON or YAML, - for standard input)
has the fields subject (a GTIN, a product or a lot Digital Link), kind,
wording (what consumers are told) and params, with exactly the member named
after the kind: farmToShelf, coldChain, labTested, originIn, certified or
service.

--supersedes ID replaces your active claim ID (Claim:SupersedeClaim) with this
one, about the same product; the old claim stays on the ledger, marked
superseded.`,
		Example: `  trustline claim add --profile brand -f - <<'EOF'
  {"subject": "09506000134352", "kind": "cold_chain", "wording": "Cold chain all the way",
   "params": {"coldChain": {"maxGapMinutes": 120}}}
  EOF
  trustline claim add -f stricter.yaml --supersedes claim-7c1e… --profile brand -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			if file == "" {
				return cmdutil.UsageError("-f is required (a file, or - for standard input)\n\n%s", cmd.UsageString())
			}
			if cmd.Flags().Changed("supersedes") && strings.TrimSpace(supersedes) == "" {
				return cmdutil.UsageError("--supersedes needs the id of the claim to replace")
			}
			var req ledger.ClaimRequest
			if err := cmdutil.LoadInput(file, ios.In, &req); err != nil {
				return err
			}
			if err := checkRequest(req); err != nil {
				if file == "-" {
					return cmdutil.UsageError("%v", err)
				}
				return cmdutil.UsageError("%s: %v", file, err)
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c claimLedger) (*ledger.Claim, error) {
					if supersedes != "" {
						return c.SupersedeClaim(ctx, supersedes, req)
					}
					return c.RegisterClaim(ctx, req)
				},
				ClaimTable)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the ClaimRequest, JSON or YAML (- for standard input)")
	cmd.Flags().StringVar(&supersedes, "supersedes", "", "id of the claim this one replaces")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// checkRequest finds the mistakes in a claim that need no ledger to see.
func checkRequest(req ledger.ClaimRequest) error {
	if err := checkSubject(req.Subject); err != nil {
		return err
	}
	if strings.TrimSpace(req.Wording) == "" {
		return errors.New("wording is required: what consumers are told, e.g. \"Cold chain all the way\"")
	}
	return req.Params.Check(req.Kind)
}

// checkSubject accepts what the chaincode does as a claim's subject: a
// GTIN, a product Digital Link or a lot Digital Link.
func checkSubject(s string) error {
	if s == "" {
		return errors.New("subject is required: a GTIN, a product Digital Link or a lot Digital Link")
	}
	if !strings.Contains(s, "://") {
		if strings.Trim(s, "0123456789") != "" {
			return fmt.Errorf("subject %q is neither a GTIN nor a GS1 Digital Link", s)
		}
		if _, err := gs1.ValidateGTIN(s); err != nil {
			return fmt.Errorf("subject: %v", err)
		}
		return nil
	}
	l, err := digitallink.Parse(s)
	if err != nil {
		return fmt.Errorf("subject %q is not a GS1 Digital Link: %v", s, err)
	}
	if l.CPV != "" {
		return fmt.Errorf("subject %s names a consumer product variant (AI 22); a claim is about a whole product or one of its lots", s)
	}
	if lv := l.Level(); lv != digitallink.Product && lv != digitallink.Lot {
		return fmt.Errorf("subject %s identifies a %s; a claim is about a product or one of its lots", s, lv)
	}
	return nil
}

// ClaimTable writes a claim as label/value rows.
func ClaimTable(w io.Writer, c *ledger.Claim) error {
	if c == nil {
		return nil
	}
	state := "active"
	if !c.Active() {
		state = "superseded by " + c.SupersededBy + " on " + c.SupersededAt
	}
	return cmdutil.Fields(w, [2]string{"Claim", c.ID}, [2]string{"Subject", c.Subject}, [2]string{"Kind", string(c.Kind)},
		[2]string{"Wording", c.Wording}, [2]string{"Brand", c.Brand}, [2]string{"State", state},
		[2]string{"Supersedes", c.Supersedes}, [2]string{"At", c.RegisteredAt})
}

func newShowCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "show CLAIM-ID",
		Short: "Show one claim, superseded or not",
		Long: `Show a claim (Claim:GetClaim) by its id, "claim-" and the id of the transaction
that registered it, as "claim add" and "claim list" print it.`,
		Example: `  trustline claim show claim-4f1c… --profile brand
  trustline claim show claim-4f1c… -o json`,
		Args: cmdutil.ExactArgs(1, "a claim id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			id := strings.TrimSpace(args[0])
			if !strings.HasPrefix(id, "claim-") || len(id) == len("claim-") {
				return cmdutil.UsageError("%q is not a claim id (claim-<transaction id>, as claim list prints it)", args[0])
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c claimLedger) (*ledger.Claim, error) { return c.Claim(ctx, id) },
				ClaimTable)
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newListCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list GTIN",
		Short: "List the claims about a product and its lots, superseded ones included",
		Long: `List every claim (Claim:ListClaims) about a product and about its lots, the
superseded ones included, with the claim that replaced them.`,
		Example: `  trustline claim list 09506000134352 --profile lab
  trustline claim list 09506000134352 -o json`,
		Args: cmdutil.ExactArgs(1, "a GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			gtin, err := parseGTIN(args[0])
			if err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c claimLedger) ([]ledger.Claim, error) {
					cs, err := c.Claims(ctx, gtin)
					if cs == nil {
						cs = []ledger.Claim{}
					}
					return cs, err
				},
				func(w io.Writer, cs []ledger.Claim) error { return ClaimsTable(w, gtin, cs) })
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// parseGTIN returns list's argument as a GTIN-14.
func parseGTIN(arg string) (string, error) {
	if strings.Contains(arg, "://") {
		if l, err := digitallink.Parse(arg); err == nil && l.GTIN != "" {
			return "", cmdutil.UsageError("%s is a Digital Link; list takes a product's GTIN: trustline claim list %s", arg, l.GTIN)
		}
		return "", cmdutil.UsageError("list takes a product's GTIN, not %q", arg)
	}
	gtin, err := gs1.ValidateGTIN(arg)
	if err != nil {
		return "", cmdutil.UsageError("%v", err)
	}
	return gtin, nil
}

// ClaimsTable writes the claims about product gtin, one a row.
func ClaimsTable(w io.Writer, gtin string, cs []ledger.Claim) error {
	if len(cs) == 0 {
		_, err := fmt.Fprintf(w, "no claims about product %s\n", gtin)
		return err
	}
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
}

func newCheckCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output, at string
	cmd := &cobra.Command{
		Use:   "check LOT",
		Short: "Evaluate the claims about a lot from the ledger's records, here",
		Long: `Reads the lot, its upstream lots, their events, lab reports and signers from
the ledger and evaluates every active claim about the lot locally, as a node
does: each holds, fails or is pending (not decidable yet), with the reason and
the events it rests on. --at is the time to judge pending deadlines at
(default: now). Exits 3 when a claim fails.`,
		Example: `  trustline claim check https://id.gs1.org/01/09506000134352/10/L1 --profile lab
  trustline claim check https://id.gs1.org/01/09506000134352/10/L1 --at 2025-06-04T12:00:00Z -o json`,
		Args: cmdutil.ExactArgs(1, "a lot's Digital Link"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			lot, err := parseLot(args[0])
			if err != nil {
				return err
			}
			when := time.Now().UTC()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return cmdutil.UsageError("--at %q is not an RFC 3339 time, e.g. 2025-06-04T12:00:00Z", at)
				}
				when = t.UTC()
			}
			var rs []claims.Result
			if err := cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c claimLedger) ([]claims.Result, error) {
					r, err := check(ctx, c, lot, when)
					rs = r
					return r, err
				},
				ResultsTable); err != nil {
				return err
			}
			var failing []string
			for _, r := range rs {
				if r.Status == claims.Fails {
					failing = append(failing, r.Wording)
				}
			}
			if len(failing) > 0 {
				return cmdutil.Rejected(fmt.Errorf("%d of %d claims about %s fail: %s", len(failing), len(rs), lot, strings.Join(failing, "; ")))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "evaluate as of this RFC 3339 time")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// parseLot returns the canonical lot Digital Link that check's argument names.
func parseLot(arg string) (string, error) {
	l, err := digitallink.Parse(arg)
	if err != nil {
		return "", cmdutil.UsageError("%q is not a lot's Digital Link: %v", arg, err)
	}
	if lv := l.Level(); lv != digitallink.Lot {
		return "", cmdutil.UsageError("%s identifies a %s; check takes a lot's Digital Link, https://id.gs1.org/01/{GTIN}/10/{lot}", arg, lv)
	}
	l.Query = nil
	return l.String(), nil
}

// ResultsTable writes the verdicts of a lot's claims.
func ResultsTable(w io.Writer, rs []claims.Result) error {
	if len(rs) == 0 {
		_, err := fmt.Fprintln(w, "no claims about this lot")
		return err
	}
	for _, r := range rs {
		fmt.Fprintf(w, "%-8s %s — %s\n", strings.ToUpper(string(r.Status)), r.Wording, r.Reason)
		fmt.Fprintf(w, "         claim: %s\n", r.Claim)
		if len(r.Evidence) > 0 {
			fmt.Fprintf(w, "         evidence: %s\n", strings.Join(r.Evidence, " "))
		}
	}
	return nil
}

// check gathers a lot's evidence through the gateway and evaluates its claims.
func check(ctx context.Context, c claimLedger, lot string, at time.Time) ([]claims.Result, error) {
	l, err := c.Lot(ctx, lot)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, fmt.Errorf("the ledger returned no record of lot %s", lot)
	}
	tr := claims.Trace{Lot: *l, At: at}
	// Without the product (not found), a cold chain claim without its own
	// range is pending; any other failure is the command's.
	if tr.Product, err = c.Product(ctx, l.GTIN); err != nil && !rejected(err) {
		return nil, err
	}
	reports := map[string]bool{}
	if tr.Events, err = lotEvents(ctx, c, l.ID, reports); err != nil {
		return nil, err
	}
	up, err := c.Upstream(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	if up != nil {
		tr.Upstream = up.Lots
	}
	for _, u := range tr.Upstream {
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
			return nil, err
		}
		if rec == nil {
			continue
		}
		tr.Inspections = append(tr.Inspections, *rec)
		if signer := strings.ToLower(rec.Signer); !signers[signer] {
			signers[signer] = true
			// An unknown signer makes the report not count, which the
			// evaluation says; that is no error here.
			s, err := c.LabSigner(ctx, rec.Signer)
			if err != nil && !rejected(err) {
				return nil, err
			}
			if s != nil {
				tr.Signers = append(tr.Signers, *s)
			}
		}
	}
	cs, err := c.Claims(ctx, l.GTIN)
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

func rejected(err error) bool {
	var r *client.RejectedError
	return errors.As(err, &r)
}

func lotEvents(ctx context.Context, c claimLedger, lot string, reports map[string]bool) ([]json.RawMessage, error) {
	doc, err := c.LotEvents(ctx, lot)
	if err != nil {
		return nil, err
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
		var head epcis.Event
		if json.Unmarshal(e, &head) == nil && head.Inspection != nil {
			reports[head.Inspection.ReportID] = true
		}
	}
	return d.EPCISBody.EventList, nil
}
