package node_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/trustline/trustline/node/capture"
)

// queryCapturedWithCLI runs the real trustline binary's `epcis query`
// against a member node's public listener (nodeURL): the events captured
// (recorded) come back by their ledger ids, over several pages, as one
// EPCISQueryDocument with -o json and a table line each by default.
func queryCapturedWithCLI(t *testing.T, nodeURL string, recorded []capture.EventResult) {
	t.Helper()
	bin := buildTrustline(t)
	args := []string{"epcis", "query", "--node", nodeURL, "--per-page", "2"}
	var want []string
	for _, e := range recorded {
		args = append(args, "--event-id", e.LedgerEventID)
		want = append(want, e.LedgerEventID)
	}
	run := func(args ...string) string {
		var out, errOut bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("trustline %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String()
	}
	var doc struct {
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
	out := run(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("epcis query -o json: %v\n%s", err, out)
	}
	var got []string
	for _, e := range doc.Body.Results.Body.Events {
		got = append(got, e.EventID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("epcis query --event-id …: got ids\n%v\nwant\n%v", got, want)
	}
	table := run(args...)
	if !strings.Contains(table, "TIME") || strings.Count(table, "\n") != len(want)+2 {
		t.Errorf("epcis query table, want %d events:\n%s", len(want), table)
	}
	t.Logf("trustline epcis query (real binary) found the %d captured events on %s", len(want), nodeURL)
}
