// Package reportcmd implements `trustline report`: the records regulators
// ask for, computed from a member node's index (package report) — the FSMA
// 204 sortable spreadsheet, the KDE completeness report, the EU one step
// back and one step forward, and lots near their expiry date.
package reportcmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/nodeapi"
	"github.com/trustline/trustline/report"
)

// NewCmd returns `trustline report`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	lo := f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Records for regulators from a member node: FSMA 204, KDE completeness, EU 178/931, expiry",
		Long: `Produce the records a regulator asks for from a member node's index (--node or
TRUSTLINE_NODE): the FDA's FSMA 204 electronic sortable spreadsheet, which
Key Data Elements each Critical Tracking Event lacks, the EU one step back and
one step forward of a lot for a member, and lots near their expiry date.`,
		Args: cmdutil.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&lo.Node, "node", "", "base URL of a member node's API (default $TRUSTLINE_NODE)")
	cmd.AddCommand(newFSMACmd(f.IOStreams, lo), newKDECmd(f.IOStreams, lo), newEUCmd(f.IOStreams, lo), newExpiringCmd(f.IOStreams, lo))
	return cmd
}

// selection holds the flags that choose a report's lots.
type selection struct {
	lot, gtin, from, to string
}

func (s *selection) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.lot, "lot", "", "a lot's Digital Link: the lot and the lots it was made from and into")
	f.StringVar(&s.gtin, "gtin", "", "every lot of a product (GTIN)")
	f.StringVar(&s.from, "from", "", "lots with events from this time or date (RFC 3339 or YYYY-MM-DD)")
	f.StringVar(&s.to, "to", "", "lots with events before this time or date (RFC 3339 or YYYY-MM-DD)")
}

func parseTime(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, cmdutil.UsageError("%s %q is not an RFC 3339 time or a date (YYYY-MM-DD)", flag, v)
}

func (s selection) get() (report.Selection, error) {
	sel := report.Selection{Lot: s.lot, GTIN: s.gtin}
	var err error
	if sel.From, err = parseTime("--from", s.from); err != nil {
		return sel, err
	}
	if sel.To, err = parseTime("--to", s.to); err != nil {
		return sel, err
	}
	if err := sel.Check(); err != nil {
		return sel, cmdutil.UsageError("%s", strings.Replace(err.Error(), "report: select lots with a lot, a GTIN or a time window", "select lots with --lot, --gtin or --from/--to", 1))
	}
	return sel, nil
}

// collect reads the selected lots' traces from the node.
func collect(ctx context.Context, lo *cmdutil.LedgerOptions, sel report.Selection) ([]nodeapi.Trace, error) {
	nc, err := lo.NodeClient()
	if err != nil {
		return nil, err
	}
	traces, err := report.Collect(ctx, cmdutil.ReportSource(nc), sel)
	return traces, cmdutil.LedgerError(err)
}

// ctes reads the selected lots from the node and derives their CTEs (in
// the selection's time window).
func (s selection) ctes(ctx context.Context, lo *cmdutil.LedgerOptions) ([]report.CTE, error) {
	sel, err := s.get()
	if err != nil {
		return nil, err
	}
	nc, err := lo.NodeClient()
	if err != nil {
		return nil, err
	}
	ctes, err := report.SelectCTEs(ctx, cmdutil.ReportSource(nc), sel)
	return ctes, cmdutil.LedgerError(err)
}

// sheetFlags are the flags of a command that writes a spreadsheet.
type sheetFlags struct {
	format, out, output string
}

func (s *sheetFlags) addFlags(cmd *cobra.Command, table bool) {
	f := cmd.Flags()
	def := report.FormatCSV
	if table {
		def = ""
	}
	f.StringVar(&s.format, "format", def, "spreadsheet format: csv or xlsx")
	f.StringVar(&s.out, "out", "", "write the spreadsheet to `FILE` (default: standard output)")
	cmdutil.AddOutputFlag(cmd, &s.output)
	if !table {
		// These commands have no table: the spreadsheet is their table form.
		f.Lookup("output").Usage = "output format: table (the spreadsheet, see --format) or json"
	}
}

func (s sheetFlags) check(ios *iostreams.IO) error {
	if err := cmdutil.CheckOutput(s.output); err != nil {
		return err
	}
	switch s.format {
	case "", report.FormatCSV, report.FormatXLSX:
	default:
		return cmdutil.UsageError("unknown --format %q: use csv or xlsx", s.format)
	}
	if s.format == report.FormatXLSX && s.out == "" && ios.IsTerminal {
		return cmdutil.UsageError("--format xlsx writes a binary workbook: give --out FILE or redirect standard output")
	}
	if s.output == cmdutil.OutputJSON && (s.format != "" && s.format != report.FormatCSV || s.out != "") {
		return cmdutil.UsageError("-o json prints the report as JSON: leave out --format and --out")
	}
	return nil
}

// write writes t as the flags ask, or v as JSON with -o json.
func (s sheetFlags) write(ios *iostreams.IO, t report.Table, v any, table func(io.Writer) error) error {
	if s.output == cmdutil.OutputJSON {
		return cmdutil.PrintJSON(ios.Out, v)
	}
	if s.format == "" && table != nil {
		return table(ios.Out)
	}
	format := s.format
	if format == "" {
		format = report.FormatCSV
	}
	var buf bytes.Buffer
	if err := t.Write(&buf, format); err != nil {
		return err
	}
	if s.out == "" {
		_, err := ios.Out.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(s.out, buf.Bytes(), 0o644); err != nil {
		return cmdutil.UsageError("--out: %v", err)
	}
	fmt.Fprintf(ios.ErrOut, "wrote %s (%s)\n", s.out, format)
	return nil
}

func newFSMACmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var sel selection
	var sf sheetFlags
	cmd := &cobra.Command{
		Use:   "fsma204",
		Short: "The FDA's FSMA 204 electronic sortable spreadsheet of lots' Critical Tracking Events",
		Long: `Write the electronic sortable spreadsheet of FSMA 204 (21 CFR 1.1455(c)): one row
per Critical Tracking Event per lot (harvesting, cooling, initial packing,
first land-based receiving, shipping, receiving, transformation), one column
per Key Data Element named as the rule names it. A KDE the records do not hold
leaves its cell empty and is named, with its CFR paragraph and why, in the
column "Missing KDEs".

Choose the lots with --lot (the lot and the lots it was made from and into),
--gtin (every lot of a product) or --from/--to (lots with events in the
window; only the CTEs in it are listed). CSV holds the sheet of all CTEs;
xlsx also one sheet per CTE type, each with a frozen header row and filters.
-o json prints the CTEs with their KDEs and gaps.`,
		Example: `  trustline report fsma204 --lot https://id.gs1.org/01/09506000134352/10/L1 --node http://127.0.0.1:8480
  trustline report fsma204 --gtin 09506000134352 --format xlsx --out fsma204.xlsx
  trustline report fsma204 --from 2026-06-01 --to 2026-06-15 -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := sf.check(ios); err != nil {
				return err
			}
			ctes, err := sel.ctes(cmd.Context(), lo)
			if err != nil {
				return err
			}
			return sf.write(ios, report.FSMATable(ctes), nonNil(ctes), nil)
		},
	}
	sel.addFlags(cmd)
	sf.addFlags(cmd, false)
	return cmd
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func newKDECmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var sel selection
	var sf sheetFlags
	var by string
	cmd := &cobra.Command{
		Use:   "kde",
		Short: "Which Critical Tracking Events lack which Key Data Elements, per product, lot or member",
		Long: `Report the KDE completeness of the selected lots' Critical Tracking Events,
grouped --by product, lot or member (the organisation that recorded the
event): how many CTEs each has, how many carry every KDE their FSMA 204
section requires, and which KDEs are missing how often, with the CFR
paragraph and why. --format csv|xlsx writes it as a spreadsheet.`,
		Example: `  trustline report kde --gtin 09506000134352 --by member --node http://127.0.0.1:8480
  trustline report kde --lot https://id.gs1.org/01/09506000134352/10/L1 -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := sf.check(ios); err != nil {
				return err
			}
			if by != report.ByProduct && by != report.ByLot && by != report.ByMember {
				return cmdutil.UsageError("unknown --by %q: use product, lot or member", by)
			}
			ctes, err := sel.ctes(cmd.Context(), lo)
			if err != nil {
				return err
			}
			groups, err := report.Completeness(ctes, by)
			if err != nil {
				return err
			}
			return sf.write(ios, report.CompletenessTable(groups, by), nonNil(groups), func(w io.Writer) error { return kdeTable(w, groups, by) })
		},
	}
	sel.addFlags(cmd)
	sf.addFlags(cmd, true)
	cmd.Flags().StringVar(&by, "by", report.ByProduct, "group by product, lot or member")
	return cmd
}

func kdeTable(w io.Writer, groups []report.Group, by string) error {
	if len(groups) == 0 {
		_, err := fmt.Fprintln(w, "No critical tracking events.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, g := range groups {
		fmt.Fprintf(tw, "%s %s: %d of %d CTEs complete\n", strings.ToUpper(by[:1])+by[1:], g.Key, g.Complete, g.CTEs)
		for _, m := range g.Missing {
			fmt.Fprintf(tw, "  %s\t%s\t%s\tmissing in %d\t%s\n", m.CTE, m.Name, m.CFR, m.Count, m.Reason)
		}
	}
	return tw.Flush()
}

func newEUCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var lot, member string
	var sf sheetFlags
	cmd := &cobra.Command{
		Use:   "eu178",
		Short: "EU 178/2002 one step back and one step forward of a lot for a member, with the items of 931/2011",
		Long: `Report, for --member (an MSP id), one step back (the suppliers it received the lot
or its ingredients from, and its own production) and one step forward (the
business customers it shipped them to), as Regulation (EC) 178/2002 art. 18
requires, each with the eight items of Regulation (EU) 931/2011 art. 3(1) for
food of animal origin: description, quantity, dispatcher, consignor,
recipient, consignee, lot reference and date of dispatch. Items the records
do not hold are named in the column "Not recorded".`,
		Example: `  trustline report eu178 --lot https://id.gs1.org/01/09506000134352/10/L1 --member SupplierMSP --node http://127.0.0.1:8480
  trustline report eu178 --lot https://id.gs1.org/01/09506000134352/10/L1 --member BrandMSP --format xlsx --out eu.xlsx`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := sf.check(ios); err != nil {
				return err
			}
			if lot == "" || member == "" {
				return cmdutil.UsageError("eu178 needs --lot LINK and --member MSP")
			}
			s, err := selection{lot: lot}.get()
			if err != nil {
				return err
			}
			traces, err := collect(cmd.Context(), lo, s)
			if err != nil {
				return err
			}
			ms, err := report.EU178(traces, member)
			if err != nil {
				return err
			}
			return sf.write(ios, report.EUTable(ms), nonNil(ms), nil)
		},
	}
	cmd.Flags().StringVar(&lot, "lot", "", "the lot's Digital Link")
	cmd.Flags().StringVar(&member, "member", "", "the member (MSP id) whose steps back and forward to list")
	sf.addFlags(cmd, false)
	return cmd
}

func newExpiringCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var within, asOf string
	var sf sheetFlags
	cmd := &cobra.Command{
		Use:   "expiring",
		Short: "Lots that expire soon, per custodian, with days to expiry",
		Long: `List the lots the node knows that expire within --within (days such as 7d, or a
duration such as 36h) of now (or --as-of), by custodian: days to expiry,
remaining quantity, serialised units and status. Expired lots are left out.`,
		Example: `  trustline report expiring --within 7d --node http://127.0.0.1:8480
  trustline report expiring --within 14d --format csv --out expiring.csv`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := sf.check(ios); err != nil {
				return err
			}
			w, err := report.ParseWithin(within)
			if err != nil {
				return cmdutil.UsageError("--within: %v", err)
			}
			now := time.Now()
			if asOf != "" {
				if now, err = parseTime("--as-of", asOf); err != nil {
					return err
				}
			}
			traces, err := collect(cmd.Context(), lo, report.Selection{All: true})
			if err != nil {
				return err
			}
			es := report.ExpiringLots(traces, now, w)
			tab := report.ExpiringTable(es)
			return sf.write(ios, tab, nonNil(es), func(w io.Writer) error {
				if len(es) == 0 {
					_, err := fmt.Fprintln(w, "No lots expire in the window.")
					return err
				}
				return sheetText(w, tab.Sheets[0])
			})
		},
	}
	cmd.Flags().StringVar(&within, "within", "7d", "the window: days (7d) or a duration (36h)")
	cmd.Flags().StringVar(&asOf, "as-of", "", "count from this time or date instead of now")
	sf.addFlags(cmd, true)
	return cmd
}

// sheetText prints a sheet as aligned columns under an upper-case header.
func sheetText(w io.Writer, s report.Sheet) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(s.Header, "\t")))
	for _, row := range s.Rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
