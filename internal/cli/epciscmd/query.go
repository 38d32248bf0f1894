package epciscmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/nodeapi"
)

// filterFlags are the standard's query parameters as flags: each flag
// sets the parameter it names in its help, and --param any other.
type filterFlags struct {
	lists        map[string]*[]string // parameter → the flag's values
	since, until string
	orderBy      string
	order        string
	params       []string
}

// listFlags are the list flags and the parameter each sets.
var listFlags = []struct{ flag, param, help string }{
	{"type", nodeapi.ParamEventType, "ObjectEvent, AggregationEvent, TransformationEvent, …"},
	{"biz-step", nodeapi.ParamBizStep, "a CBV business step, e.g. shipping"},
	{"disposition", nodeapi.ParamDisposition, "a CBV disposition, e.g. in_transit"},
	{"biz-location", nodeapi.ParamBizLocation, "a business location (SGLN URN or GLN Digital Link)"},
	{"within-location", nodeapi.ParamWDBizLocation, "a business location or any location within it (location master data)"},
	{"read-point", nodeapi.ParamReadPoint, "a read point"},
	{"epc", nodeapi.ParamMatchEPC, "an EPC in epcList or childEPCs (a unit or SSCC: Digital Link or EPC URN)"},
	{"any-epc", nodeapi.ParamMatchAnyEPC, "an EPC anywhere in the event (parent, child, input, output)"},
	{"epc-class", nodeapi.ParamMatchEPCClass, "a class (a lot's Digital Link) in quantityList or childQuantityList"},
	{"event-id", nodeapi.ParamEventID, "an eventID"},
}

func addFilterFlags(cmd *cobra.Command, ff *filterFlags) {
	ff.lists = map[string]*[]string{}
	f := cmd.Flags()
	for _, l := range listFlags {
		v := new([]string)
		ff.lists[l.param] = v
		f.StringArrayVar(v, l.flag, nil, l.param+": "+l.help+" (repeatable: any of them)")
	}
	f.StringVar(&ff.since, "since", "", nodeapi.ParamGETime+": events at or after this time (RFC 3339, or a date: 2025-06-01)")
	f.StringVar(&ff.until, "until", "", nodeapi.ParamLTTime+": events before this time (RFC 3339, or a date)")
	f.StringVar(&ff.orderBy, "order-by", "", nodeapi.ParamOrderBy+": eventTime or recordTime")
	f.StringVar(&ff.order, "order", "", nodeapi.ParamOrderDirection+": ASC or DESC (with --order-by; default DESC)")
	f.StringArrayVar(&ff.params, "param", nil, "NAME=VALUE: any other parameter of the standard, e.g. GE_recordTime=2025-06-01T00:00:00Z (repeatable)")
}

// values are the flags as the standard's URL parameters.
func (ff *filterFlags) values() (url.Values, error) {
	v := url.Values{}
	for _, l := range listFlags {
		for _, x := range *ff.lists[l.param] {
			if x == "" {
				return nil, cmdutil.UsageError("--%s: empty value", l.flag)
			}
			v.Add(l.param, x)
		}
	}
	for _, t := range []struct{ flag, param, s string }{{"since", nodeapi.ParamGETime, ff.since}, {"until", nodeapi.ParamLTTime, ff.until}} {
		if t.s == "" {
			continue
		}
		at, err := parseTime(t.s)
		if err != nil {
			return nil, cmdutil.UsageError("--%s %q: not an RFC 3339 time (2025-06-01T08:00:00+02:00) or a date (2025-06-01)", t.flag, t.s)
		}
		v.Set(t.param, at.Format(time.RFC3339Nano))
	}
	if ff.orderBy != "" {
		v.Set(nodeapi.ParamOrderBy, ff.orderBy)
	}
	if ff.order != "" {
		d := strings.ToUpper(ff.order)
		if d != nodeapi.OrderAsc && d != nodeapi.OrderDesc {
			return nil, cmdutil.UsageError("--order %q: want ASC or DESC", ff.order)
		}
		v.Set(nodeapi.ParamOrderDirection, d)
	}
	for _, p := range ff.params {
		name, val, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return nil, cmdutil.UsageError("--param %q: want NAME=VALUE, e.g. EQ_action=ADD", p)
		}
		v.Add(name, val)
	}
	return v, nil
}

// parseTime reads an RFC 3339 time, or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// queryOptions are `epcis query`'s other flags.
type queryOptions struct {
	named   string
	limit   int
	perPage int
	output  string
}

func newQueryCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	var ff filterFlags
	var o queryOptions
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Query a node's EPCIS 2.0 events, with the standard's parameters",
		Long: `Run an EPCIS 2.0 query on a node (GET /events, or GET /queries/NAME/events
with --named) and print the matching events: a table by default (the time in
the event's own time zone, its type, business step, where and what), the
EPCISQueryDocument with -o json. Every page is fetched, following the node's
nextPageToken, up to --limit events.

Each flag sets one of the standard's query parameters, named in its help;
--param NAME=VALUE sets any other (the node refuses one it does not answer).
Values of one flag are ORed, different flags ANDed. A refused query prints
the node's problem on one line and exits 2 for a bad flag, 3 for a
refusal by the node.`,
		Example: `  trustline epcis query --node http://127.0.0.1:8480 --biz-step shipping --since 2025-06-01
  trustline epcis query --epc-class https://id.gs1.org/01/09506000134352/10/L1 -o json
  trustline epcis query --type ObjectEvent --within-location urn:epc:id:sgln:4012345.00000.0 --order-by eventTime --order ASC --limit 10
  trustline epcis query --param GE_recordTime=2025-06-01T00:00:00Z --param EQ_action=ADD
  trustline epcis query --named shipped-today --node https://127.0.0.1:8443 --cert erp.crt --key erp.key --ca ca.crt`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(o.output); err != nil {
				return err
			}
			v, err := ff.values()
			if err != nil {
				return err
			}
			if o.limit < 0 {
				return cmdutil.UsageError("--limit %d: want 0 (every event) or more", o.limit)
			}
			if o.perPage < 0 || o.perPage > nodeapi.MaxPerPage {
				return cmdutil.UsageError("--per-page %d: want 1 to %d", o.perPage, nodeapi.MaxPerPage)
			}
			per := o.perPage
			if per == 0 && o.limit > 0 && o.limit < nodeapi.MaxPerPage {
				per = o.limit // no more than is wanted
			}
			if per > 0 {
				v.Set(nodeapi.ParamPerPage, strconv.Itoa(per))
			}
			if o.limit > 0 && v.Get(nodeapi.ParamOrderBy) != "" && v.Get(nodeapi.ParamMaxEventCount) == "" && v.Get(nodeapi.ParamEventCountLimit) == "" {
				// The standard's own limit: the first N in the order asked.
				v.Set(nodeapi.ParamEventCountLimit, strconv.Itoa(o.limit))
			}
			nc, err := lo.NodeClient()
			if err != nil {
				return err
			}
			res, err := fetchAll(cmd.Context(), nc, o.named, v, o.limit)
			if err != nil {
				return nodeError(err)
			}
			return cmdutil.Printer{Format: o.output, Out: ios.Out}.Print(res.document(), func(w io.Writer) error {
				if err := eventTable(w, res.events, true); err != nil {
					return err
				}
				more := ""
				if res.more {
					more = fmt.Sprintf(" (the first %d; the node has more)", len(res.events))
				}
				_, err := fmt.Fprintf(w, "%d events%s\n", len(res.events), more)
				return err
			})
		},
	}
	addFilterFlags(cmd, &ff)
	fl := cmd.Flags()
	fl.StringVar(&o.named, "named", "", "run the node's named query NAME (GET /queries/NAME/events); the flags add to it")
	fl.IntVar(&o.limit, "limit", 0, "at most this many events (0: every page); with --order-by it is the standard's eventCountLimit")
	fl.IntVar(&o.perPage, "per-page", 0, fmt.Sprintf("perPage: events per request (1 to %d; default the node's)", nodeapi.MaxPerPage))
	cmdutil.AddNodeFlags(cmd, lo)
	cmdutil.AddOutputFlag(cmd, &o.output)
	return cmd
}

// queryResult is every page of a query.
type queryResult struct {
	first  json.RawMessage // the first page's EPCISQueryDocument
	events []json.RawMessage
	more   bool // stopped at the limit with more pages left
}

// fetchAll runs a query and follows its pages to the end, or until limit
// events (0: no limit).
func fetchAll(ctx context.Context, nc *nodeclient.Client, named string, v url.Values, limit int) (*queryResult, error) {
	res := &queryResult{}
	for {
		page, err := nc.QueryEvents(ctx, named, v)
		if err != nil {
			return nil, err
		}
		if res.first == nil {
			res.first = page.Document
		}
		res.events = append(res.events, page.Events...)
		if limit > 0 && len(res.events) >= limit {
			res.more = len(res.events) > limit || page.NextPageToken != ""
			res.events = res.events[:limit]
			return res, nil
		}
		if page.NextPageToken == "" || len(page.Events) == 0 {
			return res, nil
		}
		v.Set(nodeapi.ParamPageToken, page.NextPageToken)
	}
}

// document is the first page's EPCISQueryDocument with every page's
// events in its eventList: the answer as one document.
func (r *queryResult) document() json.RawMessage {
	var doc map[string]json.RawMessage
	if json.Unmarshal(r.first, &doc) != nil {
		return r.first
	}
	var body, results, resultsBody map[string]json.RawMessage
	if json.Unmarshal(doc["epcisBody"], &body) != nil || json.Unmarshal(body["queryResults"], &results) != nil ||
		json.Unmarshal(results["resultsBody"], &resultsBody) != nil || resultsBody == nil {
		return r.first
	}
	events := r.events
	if events == nil {
		events = []json.RawMessage{}
	}
	resultsBody["eventList"], _ = json.Marshal(events)
	results["resultsBody"], _ = json.Marshal(resultsBody)
	body["queryResults"], _ = json.Marshal(results)
	doc["epcisBody"], _ = json.Marshal(body)
	b, err := json.Marshal(doc)
	if err != nil {
		return r.first
	}
	return b
}

// eventTable prints events one a line: the time in the event's own time
// zone, type, business step, where and what.
func eventTable(w io.Writer, events []json.RawMessage, header bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if header {
		fmt.Fprintln(tw, "TIME\tTYPE\tBIZ STEP\tWHERE\tWHAT")
	}
	for _, raw := range events {
		fmt.Fprintln(tw, eventLine(raw))
	}
	return tw.Flush()
}

// eventLine is an event's row of eventTable, tab-separated.
func eventLine(raw json.RawMessage) string {
	var ev epcis.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		// Not an event trustline can read: show what a lenient reading gives.
		var loose struct{ Type, EventTime string }
		_ = json.Unmarshal(raw, &loose)
		return strings.Join([]string{loose.EventTime, loose.Type, "", "", "(unreadable: " + err.Error() + ")"}, "\t")
	}
	return strings.Join([]string{localTime(ev.EventTime, ev.EventTimeZoneOffset), ev.Type + action(ev.Action),
		epcis.BareVocabulary(ev.BizStep), where(ev), what(ev)}, "\t")
}

func action(a string) string {
	if a == "" {
		return ""
	}
	return " " + a
}

// localTime is an event time in its event's time zone offset.
func localTime(at, offset string) string {
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return at
	}
	if z, err := time.Parse("-07:00", offset); err == nil {
		t = t.In(z.Location())
	}
	return t.Format("2006-01-02 15:04:05 -07:00")
}

func where(ev epcis.Event) string {
	switch {
	case ev.BizLocation != nil && ev.BizLocation.ID != "":
		return ev.BizLocation.ID
	case ev.ReadPoint != nil && ev.ReadPoint.ID != "":
		return ev.ReadPoint.ID
	}
	return "-"
}

// what names an event's objects: the first and how many more.
func what(ev epcis.Event) string {
	classes := func(qs []epcis.QuantityElement) []string {
		var out []string
		for _, q := range qs {
			s := q.EPCClass
			if q.Quantity != nil {
				s += " " + strconv.FormatFloat(*q.Quantity, 'f', -1, 64)
				if q.UOM != "" {
					s += " " + q.UOM
				}
			}
			out = append(out, s)
		}
		return out
	}
	list := func(ids ...[]string) string {
		var all []string
		for _, l := range ids {
			all = append(all, l...)
		}
		switch len(all) {
		case 0:
			return ""
		case 1:
			return all[0]
		}
		return fmt.Sprintf("%s (+%d more)", all[0], len(all)-1)
	}
	if ev.Type == epcis.TransformationEvent {
		return strings.TrimSpace(list(ev.InputEPCList, classes(ev.InputQuantityList)) + " → " + list(ev.OutputEPCList, classes(ev.OutputQuantityList)))
	}
	s := list(ev.EPCList, ev.ChildEPCs, classes(ev.QuantityList), classes(ev.ChildQuantityList))
	if ev.ParentID != "" {
		s = strings.TrimSpace(ev.ParentID + " ⊃ " + s)
	}
	if s == "" {
		return "-"
	}
	return s
}

// nodeError is a node's refusal or failure as one line with its exit
// code: a refused request (4xx problem) exits 3, an unreachable node 4.
func nodeError(err error) error {
	err = cmdutil.LedgerError(err)
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) {
		ee = &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: err}
	}
	msg := strings.Join(strings.Fields(strings.ReplaceAll(ee.Err.Error(), "\n", " ")), " ")
	return &cmdutil.ExitError{Code: ee.Code, Err: errors.New(msg)}
}
