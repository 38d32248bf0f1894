package epciscmd_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/cli/epciscmd"
	"github.com/trustline/trustline/nodeapi"
)

// run runs `trustline epcis ARGS` against the fake node.
func run(t *testing.T, args ...string) cmdtest.Result {
	t.Helper()
	return cmdtest.Run(t, epciscmd.NewCmd, cmdtest.Ledger{}, "", args...)
}

// Each flag of `epcis query` sends the standard's parameter it names.
func TestQueryFlagsMapToStandardParameters(t *testing.T) {
	const lot = "https://id.gs1.org/01/09506000134352/10/L1"
	const sgln = "urn:epc:id:sgln:4012345.00001.0"
	for _, tc := range []struct {
		flags []string
		want  url.Values
	}{
		{[]string{"--type", "ObjectEvent"}, url.Values{"eventType": {"ObjectEvent"}}},
		{[]string{"--type", "ObjectEvent", "--type", "TransformationEvent"}, url.Values{"eventType": {"ObjectEvent", "TransformationEvent"}}},
		{[]string{"--since", "2025-06-01T08:00:00+02:00"}, url.Values{"GE_eventTime": {"2025-06-01T08:00:00+02:00"}}},
		{[]string{"--since", "2025-06-01"}, url.Values{"GE_eventTime": {"2025-06-01T00:00:00Z"}}},
		{[]string{"--until", "2025-06-02T00:00:00.5Z"}, url.Values{"LT_eventTime": {"2025-06-02T00:00:00.5Z"}}},
		{[]string{"--biz-step", "shipping"}, url.Values{"EQ_bizStep": {"shipping"}}},
		{[]string{"--disposition", "in_transit"}, url.Values{"EQ_disposition": {"in_transit"}}},
		{[]string{"--biz-location", sgln}, url.Values{"EQ_bizLocation": {sgln}}},
		{[]string{"--within-location", sgln}, url.Values{"WD_bizLocation": {sgln}}},
		{[]string{"--read-point", sgln}, url.Values{"EQ_readPoint": {sgln}}},
		{[]string{"--epc", lot + "/21/S1"}, url.Values{"MATCH_epc": {lot + "/21/S1"}}},
		{[]string{"--any-epc", "urn:epc:id:sscc:4012345.0000000001"}, url.Values{"MATCH_anyEPC": {"urn:epc:id:sscc:4012345.0000000001"}}},
		{[]string{"--epc-class", lot}, url.Values{"MATCH_epcClass": {lot}}},
		{[]string{"--event-id", "ni:///sha-256;ab?ver=CBV2.1"}, url.Values{"EQ_eventID": {"ni:///sha-256;ab?ver=CBV2.1"}}},
		{[]string{"--order-by", "recordTime"}, url.Values{"orderBy": {"recordTime"}}},
		{[]string{"--order-by", "eventTime", "--order", "asc"}, url.Values{"orderBy": {"eventTime"}, "orderDirection": {"ASC"}}},
		{[]string{"--per-page", "7"}, url.Values{"perPage": {"7"}}},
		{[]string{"--limit", "5"}, url.Values{"perPage": {"5"}}},
		{[]string{"--limit", "5", "--order-by", "eventTime"}, url.Values{"perPage": {"5"}, "orderBy": {"eventTime"}, "eventCountLimit": {"5"}}},
		{[]string{"--param", "GE_recordTime=2025-06-01T00:00:00Z", "--param", "EQ_action=ADD"},
			url.Values{"GE_recordTime": {"2025-06-01T00:00:00Z"}, "EQ_action": {"ADD"}}},
	} {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			n := startFakeNode(t, 2)
			r := run(t, append([]string{"query", "--node", n.URL}, tc.flags...)...)
			if r.Code != 0 {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			got := n.requested("GET", "/events")
			if len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Fatalf("sent %v, want %v", got, tc.want)
			}
		})
	}

	// --named runs the named query, the flags adding to it.
	n := startFakeNode(t, 2)
	n.queries = []nodeapi.NamedQuery{{Name: "shipped", Query: json.RawMessage(`{"EQ_bizStep":["shipping"]}`)}}
	if r := run(t, "query", "--node", n.URL, "--named", "shipped", "--type", "ObjectEvent"); r.Code != 0 || !strings.Contains(r.Stdout, "2 events") {
		t.Fatalf("--named: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if got := n.requested("GET", "/queries/shipped/events"); len(got) != 1 || got[0].Get("eventType") != "ObjectEvent" {
		t.Fatalf("--named sent %v", got)
	}
}

// `epcis query` follows nextPageToken to the last page, or to --limit;
// the table shows each event's time in its own zone, and -o json the
// pages' events in one EPCISQueryDocument.
func TestQueryPagingAndOutput(t *testing.T) {
	n := startFakeNode(t, 7)
	r := run(t, "query", "--node", n.URL, "--per-page", "3")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	reqs := n.requested("GET", "/events")
	var tokens []string
	for _, q := range reqs {
		tokens = append(tokens, q.Get("nextPageToken"))
	}
	if strings.Join(tokens, ",") != ",3,6" {
		t.Errorf("page tokens sent: %q, want the node's: ,3,6", tokens)
	}
	for _, want := range []string{
		"TIME                        TYPE                 BIZ STEP  WHERE                            WHAT",
		// 06:00Z at +02:00, 07:00Z at -05:00: each in its event's zone.
		"2025-06-01 08:00:00 +02:00  ObjectEvent OBSERVE  shipping  urn:epc:id:sgln:4012345.00001.0  https://id.gs1.org/01/09506000134352/10/L0 12.5 KGM",
		"2025-06-01 02:00:00 -05:00  ObjectEvent OBSERVE  shipping",
		"2025-06-01 14:00:00 +02:00",
		"\n7 events\n",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.Stdout)
		}
	}

	r = run(t, "query", "--node", n.URL, "--per-page", "3", "-o", "json")
	var doc struct {
		Type string `json:"type"`
		Body struct {
			Results struct {
				Body struct {
					Events []struct {
						EventID string `json:"eventID"`
					} `json:"eventList"`
				} `json:"resultsBody"`
			} `json:"queryResults"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil || r.Code != 0 {
		t.Fatalf("-o json: exit %d, %v\n%s", r.Code, err, r.Stdout)
	}
	if ev := doc.Body.Results.Body.Events; doc.Type != "EPCISQueryDocument" || len(ev) != 7 || ev[6].EventID != "ni:///sha-256;"+strings.Repeat("0", 63)+"6?ver=CBV2.1" {
		t.Fatalf("-o json: a %s of %d events:\n%s", doc.Type, len(ev), r.Stdout)
	}

	n = startFakeNode(t, 7)
	r = run(t, "query", "--node", n.URL, "--per-page", "3", "--limit", "4")
	if r.Code != 0 || !strings.Contains(r.Stdout, "4 events (the first 4; the node has more)") || len(n.requested("GET", "/events")) != 2 {
		t.Fatalf("--limit 4: exit %d, %d requests\n%s%s", r.Code, len(n.requested("GET", "/events")), r.Stdout, r.Stderr)
	}
}

// Bad input and the node's refusals: one line, non-zero exit.
func TestQueryErrors(t *testing.T) {
	n := startFakeNode(t, 2)
	q := func(more ...string) []string { return append([]string{"query", "--node", n.URL}, more...) }
	cases := []cmdtest.Case{
		{Name: "unknown order direction", Args: q("--order", "sideways"), Code: cmdutil.ExitUsage, Err: `--order "sideways": want ASC or DESC`},
		{Name: "bad time", Args: q("--since", "yesterday"), Code: cmdutil.ExitUsage, Err: `--since "yesterday": not an RFC 3339 time`},
		{Name: "bad until", Args: q("--until", "2025-13-01"), Code: cmdutil.ExitUsage, Err: `--until "2025-13-01"`},
		{Name: "bad URL", Args: []string{"query", "--node", "node.example:8443"}, Code: cmdutil.ExitUsage, Err: `--node: node URL "node.example:8443" is not an http(s) URL`},
		{Name: "no node", Args: []string{"query"}, Code: cmdutil.ExitUsage, Err: "no node: pass --node URL"},
		{Name: "param without value", Args: q("--param", "EQ_action"), Code: cmdutil.ExitUsage, Err: `--param "EQ_action": want NAME=VALUE`},
		{Name: "negative limit", Args: q("--limit", "-1"), Code: cmdutil.ExitUsage, Err: "--limit -1"},
		{Name: "per page too large", Args: q("--per-page", "5000"), Code: cmdutil.ExitUsage, Err: "--per-page 5000: want 1 to 1000"},
		{Name: "bad output", Args: q("-o", "yaml"), Code: cmdutil.ExitUsage, Err: `unknown --output "yaml"`},
		{Name: "half a key pair", Args: q("--cert", "erp.crt"), Code: cmdutil.ExitUsage, Err: "--cert and --key go together"},
		{Name: "node 4xx problem", Args: q("--biz-step", "bogus"), Code: cmdutil.ExitRejected,
			Err: `node: Invalid query (400): query parameter EQ_bizStep: "bogus" is not a CBV business step (second line)`},
		{Name: "no such named query", Args: q("--named", "nope"), Code: cmdutil.ExitRejected, Err: `Not found (404): no query named "nope"`},
		{Name: "unreachable", Args: []string{"query", "--node", "http://127.0.0.1:1"}, Code: cmdutil.ExitUnavailable, Err: "node unavailable at http://127.0.0.1:1/events"},
	}
	cmdtest.RunCases(t, epciscmd.NewCmd, cases)
	for _, tc := range cases {
		if line, one := run(t, tc.Args...).ErrorLine(); !one {
			t.Errorf("%s: error on more than one line: %q", tc.Name, line)
		}
	}
}
