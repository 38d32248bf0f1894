package clitest_test

import (
	"encoding/json"
	"fmt"
	"os"
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

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// TestIntegrationCLI drives the role commands in-process with --profile on
// the real testnet: successes print typed records, and refusals by the
// ledger exit 3 with the chaincode's reason on one line.
func TestIntegrationCLI(t *testing.T) {
	n := testkit.Network(t)
	dir := clitest.Isolate(t)
	run := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36), 36)
	c := clitest.Ledger{T: t, Dir: n.Dir()}
	ok, rejected := c.OK, c.Rejected

	body := fmt.Sprintf("08%011d", (time.Now().UnixNano()/1000)%1e11)
	d, _ := gs1.CheckDigit(body)
	gtin := body + strconv.Itoa(d)
	ok(testnet.Brand, "product", "register", "--gtin", gtin, "--name", "Tomatoes", "--brand", "Acme", "--category", "vegetables",
		"--temp-min", "2", "--temp-max", "8", "--shelf-life-days", "14")
	rejected("Product:RegisterProduct rejected: ", testnet.Supplier, "product", "register", "--gtin", gtin, "--name", "X")

	now := time.Now().UTC()
	batch := clitest.WriteFile(t, dir, "batch.yaml", fmt.Sprintf(`gtin: "%s"
lot: C%s
quantity: {value: "500", uom: KGM}
producer: "9506000134376"
place:
  geo: {latitude: 41.9, longitude: 12.5}
  address: {city: Roma, country: IT}
producedAt: %s
expiry: %s
farmingPractice: organic
`, gtin, run, now.Add(-24*time.Hour).Format(time.RFC3339), now.Add(10*24*time.Hour).Format(time.RFC3339)))
	var l ledger.LotSummary
	if err := json.Unmarshal([]byte(ok(testnet.Supplier, "batch", "create", "-f", batch, "-o", "json")), &l); err != nil || l.Custodian != "SupplierMSP" {
		t.Fatalf("batch create: %+v, %v", l, err)
	}

	rejected("Custody:Ship rejected: only the current custodian (SupplierMSP) can ship lot "+l.ID, testnet.Logistics,
		"ship", "--lot", l.ID, "--to", "BrandMSP", "--destination", "9506000134383")
	csv := clitest.WriteFile(t, dir, "logger.csv", "time,device,temperature_c,humidity_pct\n"+
		now.Add(-2*time.Minute).Format(time.RFC3339)+",logger-1,4.2,81\n"+now.Add(-time.Minute).Format(time.RFC3339)+",logger-1,4.4,\n")
	out := ok(testnet.Supplier, "ship", "--lot", l.ID, "--to", "LogisticsMSP", "--destination", "9506000134383", "--readings", csv,
		"--biz-transaction", "desadv=urn:epcglobal:cbv:bt:9506000134376:"+run)
	if !strings.Contains(out, "in-transit") {
		t.Fatalf("ship printed:\n%s", out)
	}
	rejected("only the recipient (LogisticsMSP)", testnet.Brand, "receive", "--lot", l.ID)
	ok(testnet.Logistics, "receive", "--lot", l.ID)
	out = ok(testnet.Logistics, "readings", "add", "--lot", l.ID, "--readings", csv)
	if !strings.Contains(out, "Recorded 2 readings") {
		t.Fatalf("readings add printed:\n%s", out)
	}

	t.Setenv("TRUSTLINE_LAB_PASSWORD", "secret")
	ks := dir + "/lab.json"
	clitest.Run(t, "", "lab", "keygen", "--keystore", ks, "--light-kdf")
	ok(testnet.Lab, "lab", "register-signer", "--keystore", ks, "--name", "Lab One", "--accreditation", "ISO/IEC 17025 D-PL-1")
	report := clitest.WriteFile(t, dir, "report.json", fmt.Sprintf(`{"reportId":"R-%s","lots":["%s"],"method":"LC-MS/MS","standard":"EN 15662:2018",
"sampledAt":"%s","issuedAt":"%s","analytes":[{"name":"chlorpyrifos","value":"0.004","unit":"mg/kg","limit":"0.01","pass":true}],
"verdict":"pass","document":{"sha256":"%s","uri":"ipfs://bafyreport"}}`, run, l.ID, now.Add(-48*time.Hour).Format("2006-01-02T15:04:05Z"),
		now.Add(-time.Hour).Format("2006-01-02T15:04:05Z"), strings.Repeat("ab", 32)))
	r := clitest.Run(t, "", "lab", "sign", report, "--keystore", ks)
	if r.Code != 0 {
		t.Fatalf("lab sign: %s", r.Stderr)
	}
	signed := clitest.WriteFile(t, dir, "signed.json", r.Stdout)
	ok(testnet.Lab, "lab", "submit", signed)
	rejected("was already submitted", testnet.Lab, "lab", "submit", signed)

	rejected("Product:Recall rejected: ", testnet.Supplier, "recall", l.ID, "--reason", "test", "--class", "III")
	ok(testnet.Brand, "recall", l.ID, "--reason", "Salmonella", "--class", "I")
	out = ok(testnet.Lab, "trace", l.ID)
	for _, want := range []string{"Tomatoes (Acme)", "recalled", "class I: Salmonella", "inspecting", "sensor_reporting"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	// The ledger's own event document hashes to the ids it records.
	doc := clitest.WriteFile(t, dir, "events.jsonld", ok(testnet.Supplier, "batch", "events", l.ID))
	if r := clitest.Run(t, "", "epcis", "hash", doc); r.Code != 0 || strings.Count(r.Stdout, "ni:///sha-256;") != l.Counts.Events+5 {
		t.Errorf("epcis hash of the lot's events: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}
