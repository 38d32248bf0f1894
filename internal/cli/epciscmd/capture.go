package epciscmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/node/capture"
)

// captureOptions are `epcis capture`'s flags.
type captureOptions struct {
	behaviour, output string
	timeout           time.Duration
}

func newCaptureCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	var o captureOptions
	cmd := &cobra.Command{
		Use:   "capture FILE.jsonld",
		Short: "Capture an EPCIS document into the ledger through your node",
		Long: `Send an EPCISDocument to your organisation's node (its EPCIS 2.0 capture
interface, POST /capture), wait for the capture job and print how many
events were accepted, were already recorded (duplicates) and were rejected,
with the reason of each rejection. The node records each event with the
contract function that states it, as your organisation.

The node's capture listener authenticates you by a TLS client certificate
issued by your organisation's CA (trustline org enroll NAME): give its
certificate and key, and the CA of the node's TLS certificate.

--error-behaviour rollback (the default) records nothing if any event cannot
be stated; proceed records every event that can be. Exit status: 0 when
nothing was rejected, 3 when the node or the ledger refused something.`,
		Example: `  trustline epcis capture events.jsonld --node https://node.supplier.example:8443 \
      --cert erp/tls/server.crt --key erp/tls/server.key --ca erp/tls/ca.crt
  trustline epcis capture events.jsonld --node … --error-behaviour proceed -o json`,
		Args: cmdutil.ExactArgs(1, "an EPCISDocument (JSON-LD); - for standard input"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(o.output); err != nil {
				return err
			}
			if o.behaviour != string(capture.Rollback) && o.behaviour != string(capture.Proceed) {
				return cmdutil.UsageError("--error-behaviour %q: want rollback or proceed", o.behaviour)
			}
			body, err := cmdutil.ReadInput(args[0], ios.In)
			if err != nil {
				return err
			}
			node, hc, err := lo.NodeHTTP()
			if err != nil {
				return err
			}
			if node == "" {
				return cmdutil.UsageError("--node: required: the URL of your node's capture listener")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
			defer cancel()
			job, err := runCapture(ctx, hc, strings.TrimSuffix(node, "/"), o.behaviour, body)
			if err != nil {
				return err
			}
			if err := (cmdutil.Printer{Format: o.output, Out: ios.Out}).Print(job, func(w io.Writer) error { return printJob(w, args[0], job) }); err != nil {
				return err
			}
			if job.Rejected > 0 || !job.Success {
				return &cmdutil.ExitError{Code: cmdutil.ExitRejected, Err: fmt.Errorf("%d of %d events rejected", job.Rejected, len(job.Events))}
			}
			return nil
		},
	}
	cmdutil.AddNodeFlags(cmd, lo)
	fl := cmd.Flags()
	fl.StringVar(&o.behaviour, "error-behaviour", string(capture.Rollback), "rollback (record nothing if any event fails) or proceed")
	fl.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long to wait for the capture job")
	cmdutil.AddOutputFlag(cmd, &o.output)
	return cmd
}

// runCapture posts the document and polls its job until it finishes.
func runCapture(ctx context.Context, hc *http.Client, node, behaviour string, body []byte) (capture.Job, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, node+"/capture", bytes.NewReader(body))
	if err != nil {
		return capture.Job{}, cmdutil.UsageError("--node: %v", err)
	}
	req.Header.Set("Content-Type", "application/ld+json")
	req.Header.Set(capture.HeaderErrorBehaviour, behaviour)
	resp, b, err := send(hc, req)
	if err != nil {
		return capture.Job{}, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return capture.Job{}, refused(resp, b)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Path == "" {
		return capture.Job{}, fmt.Errorf("the node answered 202 without a capture job Location")
	}
	jobURL := req.URL.ResolveReference(loc).String()
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, jobURL, nil)
		resp, b, err := send(hc, req)
		if err != nil {
			return capture.Job{}, err
		}
		if resp.StatusCode != http.StatusOK {
			return capture.Job{}, refused(resp, b)
		}
		var j capture.Job
		if err := json.Unmarshal(b, &j); err != nil {
			return capture.Job{}, fmt.Errorf("reading capture job %s: %v", jobURL, err)
		}
		if !j.Running {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, cmdutil.Unavailable(fmt.Errorf("capture job %s still running when the wait ended: %d accepted so far", jobURL, j.Accepted))
		case <-time.After(wait):
		}
	}
}

func send(hc *http.Client, req *http.Request) (*http.Response, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, cmdutil.Unavailable(fmt.Errorf("%s %s: %v", req.Method, req.URL.Redacted(), errors.Unwrap(err)))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, cmdutil.Unavailable(err)
	}
	return resp, b, nil
}

// refused is the node's refusal of a request, its problem on one line.
func refused(resp *http.Response, b []byte) error {
	var p capture.Problem
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &p) == nil && p.Title != "" {
		msg = p.Title
		if p.Detail != "" {
			msg += ": " + p.Detail
		}
	}
	msg = strings.ReplaceAll(msg, "\n", " ")
	return &cmdutil.ExitError{Code: cmdutil.ExitRejected, Err: fmt.Errorf("the node refused the capture (%s): %s", resp.Status, msg)}
}

func printJob(w io.Writer, file string, j capture.Job) error {
	fmt.Fprintf(w, "Captured %s (job %s, %s): %d accepted, %d duplicates, %d rejected\n",
		file, j.CaptureID, j.Behaviour, j.Accepted, j.Duplicates, j.Rejected)
	for _, e := range j.Errors {
		fmt.Fprintf(w, "  %s: %s\n", e.Title, e.Detail)
	}
	if j.Behaviour == capture.Rollback && !j.Success && j.Accepted == 0 {
		_, err := fmt.Fprintln(w, "Nothing was recorded (rollback).")
		return err
	}
	return nil
}
