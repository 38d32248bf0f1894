// Package verifycmd implements `trustline verify`: check a trace receipt
// without trusting the consortium.
package verifycmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/receipt"
)

// ExitMismatch is the exit code when any event fails verification: like a
// ledger refusal, the claim presented was not accepted.
const ExitMismatch = cmdutil.ExitRejected

// NewCmd returns the verify command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	var rpcURL, output string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "verify RECEIPT.json",
		Short: "Verify a trace receipt: event ids, Merkle paths and, with --eth-rpc, anchors on chain",
		Long: `verify checks every event of a trace receipt (from trustline trace --receipt or
a node's ?format=receipt): it recomputes the event's id from its content
(CBV 2.0 event hash), follows its Merkle path to its window's root, and, with
--eth-rpc, confirms each anchor of the window on chain. Without --eth-rpc the
anchors are not checked and the verdict says so.

Use - to read the receipt from standard input.

Exit status: 0 all events verify, 3 any event fails, 2 unreadable receipt or
bad flags, 4 the RPC endpoint cannot be reached.`,
		Example: `  trustline verify receipt.json
  trustline verify receipt.json --eth-rpc http://127.0.0.1:8545 -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageError("verify takes one receipt file\n\n%s", cmd.UsageString())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			return run(cmd.Context(), ios, args[0], rpcURL, output, timeout)
		},
	}
	cmd.Flags().StringVar(&rpcURL, "eth-rpc", "", "JSON-RPC endpoint of the anchors' chain; without it anchors are not checked on chain")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up on the RPC endpoint after this long")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func run(ctx context.Context, ios *iostreams.IO, path, rpcURL, output string, timeout time.Duration) error {
	if ctx == nil {
		ctx = context.Background()
	}
	data, err := readInput(ios, path)
	if err != nil {
		return cmdutil.UsageError("reading the receipt: %v", err)
	}
	r, err := receipt.Parse(data)
	if err != nil {
		return cmdutil.UsageError("%s: %v", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var opts receipt.Options
	if rpcURL != "" {
		c, err := ethclient.DialContext(ctx, rpcURL)
		if err != nil {
			return cmdutil.Unavailable(fmt.Errorf("connecting to %s: %w", rpcURL, err))
		}
		defer c.Close()
		opts.Backend = c
	}
	rep, err := receipt.Verify(ctx, r, opts)
	if err != nil {
		if errors.Is(err, receipt.ErrUnreachable) || errors.Is(err, context.DeadlineExceeded) {
			return cmdutil.Unavailable(fmt.Errorf("%s: %w", rpcURL, err))
		}
		return err
	}
	if output == cmdutil.OutputJSON {
		if err := cmdutil.PrintJSON(ios.Out, struct {
			OK bool `json:"ok"`
			*receipt.Report
		}{rep.OK(), rep}); err != nil {
			return err
		}
	} else {
		printTable(ios.Out, r, rep)
	}
	if !rep.OK() {
		return &cmdutil.ExitError{Code: ExitMismatch, Err: fmt.Errorf("%s: %s", path, summary(rep))}
	}
	return nil
}

func readInput(ios *iostreams.IO, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(ios.In)
	}
	return os.ReadFile(path)
}

func printTable(w io.Writer, r *receipt.Receipt, rep *receipt.Report) {
	subject := r.Subject.DigitalLink
	if subject == "" {
		subject = strings.Join(r.Subject.Lots, ", ")
	}
	if subject != "" {
		fmt.Fprintf(w, "receipt for %s, generated %s\n", subject, r.GeneratedAt.Format(time.RFC3339))
	}
	leaf := func(v receipt.Verdict, id, note string) {
		mark := "✓"
		if !v.OK() {
			mark = "✗"
		}
		proven := "unproven"
		if v.Bound {
			proven = "bound in the leaf"
		}
		fmt.Fprintf(w, "%s %s%s  tx %s block %d (%s)", mark, id, note, v.TxID, v.Block, proven)
		switch {
		case !v.OK():
			fmt.Fprintln(w)
			for _, f := range v.Failures {
				fmt.Fprintf(w, "    %v\n", f)
			}
		case v.OnChain:
			fmt.Fprintf(w, "  (%d anchor(s) confirmed on chain)\n", v.Anchors)
		default:
			fmt.Fprintf(w, "  (%d anchor(s) not checked on chain)\n", v.Anchors)
		}
	}
	for _, v := range rep.Verdicts {
		note := ""
		if v.Index < len(r.Events) && r.Events[v.Index].Upstream {
			note = " (ingredient lot)"
		}
		leaf(v, v.EventID, note)
	}
	for _, v := range rep.Records {
		leaf(v, string(v.Type)+" record "+describe(r, v), "")
	}
	if len(rep.Claims) > 0 {
		fmt.Fprintln(w, "claims, re-evaluated from the receipt's evidence:")
	}
	for _, c := range rep.Claims {
		mark := "✓"
		if !c.OK() {
			mark = "✗"
		}
		reason := ""
		if c.Recomputed != nil {
			reason = " — " + c.Recomputed.Reason
		}
		fmt.Fprintf(w, "%s %-7s %s (%s) on %s%s\n", mark, c.Status, c.Wording, c.Kind, c.Lot, reason)
		for _, f := range c.Failures {
			fmt.Fprintf(w, "    %v\n", f)
		}
	}
	if lim := r.Limits(); len(lim) > 0 {
		fmt.Fprintf(w, "not proven by a version %d receipt:\n", r.Version)
		for _, l := range lim {
			fmt.Fprintf(w, "  - %s\n", l)
		}
	}
	if len(rep.Subject) > 0 {
		fmt.Fprintln(w, "✗ not bound to the subject:")
		for _, f := range rep.Subject {
			fmt.Fprintf(w, "    %v\n", f)
		}
	} else if len(rep.Verdicts) > 0 {
		fmt.Fprintln(w, "✓ every event, record and claim is about the subject (or a lot it was made from)")
	}
	for _, l := range rep.Lots {
		switch {
		case !l.OK():
			fmt.Fprintf(w, "✗ lot %s: events incomplete\n", l.Lot)
			for _, f := range l.Failures {
				fmt.Fprintf(w, "    %v\n", f)
			}
		case l.Chained:
			fmt.Fprintf(w, "✓ lot %s: all %d events shown, in ledger order (the lot record's event chain)\n", l.Lot, l.Events)
		default:
			fmt.Fprintf(w, "? lot %s: %d events shown; the lot was recorded before event chains, so none is proven missing\n", l.Lot, l.Shown)
		}
	}
	if sv := rep.Service; sv != nil {
		if sv.OK() {
			fmt.Fprintf(w, "✓ product %s: all %d service events shown, in ledger order (its service chain)\n", sv.Product, sv.Events)
		} else {
			fmt.Fprintf(w, "✗ product %s: service events incomplete\n", sv.Product)
			for _, f := range sv.Failures {
				fmt.Fprintf(w, "    %v\n", f)
			}
		}
	}
	if st := rep.State; st != nil {
		if st.OK() {
			fmt.Fprintf(w, "✓ latest as of ledger block %d (the anchored state of lots): %s\n", st.Block, strings.Join(st.Fresh, ", "))
		} else {
			fmt.Fprintln(w, "✗ lot records not proven the latest:")
			for _, f := range st.Failures {
				fmt.Fprintf(w, "    %v\n", f)
			}
		}
	}
	if c := rep.Currency; c != nil {
		complete := len(rep.Lots) > 0
		for _, l := range rep.Lots {
			complete = complete && l.OK() && l.Chained
		}
		what := "as of"
		if complete {
			what = "complete as of"
		}
		// The time is the anchor block's header's, read on chain: a receipt
		// carries none, and offline nothing proves one.
		at := " (its time is not proven offline: --eth-rpc reads it from the block's header)"
		if c.Time != nil {
			at = " at " + c.Time.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s ledger block %d, anchored in Ethereum block %d%s\n", what, c.Block, c.EthBlock, at)
		switch {
		case len(c.Newer) > 0:
			last := c.Newer[len(c.Newer)-1]
			fmt.Fprintf(w, "⚠ NOT CURRENT: %d window(s) anchored after this receipt (up to ledger block %d, Ethereum block %d) may hold events it does not show: ask the node for a new receipt\n",
				len(c.Newer), last.ToBlock, last.EthBlock)
		case c.Checked:
			fmt.Fprintln(w, "✓ current: no window anchored after it")
		default:
			fmt.Fprintln(w, "? currency not checked offline: pass --eth-rpc to look for later anchors")
		}
	}
	fmt.Fprintln(w, summary(rep))
}

// describe names a record by what it is about (the id is in -o json).
func describe(r *receipt.Receipt, v receipt.Verdict) string {
	if v.Index >= len(r.Records) {
		return v.RecordID
	}
	rec, _, err := ledger.DecodeRecord(v.Type, r.Records[v.Index].Record)
	if err != nil {
		return v.RecordID
	}
	switch x := rec.(type) {
	case *ledger.Product:
		return x.ID
	case *ledger.LotSummary:
		return x.ID
	case *ledger.InspectionRecord:
		return "report " + x.Report.ReportID
	case *ledger.LabSigner:
		return x.Address + " (" + x.Name + ")"
	case *ledger.Claim:
		return x.ID + " \"" + x.Wording + "\""
	}
	return v.RecordID
}

func summary(rep *receipt.Report) string {
	bad, n := 0, len(rep.Verdicts)+len(rep.Records)
	for _, v := range append(slices.Clone(rep.Verdicts), rep.Records...) {
		if !v.OK() {
			bad++
		}
	}
	what := "events"
	if len(rep.Records) > 0 {
		what = "events and records"
	}
	var s string
	switch {
	case len(rep.Verdicts) == 0:
		return "the receipt holds no events: nothing verified"
	case bad == 0:
		s = fmt.Sprintf("all %d %s verified", n, what)
	default:
		s = fmt.Sprintf("%d of %d %s FAILED verification", bad, n, what)
	}
	if len(rep.Claims) > 0 {
		badClaims := 0
		for _, c := range rep.Claims {
			if !c.OK() {
				badClaims++
			}
		}
		if badClaims == 0 {
			s += fmt.Sprintf("; all %d claim verdicts re-evaluated to the node's", len(rep.Claims))
		} else {
			s += fmt.Sprintf("; %d of %d claim verdicts could NOT be confirmed from the evidence", badClaims, len(rep.Claims))
		}
	}
	if len(rep.Subject) > 0 {
		s += fmt.Sprintf("; NOT bound to the subject (%d problem(s))", len(rep.Subject))
	}
	incomplete := 0
	for _, l := range rep.Lots {
		if !l.OK() {
			incomplete++
		}
	}
	if incomplete > 0 {
		s += fmt.Sprintf("; events of %d lot(s) INCOMPLETE", incomplete)
	}
	if !rep.State.OK() {
		s += "; lot records NOT proven the latest (stale or state not anchored)"
	}
	if !rep.Service.OK() {
		s += "; the product's service events INCOMPLETE"
	}
	if rep.Online {
		return fmt.Sprintf("%s (anchors checked on chain %d)", s, rep.ChainID)
	}
	return s + " (offline: anchors not checked on chain; pass --eth-rpc to check them)"
}
