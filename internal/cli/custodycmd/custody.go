// Package custodycmd implements the custody commands of whoever holds a lot:
// `trustline ship`, `trustline receive`, `trustline readings add`,
// `trustline pack` and `trustline unpack`.
package custodycmd

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

// custodyLedger is what the custody commands call of the ledger client.
type custodyLedger interface {
	Ship(ctx context.Context, req ledger.ShipRequest, opts ...client.CallOption) (*ledger.Shipment, error)
	Receive(ctx context.Context, req ledger.ReceiveRequest, opts ...client.CallOption) (*ledger.Shipment, error)
	RecordReadings(ctx context.Context, req ledger.ReadingsRequest, opts ...client.CallOption) (*ledger.LotSummary, error)
	Pack(ctx context.Context, req ledger.PackRequest, opts ...client.CallOption) (*ledger.LogisticUnit, error)
	Unpack(ctx context.Context, sscc string, opts ...client.CallOption) (*ledger.LogisticUnit, error)
	Close() error
}

// subjectFlags name what moves: a lot or a logistic unit.
type subjectFlags struct {
	lot, unit string
	csv       string
	device    string
}

func (s *subjectFlags) add(cmd *cobra.Command, readingsHelp string) {
	fs := cmd.Flags()
	fs.StringVar(&s.lot, "lot", "", "the lot's Digital Link")
	fs.StringVar(&s.unit, "logistic-unit", "", "the logistic unit's SSCC or SSCC Digital Link, instead of --lot")
	fs.StringVar(&s.csv, "readings", "", readingsHelp+" (a data logger's CSV, - for standard input)")
	fs.StringVar(&s.device, "device", "", "device id for CSV rows without a device column")
	_ = cmd.MarkFlagFilename("readings", "csv")
}

func (s *subjectFlags) check(cmd *cobra.Command) error {
	if (s.lot == "") == (s.unit == "") {
		return cmdutil.UsageError("give exactly one of --lot and --logistic-unit\n\n%s", cmd.UsageString())
	}
	return nil
}

func (s *subjectFlags) readings(in io.Reader) ([]ledger.Reading, error) {
	if s.csv == "" {
		return nil, nil
	}
	r := in
	if s.csv != "-" {
		f, err := os.Open(s.csv)
		if err != nil {
			return nil, cmdutil.UsageError("%v", err)
		}
		defer f.Close()
		r = f
	}
	rs, err := ParseReadingsCSV(r, s.device)
	if err != nil {
		return nil, cmdutil.UsageError("%s: %v", s.csv, err)
	}
	return rs, nil
}

// NewShipCmd returns `trustline ship`.
func NewShipCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	var s subjectFlags
	var file, output string
	var req ledger.ShipRequest
	var bizTx []string
	cmd := &cobra.Command{
		Use:   "ship",
		Short: "Ship a lot or logistic unit you hold to another member",
		Long: `Ship (Custody:Ship) a lot or logistic unit your organisation holds to another
member (--to, its MSP id) and place (--destination, a GLN). Only the current
custodian may; the lot is in transit until the recipient receives it.
Readings taken at dispatch may come with it (--readings FILE.csv).

` + CSVFormat + `

Or give a ledger.ShipRequest as a JSON/YAML file with -f.`,
		Example: `  trustline ship --profile supplier --lot https://id.gs1.org/01/09506000134352/10/L1 \
    --to LogisticsMSP --destination 9506000134383 --biz-transaction desadv=DESADV-1 --readings logger.csv
  trustline ship -f shipment.yaml -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			if err := cmdutil.ExclusiveInput(file, s.lot != "" || s.unit != "" || req.To != ""); err != nil {
				return err
			}
			r := req
			if file != "" {
				if err := cmdutil.LoadInput(file, ios.In, &r); err != nil {
					return err
				}
			} else {
				if err := s.check(cmd); err != nil {
					return err
				}
				r.Lot, r.LogisticUnit = s.lot, s.unit
				for _, bt := range bizTx {
					typ, id, ok := cutEq(bt)
					if !ok {
						return cmdutil.UsageError("--biz-transaction %q is not TYPE=ID", bt)
					}
					r.BizTransactions = append(r.BizTransactions, ledger.BizTransaction{Type: typ, ID: id})
				}
				var err error
				if r.Readings, err = s.readings(ios.In); err != nil {
					return err
				}
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c custodyLedger) (*ledger.Shipment, error) { return c.Ship(ctx, r) },
				cmdutil.ShipmentTable)
		},
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	s.add(cmd, "readings at dispatch")
	fs := cmd.Flags()
	fs.StringVarP(&file, "file", "f", "", "JSON or YAML request file (- for standard input)")
	fs.StringVar(&req.To, "to", "", "the recipient's MSP id")
	fs.StringVar(&req.Destination, "destination", "", "GLN (or GLN Digital Link) of the place shipped to")
	fs.StringVar(&req.Source, "source", "", "GLN (or GLN Digital Link) of the place shipped from (optional)")
	fs.StringArrayVar(&bizTx, "biz-transaction", nil, "business document, TYPE=ID (po, desadv, inv, bol; repeatable)")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func cutEq(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], i > 0 && i < len(s)-1
		}
	}
	return "", "", false
}

// NewReceiveCmd returns `trustline receive`.
func NewReceiveCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	var s subjectFlags
	var output string
	cmd := &cobra.Command{
		Use:   "receive",
		Short: "Receive a lot or logistic unit shipped to you",
		Long: `Receive (Custody:Receive) a lot or logistic unit shipped to your organisation;
custody moves to you. Only the named recipient may. Readings taken in transit
or at arrival may come with it (--readings FILE.csv).

` + CSVFormat,
		Example: `  trustline receive --profile logistics --lot https://id.gs1.org/01/09506000134352/10/L1 --readings arrival.csv`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			if err := s.check(cmd); err != nil {
				return err
			}
			rs, err := s.readings(ios.In)
			if err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c custodyLedger) (*ledger.Shipment, error) {
					return c.Receive(ctx, ledger.ReceiveRequest{Lot: s.lot, LogisticUnit: s.unit, Readings: rs})
				},
				cmdutil.ShipmentTable)
		},
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	s.add(cmd, "readings in transit or at arrival")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// NewReadingsCmd returns `trustline readings`.
func NewReadingsCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "readings",
		Short: "Record cold-chain readings of what you hold",
		Args:  cmdutil.NoArgs,
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	var s subjectFlags
	var output string
	add := &cobra.Command{
		Use:   "add",
		Short: "Record readings from a data logger's CSV export",
		Long: `Record cold-chain readings (Custody:RecordReadings) of a lot or logistic unit
your organisation holds. A reading outside the product's temperature range
flags the lot as in breach.

` + CSVFormat,
		Example: `  trustline readings add --profile logistics --lot https://id.gs1.org/01/09506000134352/10/L1 --readings logger.csv
  cat logger.csv | trustline readings add --lot ... --readings - --device truck-7`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			if err := s.check(cmd); err != nil {
				return err
			}
			if s.csv == "" {
				return cmdutil.UsageError("--readings FILE.csv is required\n\n%s", cmd.UsageString())
			}
			rs, err := s.readings(ios.In)
			if err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c custodyLedger) (*ledger.LotSummary, error) {
					return c.RecordReadings(ctx, ledger.ReadingsRequest{Lot: s.lot, LogisticUnit: s.unit, Readings: rs})
				},
				func(w io.Writer, l *ledger.LotSummary) error {
					fmt.Fprintf(w, "Recorded %d readings.\n", len(rs))
					return cmdutil.LotTable(w, l)
				})
		},
	}
	s.add(add, "the readings")
	cmdutil.AddOutputFlag(add, &output)
	cmd.AddCommand(add)
	return cmd
}
