package clitest_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// TestIntegrationWriteWaitsForMembers switches --profile between commands
// with nothing in between, as a script does: a write waits, by default,
// until every member's peer has its block, so the next command, as any
// organisation, sees it. A write that outruns --wait-timeout warns on one
// line and still succeeds; --no-wait does not wait.
func TestIntegrationWriteWaitsForMembers(t *testing.T) {
	n := testkit.Network(t)
	dir := clitest.Isolate(t)
	run := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36), 36)
	as := func(org string, args ...string) clitest.Result {
		t.Helper()
		r := clitest.Run(t, "", append(args, "--profile", org, "--testnet-dir", n.Dir())...)
		if r.Code != 0 {
			t.Fatalf("%s as %s: exit %d: %s", args, org, r.Code, r.Stderr)
		}
		return r
	}

	body := fmt.Sprintf("07%011d", (time.Now().UnixNano()/1000)%1e11)
	d, _ := gs1.CheckDigit(body)
	gtin := body + strconv.Itoa(d)
	as(testnet.Brand, "product", "register", "--gtin", gtin, "--name", "Plums", "--brand", "Acme", "--category", "fruit",
		"--temp-min", "2", "--temp-max", "8", "--shelf-life-days", "14")
	now := time.Now().UTC()
	batch := clitest.WriteFile(t, dir, "batch.yaml", fmt.Sprintf(`gtin: "%s"
lot: P%s
quantity: {value: "50", uom: KGM}
producer: "9506000134376"
place:
  geo: {latitude: 41.9, longitude: 12.5}
  address: {city: Roma, country: IT}
producedAt: %s
expiry: %s
farmingPractice: organic
`, gtin, run, now.Add(-time.Hour).Format(time.RFC3339), now.Add(10*24*time.Hour).Format(time.RFC3339)))
	var l ledger.LotSummary
	if err := json.Unmarshal([]byte(as(testnet.Supplier, "batch", "create", "-f", batch, "-o", "json").Stdout), &l); err != nil {
		t.Fatal(err)
	}
	as(testnet.Supplier, "ship", "--lot", l.ID, "--to", "LogisticsMSP", "--destination", "9506000134383")
	as(testnet.Logistics, "receive", "--lot", l.ID)
	if err := json.Unmarshal([]byte(as(testnet.Brand, "batch", "show", l.ID, "-o", "json").Stdout), &l); err != nil || l.Custodian != "LogisticsMSP" {
		t.Fatalf("batch show as the brand right after receive as logistics: %+v, %v", l, err)
	}

	// What the wait costs a command, on this machine (logged, not asserted):
	// writes as one organisation, which need no wait among themselves.
	csv := func(i int) string {
		return clitest.WriteFile(t, dir, fmt.Sprintf("r%d.csv", i), "time,device,temperature_c\n"+now.Add(time.Duration(i-60)*time.Second).Format(time.RFC3339)+",logger-1,4.5\n")
	}
	const rounds = 3
	var waited, unwaited time.Duration
	for i := range rounds {
		t0 := time.Now()
		as(testnet.Logistics, "readings", "add", "--lot", l.ID, "--readings", csv(2*i))
		waited += time.Since(t0)
		t0 = time.Now()
		if r := as(testnet.Logistics, "readings", "add", "--lot", l.ID, "--readings", csv(2*i+1), "--no-wait"); r.Stderr != "" {
			t.Fatalf("--no-wait printed on stderr: %q", r.Stderr)
		}
		unwaited += time.Since(t0)
	}
	t.Logf("readings add, in-process: mean %s with the wait for every member, %s with --no-wait (%d each)",
		(waited / rounds).Round(100*time.Microsecond), (unwaited / rounds).Round(100*time.Microsecond), rounds)

	// A bound too short for any peer to answer: committed, one warning line.
	r := as(testnet.Logistics, "readings", "add", "--lot", l.ID, "--readings", csv(2*rounds), "--wait-timeout", "1ns")
	if strings.Count(r.Stderr, "\n") != 1 || !strings.HasPrefix(r.Stderr, "warning: Custody:RecordReadings: transaction ") ||
		!strings.Contains(r.Stderr, "a command as another organisation may not see it yet") {
		t.Fatalf("stderr %q, want one warning line", r.Stderr)
	}
	t.Logf("the warning: %s", strings.TrimSpace(r.Stderr))
	if !strings.Contains(r.Stdout, "Recorded 1 readings") {
		t.Fatalf("readings add printed:\n%s", r.Stdout)
	}
	testkit.WaitForSync(t)
	if err := json.Unmarshal([]byte(as(testnet.Brand, "batch", "show", l.ID, "-o", "json").Stdout), &l); err != nil || l.Counts.Readings != 2*rounds+1 {
		t.Fatalf("readings after the warned write: %+v, %v", l.Counts, err)
	}
}
