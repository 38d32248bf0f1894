package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/receipt/receipttest"
)

// serviceTamperTable runs receipttest.ServiceCases on base (a lot's real
// receipt file whose product has tickets filed and answered) through the
// real `trustline verify` binary, offline and with --eth-rpc against the
// testnet's geth: untampered it exits 0, complete, with the product's
// service events all shown; with a ticket's filing or answer cut, or the
// product's service chain removed, it exits 3 with the service part's
// failure naming the service event missing. It logs the table.
func serviceTamperTable(ctx context.Context, t *testing.T, bin, rpcURL string, base []byte) {
	t.Helper()
	br, err := receipt.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := receipttest.ServiceCases(br)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var table strings.Builder
	fmt.Fprintf(&table, "%-32s | %-8s | %-8s | phrase\n", "class", "offline", "online")
	t0 := time.Now()
	for i, c := range cases {
		_, doc, err := c.Apply(base)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, fmt.Sprintf("service-%02d.json", i))
		got := verifyBoth(ctx, t, bin, rpcURL, file, doc, c.Name, func(_ int, args []string, res verifyRun) verifyRun {
			if c.Tamper == nil {
				res.line = lineWith(res.out, "service events shown, in ledger order")
				if res.code != 0 || res.line == "" || lineWith(res.out, "complete as of ledger block") == "" {
					t.Errorf("%s %v: exit %d, want 0, complete, with the service events all shown:\n%s", c.Name, args, res.code, res.out)
				}
			} else {
				res.line = matchLine(res.out, c.Part, c.Want)
				if res.code != 3 || res.line == "" || !strings.Contains(res.out, "service events INCOMPLETE") {
					t.Errorf("%s %v: exit %d, want 3 with a %s failure naming %q and the summary saying so:\n%s", c.Name, args, res.code, c.Part, c.Want, res.out)
				}
			}
			return res
		})
		phrase := got[1].line
		fmt.Fprintf(&table, "%-32s | exit %d%s | exit %d%s | %s\n", c.Name,
			got[0].code, mark(got[0].line != ""), got[1].code, mark(got[1].line != ""), compact(phrase))
	}
	t.Logf("service tampering classes on the real receipt, real `trustline verify` offline and --eth-rpc (geth), %d runs in %s:\n%s",
		2*len(cases), time.Since(t0).Round(time.Millisecond), table.String())
}

// health is the node's /healthz.
func health(t *testing.T, base string) api.Health {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h api.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("/healthz: %d: %v", resp.StatusCode, err)
	}
	return h
}

// eventTime is the eventTime of the first of ids that receipt file data
// carries.
func eventTime(t *testing.T, data []byte, ids []string) (time.Time, bool) {
	t.Helper()
	r, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Events {
		if !slices.Contains(ids, e.EventID) {
			continue
		}
		var ev struct {
			EventTime string `json:"eventTime"`
		}
		if json.Unmarshal(e.Event, &ev) != nil {
			return time.Time{}, false
		}
		at, err := time.Parse(time.RFC3339Nano, ev.EventTime)
		return at, err == nil
	}
	return time.Time{}, false
}
