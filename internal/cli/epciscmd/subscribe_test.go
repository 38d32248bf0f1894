package epciscmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/cli/epciscmd"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/nodeapi"
)

// `epcis queries create|list|delete`: the definition sent in the
// binding's JSON form, every page of the list, the node's refusals on one
// line.
func TestNamedQueries(t *testing.T) {
	n := startFakeNode(t, 0)
	node := []string{"--node", n.URL}
	cmdtest.RunCases(t, epciscmd.NewCmd, []cmdtest.Case{
		{Name: "create", Args: append([]string{"queries", "create", "shipped", "--biz-step", "shipping", "--biz-step", "receiving",
			"--param", "eventCountLimit=5", "--order-by", "eventTime"}, node...),
			Out: "Created query shipped: EQ_bizStep=shipping&EQ_bizStep=receiving&eventCountLimit=5&orderBy=eventTime"},
		{Name: "create another", Args: append([]string{"queries", "create", "recent", "--since", "2025-06-01"}, node...), Out: "Created query recent"},
		{Name: "exists", Args: append([]string{"queries", "create", "shipped", "--biz-step", "shipping"}, node...), Code: cmdutil.ExitRejected,
			Err: `node: Query exists (409): a query named "shipped" exists; delete it first`},
		{Name: "no parameters", Args: append([]string{"queries", "create", "empty"}, node...), Code: cmdutil.ExitUsage, Err: "no query parameters"},
		{Name: "no name", Args: append([]string{"queries", "create", "--biz-step", "shipping"}, node...), Code: cmdutil.ExitUsage, Err: "takes the query's name"},
		{Name: "list", Args: append([]string{"queries", "list"}, node...),
			Out: "shipped  {\"EQ_bizStep\":[\"shipping\",\"receiving\"],\"eventCountLimit\":5,\"orderBy\":[\"eventTime\"]}\nrecent   {\"GE_eventTime\":[\"2025-06-01T00:00:00Z\"]}\n"},
		{Name: "list json", Args: append([]string{"queries", "list", "-o", "json"}, node...),
			JSON: `[{"name":"shipped","query":{"EQ_bizStep":["shipping","receiving"],"eventCountLimit":5,"orderBy":["eventTime"]}},{"name":"recent","query":{"GE_eventTime":["2025-06-01T00:00:00Z"]}}]`},
		{Name: "delete", Args: append([]string{"queries", "delete", "recent"}, node...), Out: "Deleted query recent and its subscriptions"},
		{Name: "delete missing", Args: append([]string{"queries", "delete", "recent"}, node...), Code: cmdutil.ExitRejected, Err: `no query named "recent"`},
	})
	// The definition is the standard's parameters, parseable by a node.
	if _, err := nodeapi.ParseQueryJSON(n.query("shipped").Query); err != nil {
		t.Errorf("the definition sent is not a node's: %v", err)
	}
}

// `epcis subscribe` and `epcis subscriptions list|delete`: the request
// sent (dest, stream or schedule, reportIfEmpty, the signature token,
// generated and printed once when not given) and bad input.
func TestSubscribe(t *testing.T) {
	n := startFakeNode(t, 0)
	n.queries = []nodeapi.NamedQuery{{Name: "shipped", Query: json.RawMessage(`{"EQ_bizStep":["shipping"]}`)},
		{Name: "members-only", Query: json.RawMessage(`{}`)}}
	node := []string{"--node", n.URL}
	sub := func(more ...string) []string {
		return append(append([]string{"subscribe", "shipped"}, node...), more...)
	}

	r := run(t, sub("--dest", "https://erp.example/hook")...)
	token := regexp.MustCompile(`Signature token \(shown once; check GS1-Signature with it\): ([0-9a-f]{64})\n`).FindStringSubmatch(r.Stdout)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Subscribed https://erp.example/hook to query shipped (as events are recorded): subscription sub1\n") || token == nil {
		t.Fatalf("exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if got := n.lastSub; got.Dest != "https://erp.example/hook" || got.Stream == nil || !*got.Stream || got.Schedule != nil || got.SignatureToken != token[1] {
		t.Fatalf("sent %+v; printed token %s", got, token[1])
	}

	r = run(t, sub("--dest", "https://erp.example/daily", "--schedule", "0 6 * * 1-5", "--report-if-empty", "--signature-token", "s3cret", "-o", "json")...)
	var out map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || r.Code != 0 || out["subscriptionID"] != "sub2" || out["signatureToken"] != nil {
		t.Fatalf("-o json: exit %d %v\n%s%s", r.Code, err, r.Stdout, r.Stderr)
	}
	want := nodeapi.SubscriptionRequest{Dest: "https://erp.example/daily", SignatureToken: "s3cret", ReportIfEmpty: true,
		Schedule: &nodeapi.Schedule{Second: "0", Minute: "0", Hour: "6", DayOfWeek: "[1-5]"}}
	if got, _ := json.Marshal(n.lastSub); string(got) != mustJSON(want) {
		t.Fatalf("sent %s, want %s", got, mustJSON(want))
	}

	cmdtest.RunCases(t, epciscmd.NewCmd, []cmdtest.Case{
		{Name: "seconds schedule", Args: sub("--dest", "http://127.0.0.1:9/h", "--schedule", "*/5 * * * * *"), Code: cmdutil.ExitUsage,
			Err: `--schedule "*/5 * * * * *": second "*/5": want *, a number, a range a-b or a list a,b`},
		{Name: "schedule words", Args: sub("--dest", "http://127.0.0.1:9/h", "--schedule", "every day"), Code: cmdutil.ExitUsage, Err: "want 5 cron fields"},
		{Name: "no dest", Args: sub(), Code: cmdutil.ExitUsage, Err: "--dest: required"},
		{Name: "bad dest", Args: sub("--dest", "ftp://erp.example/hook"), Code: cmdutil.ExitUsage, Err: `--dest "ftp://erp.example/hook": not an http(s) URL`},
		{Name: "stream and schedule", Args: sub("--dest", "https://erp.example/h", "--stream", "--schedule", "0 6 * * *"), Code: cmdutil.ExitUsage, Err: "choose one"},
		{Name: "report if empty on a stream", Args: sub("--dest", "https://erp.example/h", "--report-if-empty"), Code: cmdutil.ExitUsage, Err: "--report-if-empty goes with --schedule"},
		{Name: "follow with dest", Args: sub("--follow", "--dest", "https://erp.example/h"), Code: cmdutil.ExitUsage, Err: "--follow streams to standard output"},
		{Name: "no such query", Args: append([]string{"subscribe", "nope", "--dest", "https://erp.example/h"}, node...), Code: cmdutil.ExitRejected,
			Err: `node: Not found (404): no query named "nope"`},
		{Name: "member client needed", Args: append([]string{"subscribe", "members-only", "--dest", "https://erp.example/h"}, node...), Code: cmdutil.ExitRejected,
			Err: "node: Members only (401): subscriptions are served on the node's capture listener"},
		{Name: "list all", Args: append([]string{"subscriptions", "list"}, node...),
			Out: "shipped  sub1  https://erp.example/hook   stream                             2025-06-01T06:00:00Z  -"},
		{Name: "list schedule", Args: append([]string{"subscriptions", "list", "shipped"}, node...), Out: "0 0 6 * * [1-5] (report if empty)"},
		{Name: "list json", Args: append([]string{"subscriptions", "list", "shipped", "-o", "json"}, node...),
			JSON: `[{"subscriptionID":"sub1","queryName":"shipped","dest":"https://erp.example/hook","stream":true,"createdAt":"2025-06-01T06:00:00Z"},` +
				`{"subscriptionID":"sub2","queryName":"shipped","dest":"https://erp.example/daily","schedule":{"second":"0","minute":"0","hour":"6","dayOfWeek":"[1-5]"},"reportIfEmpty":true,"createdAt":"2025-06-01T06:00:00Z"}]`},
		{Name: "list two queries", Args: append([]string{"subscriptions", "list", "a", "b"}, node...), Code: cmdutil.ExitUsage, Err: "at most one named query"},
		{Name: "delete", Args: append([]string{"subscriptions", "delete", "shipped", "sub1"}, node...), Out: "Deleted subscription sub1 of query shipped"},
		{Name: "delete again", Args: append([]string{"subscriptions", "delete", "shipped", "sub1"}, node...), Code: cmdutil.ExitRejected,
			Err: `query "shipped" has no subscription "sub1"`},
		{Name: "delete without id", Args: append([]string{"subscriptions", "delete", "shipped"}, node...), Code: cmdutil.ExitUsage, Err: "takes a named query and the id"},
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// lineWriter is a command's standard output, read by the test while the
// command writes it; lines gets each line.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.Reset()
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.lines <- strings.TrimSuffix(line, "\n")
	}
}

// `epcis subscribe NAME --follow`: the WebSocket stream's events, one JSON
// event a line with -o json or a table line each, until the command's
// context ends (Ctrl-C), which ends it with exit 0.
func TestFollow(t *testing.T) {
	for _, tc := range []struct {
		format string
		check  func(t *testing.T, i int, line string)
	}{
		{"json", func(t *testing.T, i int, line string) {
			var ev struct {
				EventID string `json:"eventID"`
			}
			if err := json.Unmarshal([]byte(line), &ev); err != nil || !strings.HasSuffix(ev.EventID, string(rune('0'+i))+"?ver=CBV2.1") {
				t.Errorf("line %d: %q (%v)", i, line, err)
			}
		}},
		{"table", func(t *testing.T, i int, line string) {
			if !strings.Contains(line, "ObjectEvent OBSERVE  shipping  urn:epc:id:sgln:4012345.00001.0  https://id.gs1.org/01/09506000134352/10/L"+string(rune('0'+i))) {
				t.Errorf("line %d: %q", i, line)
			}
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			n := startFakeNode(t, 3)
			n.queries = []nodeapi.NamedQuery{{Name: "shipped", Query: json.RawMessage(`{"EQ_bizStep":["shipping"]}`)}}
			n.stream = [][]json.RawMessage{n.events[:1], n.events[1:]}
			out := &lineWriter{lines: make(chan string, 16)}
			var errOut bytes.Buffer
			f := cmdutil.NewFactory(&iostreams.IO{In: &bytes.Buffer{}, Out: out, ErrOut: &errOut})
			cmd := epciscmd.NewCmd(f)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			cmd.SetArgs([]string{"subscribe", "shipped", "--follow", "--node", n.URL, "-o", tc.format})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- cmd.ExecuteContext(ctx) }()
			for i := range 3 {
				select {
				case line := <-out.lines:
					tc.check(t, i, line)
				case err := <-done:
					t.Fatalf("ended after %d events: %v", i, err)
				case <-time.After(10 * time.Second):
					t.Fatalf("no event %d", i)
				}
			}
			cancel() // Ctrl-C
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("after Ctrl-C: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still following after Ctrl-C")
			}
			if !strings.Contains(errOut.String(), "Stopped after 3 events.") {
				t.Errorf("stderr: %s", errOut.String())
			}
		})
	}

	// A stream the node refuses: its problem on one line.
	n := startFakeNode(t, 0)
	cmdtest.RunCases(t, epciscmd.NewCmd, []cmdtest.Case{
		{Name: "no such query", Args: []string{"subscribe", "nope", "--follow", "--node", n.URL}, Code: cmdutil.ExitRejected,
			Err: `node: Not found (404): no query named "nope"`},
		{Name: "unreachable", Args: []string{"subscribe", "nope", "--follow", "--node", "http://127.0.0.1:1"}, Code: cmdutil.ExitUnavailable,
			Err: "node unavailable at ws://127.0.0.1:1/queries/nope/events?stream=true"},
	})
}
