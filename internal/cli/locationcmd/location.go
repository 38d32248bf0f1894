// Package locationcmd implements `trustline location`: location master
// data (GLN/SGLN → name, address, position, parent, time zone), recorded on
// the ledger by the place's owner.
package locationcmd

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
)

// NewCmd returns the location command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "location",
		Short: "Record and show location master data (GLN, SGLN)",
		Args:  cmdutil.NoArgs,
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.AddCommand(newSetCmd(ios, lo), newShowCmd(ios, lo))
	return cmd
}

// locationLedger is what the location commands call of the ledger client.
type locationLedger interface {
	SetLocation(ctx context.Context, req ledger.LocationRequest, opts ...client.CallOption) (*ledger.Location, error)
	Location(ctx context.Context, id string, opts ...client.CallOption) (*ledger.Location, error)
	Close() error
}

type setOptions struct {
	file, output string
	geo          string
	req          ledger.LocationRequest
	addr         ledger.Address
}

func newSetCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	o := &setOptions{}
	cmd := &cobra.Command{
		Use:   "set GLN",
		Short: "Record or update a location; your organisation owns a location it records first",
		Long: `Record a location's master data (Location:SetLocation): its name, postal
address, position, the location it is part of (a dock of a warehouse) and its
IANA time zone, for the places pages show and the local times they show them
in. GLN is a 13-digit GLN or a GLN Digital Link (/414/{gln}[/254/{extension}]
for an SGLN). Nodes answer EPCIS WD_bizLocation and WD_readPoint with a
location's descendants through the parents.

Any member may record a location no one has; only its owner may change it. A
parent must be recorded first. The request is flags or a JSON/YAML file (-f)
with the fields id, name, address {street, city, postalCode, region, country},
geo {latitude, longitude}, parent and timeZone.`,
		Example: `  trustline location set 9506000134383 --name "Central warehouse" --city Hamburg --country DE \
    --geo 53.54,9.98 --time-zone Europe/Berlin
  trustline location set https://id.gs1.org/414/9506000134383/254/dock1 --name "Dock 1" \
    --parent 9506000134383
  trustline location set -f location.yaml -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(o.output); err != nil {
				return err
			}
			if err := cmdutil.ExclusiveInput(o.file, len(args) > 0); err != nil {
				return err
			}
			if o.file != "" {
				if err := cmdutil.LoadInput(o.file, ios.In, &o.req); err != nil {
					return err
				}
			} else {
				if len(args) == 0 {
					return cmdutil.UsageError("set takes a GLN (or the request with -f)\n\n%s", cmd.UsageString())
				}
				o.req.ID = args[0]
				if o.addr != (ledger.Address{}) {
					a := o.addr
					o.req.Address = &a
				}
				if o.geo != "" {
					g, err := parseGeo(o.geo)
					if err != nil {
						return cmdutil.UsageError("--geo: %v", err)
					}
					o.req.Geo = g
				}
			}
			if _, err := ledger.LocationID(o.req.ID); err != nil {
				return cmdutil.UsageError("%v", err)
			}
			c, err := cmdutil.Ledger[locationLedger](cmd.Context(), lo)
			if err != nil {
				return err
			}
			defer c.Close()
			l, err := c.SetLocation(cmd.Context(), o.req)
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			return cmdutil.Printer{Format: o.output, Out: ios.Out}.Print(l, func(w io.Writer) error { return table(w, l) })
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "JSON or YAML request file (- for standard input)")
	f.StringVar(&o.req.Name, "name", "", "the place's name")
	f.StringVar(&o.addr.Street, "street", "", "street address")
	f.StringVar(&o.addr.City, "city", "", "city")
	f.StringVar(&o.addr.PostalCode, "postal-code", "", "postal code")
	f.StringVar(&o.addr.Region, "region", "", "region or state")
	f.StringVar(&o.addr.Country, "country", "", "ISO 3166-1 alpha-2 country code")
	f.StringVar(&o.geo, "geo", "", "position as `LAT,LON` in degrees")
	f.StringVar(&o.req.Parent, "parent", "", "the `GLN` of the location this one is part of")
	f.StringVar(&o.req.TimeZone, "time-zone", "", "IANA time zone, e.g. Europe/Berlin")
	cmdutil.AddOutputFlag(cmd, &o.output)
	return cmd
}

// parseGeo reads LAT,LON.
func parseGeo(s string) (*ledger.Geo, error) {
	a, b, ok := strings.Cut(s, ",")
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%q is not LAT,LON", s)
	}
	return &ledger.Geo{Latitude: lat, Longitude: lon}, nil
}

func newShowCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "show GLN",
		Short:   "Show a location's master data",
		Example: `  trustline location show 9506000134383`,
		Args:    cmdutil.ExactArgs(1, "a GLN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c locationLedger) (*ledger.Location, error) { return c.Location(ctx, args[0]) },
				table)
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func table(w io.Writer, l *ledger.Location) error {
	rows := [][2]string{{"Location", l.ID}, {"Name", l.Name}}
	if a := l.Address; a != nil {
		var parts []string
		for _, p := range []string{a.Street, strings.TrimSpace(a.PostalCode + " " + a.City), a.Region, a.Country} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		rows = append(rows, [2]string{"Address", strings.Join(parts, ", ")})
	}
	if g := l.Geo; g != nil {
		rows = append(rows, [2]string{"Position", fmt.Sprintf("%g, %g", g.Latitude, g.Longitude)})
	}
	if l.Parent != "" {
		rows = append(rows, [2]string{"Part of", l.Parent})
	}
	if l.TimeZone != "" {
		rows = append(rows, [2]string{"Time zone", l.TimeZone})
	}
	return cmdutil.Fields(w, append(rows, [2]string{"Owner", l.Owner}, [2]string{"Updated", l.UpdatedAt})...)
}
