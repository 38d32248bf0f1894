// Package tracecmd implements `trustline trace` (a lot's or unit's history
// from its Digital Link or QR code) and `trustline events query` (EPCIS
// queries of a member node).
package tracecmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

// NewCmd returns `trustline trace`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	var output, receiptFile string
	cmd := &cobra.Command{
		Use:   "trace <DIGITAL-LINK | QR-IMAGE>",
		Short: "Trace a lot or unit from its GS1 Digital Link or a photo of its QR code",
		Long: `Trace a lot or serialised unit: status (recalled, breach, in transit),
custodian, origin, the lots it was made from and those made from it, and its
EPCIS events. The argument is a GS1 Digital Link URI (any resolver host) or a
PNG/JPEG image of the QR code printed on the pack.

With --node (or TRUSTLINE_NODE) the trace comes from that member node's
index, events included; otherwise from the ledger through the gateway of
--profile or the TRUSTLINE_* identity.`,
		Example: `  trustline trace https://id.gs1.org/01/09506000134352/10/L1 --node http://127.0.0.1:8080
  trustline trace https://id.gs1.org/01/09506000134352/10/L1 --node http://127.0.0.1:8080 --receipt l1.json
  trustline trace pack-photo.jpg --profile brand
  trustline trace 'https://example.com/01/09506000134369/10/S1/21/0001' -o json`,
		Args: cmdutil.ExactArgs(1, "a Digital Link or a QR code image"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			link, err := ResolveArg(args[0])
			if err != nil {
				return err
			}
			tr, err := trace(cmd.Context(), lo, link)
			if err != nil {
				return err
			}
			if receiptFile != "" {
				if err := writeReceipt(cmd.Context(), lo, link, receiptFile); err != nil { // receipt.go
					return err
				}
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(tr, func(w io.Writer) error { return traceTable(w, tr) })
		},
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmdutil.AddOutputFlag(cmd, &output)
	cmd.Flags().StringVar(&receiptFile, "receipt", "", "also write the trace receipt (anchors and Merkle paths, for trustline verify) to `FILE`; needs --node")
	return cmd
}

// ResolveArg turns trace's argument into a lot or unit Digital Link: a
// URI as is, or an existing image file's QR code.
func ResolveArg(arg string) (digitallink.Link, error) {
	text := arg
	if !strings.Contains(arg, "://") {
		f, err := os.Open(arg)
		if err != nil {
			return digitallink.Link{}, cmdutil.UsageError("%q is neither a Digital Link URI nor a readable image: %v", arg, err)
		}
		defer f.Close()
		if text, err = DecodeQR(f); err != nil {
			return digitallink.Link{}, cmdutil.UsageError("%s: %v", arg, err)
		}
	}
	l, err := digitallink.Parse(text)
	if err != nil {
		return l, cmdutil.UsageError("%v", err)
	}
	if lv := l.Level(); lv != digitallink.Lot && lv != digitallink.Unit {
		return l, cmdutil.UsageError("%s identifies a %s; trace takes a lot or unit Digital Link", text, lv)
	}
	l.Query = nil
	return l, nil
}

// traceLedger is what trace asks the ledger when no node is given.
type traceLedger interface {
	Unit(ctx context.Context, unit string, opts ...client.CallOption) (*ledger.Unit, error)
	Lot(ctx context.Context, lot string, opts ...client.CallOption) (*ledger.LotSummary, error)
	Upstream(ctx context.Context, lot string, opts ...client.CallOption) (*ledger.Trace, error)
	Downstream(ctx context.Context, lot string, opts ...client.CallOption) (*ledger.Trace, error)
	Product(ctx context.Context, gtin string, opts ...client.CallOption) (*ledger.Product, error)
	LotEvents(ctx context.Context, lot string, opts ...client.CallOption) (json.RawMessage, error)
	Close() error
}

func trace(ctx context.Context, lo *cmdutil.LedgerOptions, l digitallink.Link) (*nodeclient.Trace, error) {
	if lo.NodeURL() != "" {
		nc, err := lo.NodeClient()
		if err != nil {
			return nil, err
		}
		tr, err := nc.Trace(ctx, l.String())
		return tr, cmdutil.LedgerError(err)
	}
	c, err := cmdutil.Ledger[traceLedger](ctx, lo)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	tr := &nodeclient.Trace{ID: l.String()}
	if l.Serial != "" {
		u, err := c.Unit(ctx, l.String())
		if err != nil {
			return nil, cmdutil.LedgerError(err)
		}
		tr.Unit = u
	}
	lot := l.LotLink().String()
	steps := []func() error{
		func() error { v, err := c.Lot(ctx, lot); setIf(&tr.Lot, v); return err },
		func() error { v, err := c.Upstream(ctx, lot); setIf(&tr.Upstream, v); return err },
		func() error { v, err := c.Downstream(ctx, lot); setIf(&tr.Downstream, v); return err },
		func() error { v, err := c.Product(ctx, l.GTIN); tr.Product = v; return err },
		func() error {
			doc, err := c.LotEvents(ctx, lot)
			if err != nil {
				return err
			}
			var d struct {
				Body struct {
					Events []json.RawMessage `json:"eventList"`
				} `json:"epcisBody"`
			}
			if err := json.Unmarshal(doc, &d); err != nil {
				return err
			}
			tr.Events = d.Body.Events
			return nil
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, cmdutil.LedgerError(err)
		}
	}
	tr.Recall = tr.Lot.Recall
	return tr, nil
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func traceTable(w io.Writer, tr *nodeclient.Trace) error {
	if tr.Product != nil {
		fmt.Fprintf(w, "%s (%s)\n", tr.Product.Name, tr.Product.Brand)
	}
	if tr.Unit != nil {
		fmt.Fprintf(w, "Unit %s\n", tr.Unit.ID)
	}
	if err := cmdutil.LotTable(w, &tr.Lot); err != nil {
		return err
	}
	if o := tr.Lot.Origin; o != nil {
		place := o.Place.Location
		if a := o.Place.Address; a != nil {
			place = strings.Trim(a.City+", "+a.Country, ", ")
		}
		fmt.Fprintf(w, "Origin: %s, %s, %s\n", o.Producer, place, o.FarmingPractice)
	}
	for _, part := range []struct {
		name string
		t    ledger.Trace
	}{{"Made from", tr.Upstream}, {"Made into", tr.Downstream}} {
		for _, l := range part.t.Lots {
			fmt.Fprintf(w, "%s: %s (%s)\n", part.name, l.ID, l.Status)
		}
	}
	fmt.Fprintf(w, "Events: %d\n", len(tr.Events))
	for _, raw := range tr.Events {
		var ev struct {
			Type    string `json:"type"`
			Time    string `json:"eventTime"`
			BizStep string `json:"bizStep"`
		}
		_ = json.Unmarshal(raw, &ev)
		fmt.Fprintf(w, "  %s  %-20s %s\n", ev.Time, ev.Type, ev.BizStep)
	}
	return nil
}

// NewEventsCmd returns `trustline events`.
func NewEventsCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Query a member node's EPCIS 2.0 events",
		Args:  cmdutil.NoArgs,
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	var q nodeclient.Query
	var from, until, output string
	var all bool
	query := &cobra.Command{
		Use:   "query",
		Short: "Run an EPCIS query on a node and print the matching events",
		Long: `Run an EPCIS 2.0 SimpleEventQuery subset on the node (--node or TRUSTLINE_NODE)
and print its EPCISQueryDocument (-o json) or one line per event. With --all,
follow the pages and print every event.`,
		Example: `  trustline events query --node http://127.0.0.1:8080 --epc-class https://id.gs1.org/01/09506000134352/10/L1
  trustline events query --biz-step shipping --from 2025-06-01T00:00:00Z --all -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			for _, t := range []struct {
				flag, v string
				dst     *time.Time
			}{{"--from", from, &q.GETime}, {"--until", until, &q.LTTime}} {
				if t.v == "" {
					continue
				}
				v, err := time.Parse(time.RFC3339Nano, t.v)
				if err != nil {
					return cmdutil.UsageError("%s %q is not an RFC 3339 time", t.flag, t.v)
				}
				*t.dst = v
			}
			nc, err := lo.NodeClient()
			if err != nil {
				return err
			}
			var events []json.RawMessage
			var doc json.RawMessage
			for {
				page, err := nc.Events(cmd.Context(), q)
				if err != nil {
					return cmdutil.LedgerError(err)
				}
				events, doc = append(events, page.Events...), page.Document
				if !all || page.NextPageToken == "" {
					break
				}
				q.PageToken = page.NextPageToken
			}
			if output == cmdutil.OutputJSON {
				if all {
					return cmdutil.PrintJSON(ios.Out, events)
				}
				return cmdutil.PrintJSON(ios.Out, doc)
			}
			return traceTable(ios.Out, &nodeclient.Trace{Events: events})
		},
	}
	fs := query.Flags()
	// A lot's events include the transformations it went into or came out
	// of: MATCH_anyEPCClass (MATCH_epcClass is quantityList and
	// childQuantityList only).
	fs.StringArrayVar(&q.MatchAnyEPCClass, "epc-class", nil, "MATCH_anyEPCClass: a lot's Digital Link, its events (repeatable)")
	fs.StringArrayVar(&q.MatchAnyEPC, "any-epc", nil, "MATCH_anyEPC: a unit or SSCC Digital Link (repeatable)")
	fs.StringArrayVar(&q.MatchEPC, "epc", nil, "MATCH_epc (repeatable)")
	fs.StringArrayVar(&q.BizStep, "biz-step", nil, "EQ_bizStep, e.g. shipping (repeatable)")
	fs.StringVar(&from, "from", "", "GE_eventTime, RFC 3339")
	fs.StringVar(&until, "until", "", "LT_eventTime, RFC 3339")
	fs.IntVar(&q.PerPage, "per-page", 0, "events per page")
	fs.StringVar(&q.PageToken, "page-token", "", "nextPageToken of the previous page")
	fs.BoolVar(&all, "all", false, "follow every page")
	cmdutil.AddOutputFlag(query, &output)
	cmd.AddCommand(query)
	return cmd
}
