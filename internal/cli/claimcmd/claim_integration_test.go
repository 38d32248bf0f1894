package claimcmd_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/gs1"
	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// TestIntegrationClaimCommands drives `trustline claim add|list|check`
// in-process with --profile on the real testnet: the brand registers a
// product claim and a lot claim, any member lists them, the brand
// supersedes one, and check evaluates a lot's active claims with reasons.
// Refusals by the ledger exit 3 with the chaincode's reason on one line.
func TestIntegrationClaimCommands(t *testing.T) {
	n := testkit.Network(t)
	dir := clitest.Isolate(t)
	run := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36), 36)
	c := clitest.Ledger{T: t, Dir: n.Dir()}
	as, ok, okJSON, rejected := c.As, c.OK, c.OKJSON, c.Rejected

	body := fmt.Sprintf("08%011d", (time.Now().UnixNano()/1000)%1e11)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	gtin := body + strconv.Itoa(d)
	ok(testnet.Brand, "product", "register", "--gtin", gtin, "--name", "Tomatoes", "--brand", "Acme", "--category", "vegetables",
		"--temp-min", "2", "--temp-max", "8", "--shelf-life-days", "14")

	// Two lots harvested in Rome a day ago.
	produced := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Minute)
	lots := map[string]ledger.LotSummary{}
	for _, name := range []string{"A", "B"} {
		batch := clitest.WriteFile(t, dir, "batch-"+name+".yaml", fmt.Sprintf(`gtin: "%s"
lot: %s%s
quantity: {value: "500", uom: KGM}
producer: "9506000134376"
place:
  geo: {latitude: 41.9, longitude: 12.5}
  address: {city: Roma, country: IT}
producedAt: %s
expiry: %s
farmingPractice: organic
`, gtin, name, run, produced.Format(time.RFC3339), produced.Add(14*24*time.Hour).Format(time.RFC3339)))
		var l ledger.LotSummary
		okJSON(&l, testnet.Supplier, "batch", "create", "-f", batch)
		lots[name] = l
	}
	lotA, lotB := lots["A"].ID, lots["B"].ID

	polygon := func(lat0, lon0, lat1, lon1 float64) string {
		return fmt.Sprintf(`[{"latitude":%g,"longitude":%g},{"latitude":%g,"longitude":%g},{"latitude":%g,"longitude":%g},{"latitude":%g,"longitude":%g}]`,
			lat0, lon0, lat1, lon0, lat1, lon1, lat0, lon1)
	}
	lazio := clitest.WriteFile(t, dir, "lazio.json", `{"subject":"`+gtin+`","kind":"origin_in","wording":"Grown in Lazio",
"params":{"originIn":{"region":"Lazio","polygon":`+polygon(41, 11.5, 43, 14)+`}}}`)
	shelf72 := clitest.WriteFile(t, dir, "shelf72.yaml", "subject: https://id.gs1.org/01/"+gtin+"\nkind: farm_to_shelf_within\n"+
		"wording: On the shelf within 72 hours\nparams:\n  farmToShelf:\n    hours: 72\n")
	shelf48 := clitest.WriteFile(t, dir, "shelf48.yaml", "subject: \""+gtin+"\"\nkind: farm_to_shelf_within\n"+
		"wording: On the shelf within 48 hours\nparams:\n  farmToShelf:\n    hours: 48\n")
	allgaeu := clitest.WriteFile(t, dir, "allgaeu.json", `{"subject":"`+lotA+`","kind":"origin_in","wording":"From the Allgäu",
"params":{"originIn":{"region":"Allgäu","polygon":`+polygon(47.3, 9.8, 47.9, 10.9)+`}}}`)
	unknownLot := clitest.WriteFile(t, dir, "unknown-lot.json", `{"subject":"https://id.gs1.org/01/`+gtin+`/10/Z`+run+`","kind":"origin_in","wording":"x",
"params":{"originIn":{"region":"Lazio","glns":["9506000134376"]}}}`)

	// The brand registers; the table shows the new claim.
	out := ok(testnet.Brand, "claim", "add", "-f", lazio)
	for _, want := range []string{"Claim:", "claim-", "Subject:", "https://id.gs1.org/01/" + gtin + "\n", "Kind:", "origin_in", "State:", "active", "Brand:", "BrandMSP"} {
		if !strings.Contains(out, want) {
			t.Errorf("claim add printed no %q:\n%s", want, out)
		}
	}
	var c72, cLot ledger.Claim
	okJSON(&c72, testnet.Brand, "claim", "add", "-f", shelf72)
	okJSON(&cLot, testnet.Brand, "claim", "add", "-f", allgaeu)
	if c72.Subject != "https://id.gs1.org/01/"+gtin || c72.Lot != "" || cLot.Subject != lotA || cLot.Lot != "A"+run || !cLot.Active() {
		t.Fatalf("claims registered: %+v, %+v", c72, cLot)
	}

	// Refusals: only the brand that owns the product makes claims about it,
	// and only the one that made a claim supersedes it.
	for _, tc := range []struct {
		name, org, want string
		args            []string
	}{
		{"a supplier registers", testnet.Supplier, `Claim:RegisterClaim rejected: SupplierMSP does not hold role "brand", which Claim:RegisterClaim requires`,
			[]string{"claim", "add", "-f", lazio}},
		{"a lab supersedes", testnet.Lab, `Claim:SupersedeClaim rejected: LabMSP does not hold role "brand"`,
			[]string{"claim", "add", "-f", shelf48, "--supersedes", c72.ID}},
		{"an unknown claim superseded", testnet.Brand, `Claim:SupersedeClaim rejected: no claim "claim-nope` + run + `"`,
			[]string{"claim", "add", "-f", shelf48, "--supersedes", "claim-nope" + run}},
		{"a claim about an unknown lot", testnet.Brand, "Claim:RegisterClaim rejected: unknown lot https://id.gs1.org/01/" + gtin + "/10/Z" + run,
			[]string{"claim", "add", "-f", unknownLot}},
	} {
		t.Run(tc.name, func(t *testing.T) { rejected(tc.want, tc.org, tc.args...) })
	}

	// Any member lists them, as a table and as JSON.
	out = ok(testnet.Lab, "claim", "list", gtin)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "CLAIM") {
		t.Fatalf("claim list: want a header and 3 rows:\n%s", out)
	}
	for _, want := range []string{c72.ID, cLot.ID, "Grown in Lazio", "farm_to_shelf_within", lotA, "On the shelf within 72 hours", "active"} {
		if !strings.Contains(out, want) {
			t.Errorf("claim list lacks %q:\n%s", want, out)
		}
	}
	var list []ledger.Claim
	okJSON(&list, testnet.Lab, "claim", "list", gtin)
	if len(list) != 3 {
		t.Fatalf("claim list -o json: %d claims, want 3", len(list))
	}

	// Superseding replaces the 72-hour promise with a 48-hour one; the old
	// claim stays, marked superseded.
	var c48 ledger.Claim
	okJSON(&c48, testnet.Brand, "claim", "add", "-f", shelf48, "--supersedes", c72.ID)
	if c48.Supersedes != c72.ID || !c48.Active() || c48.GTIN != gtin {
		t.Fatalf("superseding claim: %+v", c48)
	}
	rejected("Claim:SupersedeClaim rejected: claim "+c72.ID+" is already superseded by "+c48.ID, testnet.Brand,
		"claim", "add", "-f", shelf48, "--supersedes", c72.ID)
	out = ok(testnet.Supplier, "claim", "list", gtin)
	if !strings.Contains(out, "superseded by "+c48.ID) || strings.Count(out, "active") != 3 {
		t.Fatalf("claim list after superseding: want %s superseded by %s and 3 active:\n%s", c72.ID, c48.ID, out)
	}
	okJSON(&list, testnet.Supplier, "claim", "list", gtin)
	states := map[string]string{}
	for _, c := range list {
		states[c.ID] = c.SupersededBy
	}
	if len(list) != 4 || states[c72.ID] != c48.ID || states[c48.ID] != "" || states[cLot.ID] != "" {
		t.Fatalf("claim list -o json after superseding: %+v", list)
	}
	if out := ok(testnet.Lab, "claim", "show", c72.ID); !strings.Contains(out, "superseded by "+c48.ID) {
		t.Errorf("claim show of the superseded claim:\n%s", out)
	}
	var shown ledger.Claim
	okJSON(&shown, testnet.Lab, "claim", "show", c48.ID)
	if shown.ID != c48.ID || shown.Supersedes != c72.ID {
		t.Errorf("claim show -o json: %+v", shown)
	}
	rejected("Claim:GetClaim rejected: no claim \"claim-nosuchtx\"", testnet.Lab, "claim", "show", "claim-nosuchtx")
	if out := ok(testnet.Lab, "claim", "list", "07"+gtin[2:13]+checkDigitOf(t, "07"+gtin[2:13])); !strings.Contains(out, "no claims about product") {
		t.Errorf("claim list of a product without claims:\n%s", out)
	}

	// Check, 30 hours after the harvest: Lazio holds, the Allgäu lot claim
	// fails on lot A only, the 48-hour promise is pending with 18 hours
	// left, and the superseded 72-hour one is not evaluated.
	at := produced.Add(30 * time.Hour).Format(time.RFC3339)
	harvest := produced.Format("2006-01-02 15:04 UTC")
	r := as(testnet.Lab, "claim", "check", lotA, "--at", at)
	if r.Code != cmdutil.ExitRejected || strings.TrimSpace(r.Stderr) != "Error: 1 of 3 claims about "+lotA+" fail: From the Allgäu" {
		t.Fatalf("claim check of lot A: exit %d, stderr %q; want exit 3 naming the failing claim", r.Code, r.Stderr)
	}
	for _, want := range []string{
		"HOLDS    Grown in Lazio — the origin (Roma, IT at 41.9000, 12.5000) lies in Lazio\n",
		"FAILS    From the Allgäu — origin of " + lotA + " (Roma, IT at 41.9000, 12.5000) lies outside Allgäu\n",
		"PENDING  On the shelf within 48 hours — harvested " + harvest + "; not yet received at a retail place (18 h of 48 h left)\n",
		"claim: " + cLot.ID, "evidence: ",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("claim check of lot A lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "72 hours") {
		t.Errorf("claim check evaluated the superseded claim:\n%s", r.Stdout)
	}

	r = as(testnet.Supplier, "claim", "check", lotB, "--at", at, "-o", "json")
	var results []claims.Result
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &results) != nil {
		t.Fatalf("claim check of lot B: exit %d: %s%s", r.Code, r.Stdout, r.Stderr)
	}
	verdicts := map[string]claims.Status{}
	for _, res := range results {
		verdicts[res.Claim] = res.Status
		if res.Lot != lotB || res.Reason == "" || res.EvaluatedAt != ledger.FormatTime(produced.Add(30*time.Hour)) {
			t.Errorf("claim check of lot B: result %+v", res)
		}
	}
	if len(results) != 2 || verdicts[c48.ID] != claims.Pending || verdicts[cLot.ID] != "" {
		t.Fatalf("claim check of lot B: %+v; want the product claims only, the 48-hour one pending", results)
	}

	// Without --at, now: still within 48 hours of the harvest.
	if out := ok(testnet.Brand, "claim", "check", lotB); !strings.Contains(out, "HOLDS    Grown in Lazio") || !strings.Contains(out, "PENDING  On the shelf within 48 hours") {
		t.Errorf("claim check of lot B now:\n%s", out)
	}
	rejected("Query:GetLot rejected: ", testnet.Lab, "claim", "check", "https://id.gs1.org/01/"+gtin+"/10/NOPE"+run)
}

func checkDigitOf(t *testing.T, body string) string {
	t.Helper()
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(d)
}
