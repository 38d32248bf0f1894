package epciscmd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/internal/cli/cmdutil"
)

// subscribeOptions are `epcis subscribe`'s flags.
type subscribeOptions struct {
	dest, token, schedule string
	stream, reportIfEmpty bool
	follow                bool
	output                string
}

// subscribed is what `epcis subscribe` prints: the subscription and, when
// the command generated it, the signature token (shown this once; the
// node never shows it).
type subscribed struct {
	*nodeclient.Subscription
	SignatureToken string `json:"signatureToken,omitempty"`
}

func newSubscribeCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	var o subscribeOptions
	cmd := &cobra.Command{
		Use:   "subscribe NAME",
		Short: "Subscribe a webhook to a named query, or follow its new events",
		Long: `Subscribe a webhook (--dest) to the node's named query NAME (POST
/queries/NAME/subscriptions, EPCIS 2.0 §8.2.5): the node sends it the query's
events as EPCISQueryDocuments, signed with the signature token (HMAC-SHA256
of the body in the GS1-Signature header), either as they are recorded
(--stream, the default) or on a schedule (--schedule). Without
--signature-token a random one is generated and printed once: keep it to
check the signatures; the node never shows it again.

--schedule takes cron fields, UTC: "MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK"
or with seconds first, six fields; * is every value, a-b a range, a,b a
list; day of week counts 1 (Monday) to 7.

With --follow, no webhook: stream the query's new events from now on over a
WebSocket (GET /queries/NAME/events?stream=true) and print each as it is
recorded (one JSON event per line with -o json), until Ctrl-C.

Create the named query first (trustline epcis queries create). A node takes
subscriptions only from its organisation's own clients, on its capture
listener: give that listener's URL, and --cert and --key of a client its
configuration allows to subscribe (capture.clients: subscribe: true). Any
client may --follow, on either listener.`,
		Example: `  trustline epcis queries create shipped --biz-step shipping --node https://127.0.0.1:8443 --cert erp.crt --key erp.key --ca ca.crt
  trustline epcis subscribe shipped --dest https://erp.example/epcis/hook --node https://127.0.0.1:8443 --cert erp.crt --key erp.key --ca ca.crt
  trustline epcis subscribe shipped --dest https://erp.example/hook --schedule "0 6 * * 1-5" --report-if-empty --signature-token "$TOKEN"
  trustline epcis subscribe shipped --follow -o json | jq .eventID`,
		Args: cmdutil.ExactArgs(1, "the name of a named query (trustline epcis queries list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(o.output); err != nil {
				return err
			}
			name := args[0]
			if o.follow {
				if o.dest != "" || o.token != "" || o.schedule != "" || o.reportIfEmpty {
					return cmdutil.UsageError("--follow streams to standard output: it takes no --dest, --signature-token, --schedule or --report-if-empty")
				}
				nc, err := lo.NodeClient()
				if err != nil {
					return err
				}
				return follow(cmd.Context(), ios.Out, ios.ErrOut, nc, name, o.output)
			}
			req, generated, err := o.request()
			if err != nil {
				return err
			}
			nc, err := lo.NodeClient()
			if err != nil {
				return err
			}
			sub, err := nc.Subscribe(cmd.Context(), name, req)
			if err != nil {
				return nodeError(err)
			}
			out := subscribed{Subscription: sub}
			if generated {
				out.SignatureToken = req.SignatureToken
			}
			return cmdutil.Printer{Format: o.output, Out: ios.Out}.Print(out, func(w io.Writer) error {
				how := "as events are recorded"
				if sub.Schedule != nil {
					how = "on schedule " + scheduleString(sub.Schedule)
				}
				fmt.Fprintf(w, "Subscribed %s to query %s (%s): subscription %s\n", sub.Dest, name, how, sub.ID)
				if generated {
					fmt.Fprintf(w, "Signature token (shown once; check GS1-Signature with it): %s\n", out.SignatureToken)
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.dest, "dest", "", "the webhook: an http(s) URL the node posts the events to")
	fl.StringVar(&o.token, "signature-token", "", "the secret the node signs with (default: a random one, printed once)")
	fl.BoolVar(&o.stream, "stream", false, "send events as they are recorded (the default without --schedule)")
	fl.StringVar(&o.schedule, "schedule", "", `send on a cron schedule, UTC: "MIN HOUR DOM MONTH DOW", or six fields with seconds first`)
	fl.BoolVar(&o.reportIfEmpty, "report-if-empty", false, "with --schedule, send an empty report when nothing matched")
	fl.BoolVar(&o.follow, "follow", false, "stream the query's new events to standard output over a WebSocket until Ctrl-C")
	cmdutil.AddNodeFlags(cmd, lo)
	cmdutil.AddOutputFlag(cmd, &o.output)
	return cmd
}

// request is the subscription the flags ask for, and whether its token
// was generated.
func (o subscribeOptions) request() (nodeclient.SubscriptionRequest, bool, error) {
	var r nodeclient.SubscriptionRequest
	if o.dest == "" {
		return r, false, cmdutil.UsageError("--dest: required: the webhook URL the node sends the events to (or --follow)")
	}
	u, err := url.Parse(o.dest)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return r, false, cmdutil.UsageError("--dest %q: not an http(s) URL", o.dest)
	}
	r.Dest = o.dest
	switch {
	case o.stream && o.schedule != "":
		return r, false, cmdutil.UsageError("--stream and --schedule: choose one")
	case o.schedule != "":
		s, err := parseSchedule(o.schedule)
		if err != nil {
			return r, false, err
		}
		r.Schedule = s
		r.ReportIfEmpty = o.reportIfEmpty
	default:
		if o.reportIfEmpty {
			return r, false, cmdutil.UsageError("--report-if-empty goes with --schedule (a stream sends only events)")
		}
		t := true
		r.Stream = &t
	}
	r.SignatureToken = o.token
	if r.SignatureToken != "" {
		return r, false, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return r, false, err
	}
	r.SignatureToken = hex.EncodeToString(b)
	return r, true, nil
}

// parseSchedule reads cron fields into the binding's schedule: five
// (minute first, second 0) or six (second first).
func parseSchedule(s string) (*nodeclient.Schedule, error) {
	f := strings.Fields(s)
	if len(f) == 5 {
		f = append([]string{"0"}, f...)
	}
	if len(f) != 6 {
		return nil, cmdutil.UsageError("--schedule %q: want 5 cron fields (MIN HOUR DOM MONTH DOW) or 6 (seconds first)", s)
	}
	names := []string{"second", "minute", "hour", "day of month", "month", "day of week"}
	for i, v := range f {
		if v == "*" {
			f[i] = ""
			continue
		}
		var parts []string
		for _, p := range strings.Split(v, ",") {
			lo, hi, isRange := strings.Cut(strings.Trim(p, "[]"), "-")
			if !number(lo) || isRange && !number(hi) {
				return nil, cmdutil.UsageError("--schedule %q: %s %q: want *, a number, a range a-b or a list a,b", s, names[i], v)
			}
			if isRange {
				p = "[" + lo + "-" + hi + "]"
			} else {
				p = lo
			}
			parts = append(parts, p)
		}
		f[i] = strings.Join(parts, ",")
	}
	return &nodeclient.Schedule{Second: f[0], Minute: f[1], Hour: f[2], DayOfMonth: f[3], Month: f[4], DayOfWeek: f[5]}, nil
}

func number(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// scheduleString is a schedule as six cron fields.
func scheduleString(s *nodeclient.Schedule) string {
	var f []string
	for _, v := range []string{s.Second, s.Minute, s.Hour, s.DayOfMonth, s.Month, s.DayOfWeek} {
		if v == "" {
			v = "*"
		}
		f = append(f, v)
	}
	return strings.Join(f, " ")
}

// follow prints a named query's new events as the node streams them,
// until Ctrl-C (or SIGTERM) or the stream ends.
func follow(ctx context.Context, out, errOut io.Writer, nc *nodeclient.Client, name, format string) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := nc.Follow(ctx, name)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return nodeError(err)
	}
	defer st.Close()
	fmt.Fprintf(errOut, "Following query %s; Ctrl-C to stop.\n", name)
	n := 0
	for {
		page, err := st.Next(ctx)
		if ctx.Err() != nil {
			fmt.Fprintf(errOut, "Stopped after %d events.\n", n)
			return nil
		}
		if err != nil {
			return nodeError(err)
		}
		for _, ev := range page.Events {
			n++
			if format == cmdutil.OutputJSON {
				// One event a line: a stream for jq and friends.
				_, err = fmt.Fprintf(out, "%s\n", compact(ev))
			} else {
				tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, eventLine(ev))
				err = tw.Flush()
			}
			if err != nil {
				return err
			}
		}
	}
}

// newSubscriptionsCmd returns `epcis subscriptions`.
func newSubscriptionsCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	cmd := &cobra.Command{
		Use:   "subscriptions",
		Short: "List or delete a node's query subscriptions",
		Args:  cmdutil.NoArgs,
	}
	lo := f.LedgerOptions()
	var output string
	list := &cobra.Command{
		Use:   "list [QUERY]",
		Short: "List the subscriptions of a named query, or of every one",
		Long: `List the subscriptions of the named query QUERY (GET
/queries/QUERY/subscriptions), or of every named query of the node: their
id, webhook, and whether they stream or run on a schedule. Their signature
tokens are never shown.`,
		Example: `  trustline epcis subscriptions list --node http://127.0.0.1:8480
  trustline epcis subscriptions list shipped -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.UsageError("%s takes at most one named query, got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			nc, err := lo.NodeClient()
			if err != nil {
				return err
			}
			names := args
			if len(names) == 0 {
				qs, err := nc.NamedQueries(cmd.Context())
				if err != nil {
					return nodeError(err)
				}
				for _, q := range qs {
					names = append(names, q.Name)
				}
			}
			all := []nodeclient.Subscription{}
			for _, name := range names {
				subs, err := nc.Subscriptions(cmd.Context(), name)
				if err != nil {
					return nodeError(err)
				}
				for _, s := range subs {
					if s.QueryName == "" {
						s.QueryName = name
					}
					all = append(all, s)
				}
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(all, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "QUERY\tID\tDEST\tWHEN\tCREATED\tLAST NOTIFIED")
				for _, s := range all {
					when := "stream"
					if s.Schedule != nil {
						when = scheduleString(s.Schedule)
						if s.ReportIfEmpty != nil && *s.ReportIfEmpty {
							when += " (report if empty)"
						}
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.QueryName, s.ID, s.Dest, when, s.CreatedAt, dash(s.LastNotifiedAt))
				}
				return tw.Flush()
			})
		},
	}
	cmdutil.AddNodeFlags(list, lo)
	cmdutil.AddOutputFlag(list, &output)

	dlo := f.LedgerOptions()
	del := &cobra.Command{
		Use:     "delete QUERY ID",
		Short:   "Delete a subscription: its webhook gets nothing more",
		Example: `  trustline epcis subscriptions delete shipped 6f1c… --node https://127.0.0.1:8443 --cert erp.crt --key erp.key --ca ca.crt`,
		Args:    cmdutil.ExactArgs(2, "a named query and the id of one of its subscriptions"),
		RunE: func(cmd *cobra.Command, args []string) error {
			nc, err := dlo.NodeClient()
			if err != nil {
				return err
			}
			if err := nc.Unsubscribe(cmd.Context(), args[0], args[1]); err != nil {
				return nodeError(err)
			}
			_, err = fmt.Fprintf(ios.Out, "Deleted subscription %s of query %s\n", args[1], args[0])
			return err
		},
	}
	cmdutil.AddNodeFlags(del, dlo)
	cmd.AddCommand(list, del)
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
