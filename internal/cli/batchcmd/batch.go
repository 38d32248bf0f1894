// Package batchcmd implements `trustline batch`: a supplier's batches
// (lots) and transformations, and reading a lot's record.
package batchcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
)

// NewCmd returns the batch command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "batch",
		Short: "Create and transform batches (suppliers); show a lot",
		Args:  cmdutil.NoArgs,
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.AddCommand(newCreateCmd(ios, lo), newTransformCmd(ios, lo), newShowCmd(ios, lo), newEventsCmd(ios, lo))
	return cmd
}

// batchLedger is what the batch commands call of the ledger client.
type batchLedger interface {
	CreateBatch(ctx context.Context, req ledger.BatchRequest, opts ...client.CallOption) (*ledger.LotSummary, error)
	Transform(ctx context.Context, req ledger.TransformRequest, opts ...client.CallOption) ([]ledger.LotSummary, error)
	Lot(ctx context.Context, lot string, opts ...client.CallOption) (*ledger.LotSummary, error)
	Upstream(ctx context.Context, lot string, opts ...client.CallOption) (*ledger.Trace, error)
	Downstream(ctx context.Context, lot string, opts ...client.CallOption) (*ledger.Trace, error)
	LotEvents(ctx context.Context, lot string, opts ...client.CallOption) (json.RawMessage, error)
	Close() error
}

type createOptions struct {
	file     string
	output   string
	req      ledger.BatchRequest
	value    string
	uom      string
	lat, lon float64
	address  ledger.Address
	bizTx    []string
}

func newCreateCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Record a batch's origin; your organisation holds the new lot",
		Long: `Record a batch (Batch:CreateBatch): product, lot number, quantity, producer,
place of production, production time and expiry. Only a supplier may. The
lot's id is its GS1 Digital Link, https://id.gs1.org/01/{GTIN-14}/10/{lot}.

The request is flags or a JSON/YAML file (-f) in the form of
ledger.BatchRequest (gtin, lot, quantity {value, uom}, producer, place {geo,
address, location}, producedAt, expiry, farmingPractice, evidence).`,
		Example: `  trustline batch create --profile supplier --gtin 09506000134352 --lot L1 \
    --quantity 1000 --uom KGM --producer 9506000134376 --lat 41.9 --lon 12.5 \
    --city Roma --country IT --produced-at 2025-06-01T06:00:00Z \
    --expiry 2025-06-15T00:00:00Z --farming-practice organic
  trustline batch create -f batch.yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(o.output); err != nil {
				return err
			}
			if err := cmdutil.ExclusiveInput(o.file, cmd.Flags().Changed("gtin") || cmd.Flags().Changed("lot")); err != nil {
				return err
			}
			req := o.req
			if o.file != "" {
				if err := cmdutil.LoadInput(o.file, ios.In, &req); err != nil {
					return err
				}
			} else {
				if req.GTIN == "" || req.Lot == "" {
					return cmdutil.UsageError("--gtin and --lot are required (or give the request with -f)\n\n%s", cmd.UsageString())
				}
				req.Quantity = ledger.Quantity{Value: o.value, UOM: o.uom}
				if cmd.Flags().Changed("lat") || cmd.Flags().Changed("lon") {
					req.Place.Geo = &ledger.Geo{Latitude: o.lat, Longitude: o.lon}
				}
				if o.address != (ledger.Address{}) {
					a := o.address
					req.Place.Address = &a
				}
				var err error
				if req.BizTransactions, err = bizTransactions(o.bizTx); err != nil {
					return err
				}
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, o.output,
				func(ctx context.Context, c batchLedger) (*ledger.LotSummary, error) { return c.CreateBatch(ctx, req) },
				cmdutil.LotTable)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "JSON or YAML request file (- for standard input)")
	f.StringVar(&o.req.GTIN, "gtin", "", "the product's GTIN")
	f.StringVar(&o.req.Lot, "lot", "", "lot (batch) number")
	f.StringVar(&o.value, "quantity", "", "quantity, a decimal number")
	f.StringVar(&o.uom, "uom", "KGM", "unit of the quantity (UN/CEFACT Rec. 20: KGM, LTR, H87, ...)")
	f.StringVar(&o.req.Producer, "producer", "", "the producer's GLN")
	f.Float64Var(&o.lat, "lat", 0, "latitude of the place of production (WGS 84)")
	f.Float64Var(&o.lon, "lon", 0, "longitude of the place of production (WGS 84)")
	f.StringVar(&o.req.Place.Location, "location", "", "SGLN Digital Link of the field or plant (optional)")
	f.StringVar(&o.address.Street, "street", "", "street of the place of production")
	f.StringVar(&o.address.City, "city", "", "city of the place of production")
	f.StringVar(&o.address.PostalCode, "postal-code", "", "postal code of the place of production")
	f.StringVar(&o.address.Country, "country", "", "ISO 3166-1 alpha-2 country of the place of production")
	f.StringVar(&o.req.ProducedAt, "produced-at", "", "harvest or production time, RFC 3339")
	f.StringVar(&o.req.Expiry, "expiry", "", "expiry, RFC 3339")
	f.StringVar(&o.req.FarmingPractice, "farming-practice", "", "farming practice (organic, conventional, ...)")
	f.StringArrayVar(&o.bizTx, "biz-transaction", nil, "reference document of the harvest, TYPE=ID (po, ...; repeatable)")
	cmdutil.AddOutputFlag(cmd, &o.output)
	return cmd
}

type transformOptions struct {
	file     string
	output   string
	inputs   []string
	outputs  []string
	location string
	bizTx    []string
}

// bizTransactions parses --biz-transaction values, TYPE=ID each.
func bizTransactions(vs []string) ([]ledger.BizTransaction, error) {
	var out []ledger.BizTransaction
	for _, v := range vs {
		typ, id, ok := strings.Cut(v, "=")
		if !ok || typ == "" || id == "" {
			return nil, cmdutil.UsageError("--biz-transaction %q is not TYPE=ID", v)
		}
		out = append(out, ledger.BizTransaction{Type: typ, ID: id})
	}
	return out, nil
}

func newTransformCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	o := &transformOptions{}
	cmd := &cobra.Command{
		Use:   "transform",
		Short: "Turn quantities of lots you hold into new lots",
		Long: `Record a transformation (Batch:Transform): quantities of input lots your
organisation holds become new output lots it holds; the ledger keeps the
graph, so a recall of an input extends to the outputs.

--input LOT=VALUE UOM takes a quantity of a lot (its Digital Link);
--make GTIN/LOT=VALUE UOM@EXPIRY makes a lot. Both repeat. Or give a
ledger.TransformRequest (inputs, outputs) as a JSON/YAML file with -f.`,
		Example: `  trustline batch transform --profile supplier \
    --input 'https://id.gs1.org/01/09506000134352/10/L1=600 KGM' \
    --make '09506000134369/S1=1200 H87@2026-06-01T00:00:00Z'
  trustline batch transform -f transform.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(o.output); err != nil {
				return err
			}
			if err := cmdutil.ExclusiveInput(o.file, len(o.inputs)+len(o.outputs) > 0); err != nil {
				return err
			}
			var req ledger.TransformRequest
			if o.file != "" {
				if err := cmdutil.LoadInput(o.file, ios.In, &req); err != nil {
					return err
				}
			} else {
				var err error
				if req, err = ParseTransform(o.inputs, o.outputs); err != nil {
					return cmdutil.UsageError("%v\n\n%s", err, cmd.UsageString())
				}
				req.Location = o.location
				if req.BizTransactions, err = bizTransactions(o.bizTx); err != nil {
					return err
				}
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, o.output,
				func(ctx context.Context, c batchLedger) ([]ledger.LotSummary, error) { return c.Transform(ctx, req) },
				cmdutil.LotsTable)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "JSON or YAML request file (- for standard input)")
	f.StringArrayVar(&o.inputs, "input", nil, "input lot and quantity: LOT=VALUE UOM (repeatable)")
	f.StringArrayVar(&o.outputs, "make", nil, "output lot: GTIN/LOT=VALUE UOM@EXPIRY (repeatable)")
	f.StringVar(&o.location, "location", "", "GLN (or GLN Digital Link) of the place of the transformation (FSMA 204's traceability lot code source)")
	f.StringArrayVar(&o.bizTx, "biz-transaction", nil, "reference document, TYPE=ID (prodorder, po, ...; repeatable)")
	cmdutil.AddOutputFlag(cmd, &o.output)
	return cmd
}

// ParseTransform builds a transformation from --input and --make values.
func ParseTransform(inputs, outputs []string) (ledger.TransformRequest, error) {
	var req ledger.TransformRequest
	if len(inputs) == 0 || len(outputs) == 0 {
		return req, fmt.Errorf("a transformation needs at least one --input and one --make")
	}
	for _, in := range inputs {
		lot, q, ok := strings.Cut(in, "=")
		if !ok || lot == "" {
			return req, fmt.Errorf("--input %q is not LOT=VALUE UOM", in)
		}
		qty, err := parseQuantity(q)
		if err != nil {
			return req, fmt.Errorf("--input %q: %v", in, err)
		}
		req.Inputs = append(req.Inputs, ledger.LotQuantity{Lot: lot, Quantity: qty})
	}
	for _, out := range outputs {
		id, rest, ok := strings.Cut(out, "=")
		gtin, lot, ok2 := strings.Cut(id, "/")
		q, expiry, ok3 := strings.Cut(rest, "@")
		if !ok || !ok2 || !ok3 || gtin == "" || lot == "" || expiry == "" {
			return req, fmt.Errorf("--make %q is not GTIN/LOT=VALUE UOM@EXPIRY", out)
		}
		qty, err := parseQuantity(q)
		if err != nil {
			return req, fmt.Errorf("--make %q: %v", out, err)
		}
		req.Outputs = append(req.Outputs, ledger.TransformOutput{GTIN: gtin, Lot: lot, Quantity: qty, Expiry: expiry})
	}
	return req, nil
}

func parseQuantity(s string) (ledger.Quantity, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return ledger.Quantity{}, fmt.Errorf("quantity %q is not VALUE UOM (e.g. 600 KGM)", s)
	}
	return ledger.Quantity{Value: f[0], UOM: f[1]}, nil
}

func newShowCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output, direction string
	cmd := &cobra.Command{
		Use:   "show LOT",
		Short: "Show a lot's state, or the lots up- or downstream of it",
		Long: `Show a lot (Query:GetLot) by its Digital Link: status (a lot made from a
recalled lot shows as recalled), custodian, quantities and counts. With
--direction upstream or downstream, list the lots it was made from or that
were made from it.`,
		Example: `  trustline batch show https://id.gs1.org/01/09506000134352/10/L1 --profile brand
  trustline batch show https://id.gs1.org/01/09506000134369/10/S1 --direction upstream -o json`,
		Args: cmdutil.ExactArgs(1, "a lot's Digital Link"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			if direction != "" && direction != ledger.Upstream && direction != ledger.Downstream {
				return cmdutil.UsageError("--direction %q: use upstream or downstream", direction)
			}
			c, err := cmdutil.Ledger[batchLedger](cmd.Context(), lo)
			if err != nil {
				return err
			}
			defer c.Close()
			p := cmdutil.Printer{Format: output, Out: ios.Out}
			if direction == "" {
				l, err := c.Lot(cmd.Context(), args[0])
				if err != nil {
					return cmdutil.LedgerError(err)
				}
				return p.Print(l, func(w io.Writer) error { return cmdutil.LotTable(w, l) })
			}
			get := c.Upstream
			if direction == ledger.Downstream {
				get = c.Downstream
			}
			tr, err := get(cmd.Context(), args[0])
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			return p.Print(tr, func(w io.Writer) error { return cmdutil.LotsTable(w, tr.Lots) })
		},
	}
	cmd.Flags().StringVar(&direction, "direction", "", "upstream or downstream")
	_ = cmd.RegisterFlagCompletionFunc("direction", cobra.FixedCompletions([]string{ledger.Upstream, ledger.Downstream}, cobra.ShellCompDirectiveNoFileComp))
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newEventsCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "events LOT",
		Short:   "Print a lot's EPCIS 2.0 events from the ledger, as an EPCIS document",
		Example: `  trustline batch events https://id.gs1.org/01/09506000134352/10/L1 --profile lab > l1.jsonld`,
		Args:    cmdutil.ExactArgs(1, "a lot's Digital Link"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, cmdutil.OutputJSON,
				func(ctx context.Context, c batchLedger) (json.RawMessage, error) { return c.LotEvents(ctx, args[0]) }, nil)
		},
	}
	return cmd
}
