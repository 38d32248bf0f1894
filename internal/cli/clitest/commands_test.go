package clitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/receipt"
)

const lot = "https://id.gs1.org/01/09506000134352/10/L1"

func TestUsageErrors(t *testing.T) {
	dir := clitest.Isolate(t)
	badJSON := clitest.WriteFile(t, dir, "bad.json", `{"gtin":"1","colour":"red"}`)
	csvBad := clitest.WriteFile(t, dir, "bad.csv", "time,device\n")
	badRoles := clitest.WriteFile(t, dir, "roles.yaml", "BrandMSP: [brand, owner]\n")
	emptyRoles := clitest.WriteFile(t, dir, "empty.json", "{}")
	listRoles := clitest.WriteFile(t, dir, "list.yaml", "- brand\n")
	pack := clitest.WriteFile(t, dir, "pack.yaml", "sscc: \"095060001343520001\"\nlots: [\""+lot+"\"]\n")
	packBad := clitest.WriteFile(t, dir, "pack-bad.json", `{"sscc":"095060001343520001","lot":"x"}`)
	tests := []struct {
		name      string
		args      []string
		want      string
		showUsage bool
	}{
		{"product register without gtin", []string{"product", "register"}, "--gtin is required", true},
		{"product register flags and file", []string{"product", "register", "-f", badJSON, "--gtin", "1"}, "either as flags or with -f", false},
		{"product register unknown field", []string{"product", "register", "-f", badJSON}, `unknown field "colour"`, false},
		{"product show no gtin", []string{"product", "show"}, "takes a GTIN", true},
		{"batch create without lot", []string{"batch", "create", "--gtin", "09506000134352"}, "--gtin and --lot are required", true},
		{"batch transform without inputs", []string{"batch", "transform"}, "at least one --input", true},
		{"batch show bad direction", []string{"batch", "show", lot, "--direction", "sideways"}, `--direction "sideways"`, false},
		{"ship without subject", []string{"ship", "--to", "LogisticsMSP"}, "exactly one of --lot and --logistic-unit", true},
		{"ship with both subjects", []string{"ship", "--lot", lot, "--logistic-unit", "095060001343520001"}, "exactly one of --lot and --logistic-unit", true},
		{"ship bad biz transaction", []string{"ship", "--lot", lot, "--biz-transaction", "desadv"}, "is not TYPE=ID", false},
		{"receive bad csv", []string{"receive", "--lot", lot, "--readings", csvBad}, `lacks column "temperature_c"`, false},
		{"readings add without file", []string{"readings", "add", "--lot", lot}, "--readings FILE.csv is required", true},
		{"units commission without serials", []string{"units", "commission", lot}, "no serials", true},
		{"recall without reason", []string{"recall", lot}, "--reason is required", true},
		{"recall bad class", []string{"recall", lot, "--reason", "x", "--class", "IV"}, `--class "IV"`, false},
		{"lab keygen without keystore", []string{"lab", "keygen"}, "--keystore FILE is required", true},
		{"lab keygen without password", []string{"lab", "keygen", "--keystore", filepath.Join(dir, "k.json")}, "no keystore password", false},
		{"lab sign bad report", []string{"lab", "sign", badJSON}, `unknown field "gtin"`, false},
		{"lab register two addresses", []string{"lab", "register-signer", "0x1", "0x2"}, "at most one address", true},
		{"lab register bad address", []string{"lab", "register-signer", "0x1", "--name", "n", "--accreditation", "a"}, "not an Ethereum address", false},
		{"lab revoke without address", []string{"lab", "revoke-signer", "--reason", "lost"}, "takes a signer's address", true},
		{"lab revoke bad address", []string{"lab", "revoke-signer", "0x12", "--reason", "lost"}, "not an Ethereum address", false},
		{"lab revoke without reason", []string{"lab", "revoke-signer", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"}, "--reason is required", true},
		{"lab signers extra argument", []string{"lab", "signers", "LabMSP"}, "unknown command", true},
		{"lab inspection without id", []string{"lab", "inspection"}, "takes a report id", true},
		{"lab inspection bad output", []string{"lab", "inspection", "R-1", "-o", "csv"}, `unknown --output "csv"`, false},
		{"pack without sscc", []string{"pack", "--lot", lot}, "--sscc and at least one --lot are required", true},
		{"pack without lots", []string{"pack", "--sscc", "095060001343520001"}, "--sscc and at least one --lot are required", true},
		{"pack flags and file", []string{"pack", "-f", pack, "--sscc", "095060001343520001"}, "either as flags or with -f", false},
		{"pack unknown field", []string{"pack", "-f", packBad}, `unknown field "lot"`, false},
		{"pack extra argument", []string{"pack", "095060001343520001"}, "unknown command", true},
		{"unpack without sscc", []string{"unpack"}, "takes an SSCC", true},
		{"unpack two units", []string{"unpack", "095060001343520001", "095060001343520002"}, "takes an SSCC", true},
		{"governance propose without file", []string{"governance", "propose"}, "-f ROLES.yaml is required", true},
		{"governance propose unknown role", []string{"governance", "propose", "-f", badRoles}, `unknown role "owner"`, false},
		{"governance propose no members", []string{"governance", "propose", "-f", emptyRoles}, "no members", false},
		{"governance propose not a table", []string{"governance", "propose", "-f", listRoles}, "ledger.RoleTable", false},
		{"governance approve without id", []string{"governance", "approve"}, "takes a proposal id", true},
		{"governance proposal without id", []string{"governance", "proposal"}, "takes a proposal id", true},
		{"governance roles extra argument", []string{"governance", "roles", "BrandMSP"}, "unknown command", true},
		{"governance unknown subcommand", []string{"governance", "vote"}, "unknown command", true},
		{"lab unknown subcommand", []string{"lab", "revoke"}, "unknown command", true},
		{"product unknown subcommand", []string{"product", "regster"}, `unknown command "regster" for "trustline product"`, true},
		{"batch unknown subcommand", []string{"batch", "crate"}, "unknown command", true},
		{"units unknown subcommand", []string{"units", "list"}, "unknown command", true},
		{"index unknown subcommand", []string{"index", "repair"}, "unknown command", true},
		{"node unknown subcommand", []string{"node", "stop"}, "unknown command", true},
		{"testnet unknown subcommand", []string{"testnet", "restart"}, "unknown command", true},
		{"claim unknown subcommand", []string{"claim", "remove"}, "unknown command", true},
		{"trace product link", []string{"trace", "https://id.gs1.org/01/09506000134352"}, "trace takes a lot or unit", false},
		{"trace missing image", []string{"trace", filepath.Join(dir, "none.png")}, "neither a Digital Link URI nor a readable image", false},
		{"trace not an image", []string{"trace", badJSON}, "not a PNG or JPEG image", false},
		{"events query without node", []string{"events", "query"}, "no node", false},
		{"events query bad time", []string{"events", "query", "--from", "yesterday"}, `--from "yesterday"`, false},
		{"no identity", []string{"batch", "show", lot}, "no ledger identity", false},
		{"unknown profile", []string{"batch", "show", lot, "--profile", "farm"}, "--profile", false},
		{"bad output", []string{"batch", "show", lot, "-o", "yaml"}, `unknown --output "yaml"`, false},
		{"unknown flag", []string{"ship", "--bogus"}, "unknown flag: --bogus", true},
		{"extra argument", []string{"ship", "now"}, "unknown command", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := clitest.Run(t, "", tc.args...)
			if r.Code != cmdutil.ExitUsage {
				t.Errorf("exit code %d, want %d (usage); stderr: %s", r.Code, cmdutil.ExitUsage, r.Stderr)
			}
			if !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", r.Stderr, tc.want)
			}
			if tc.showUsage && !strings.Contains(r.Stderr, "Usage:") {
				t.Errorf("usage error without the command's usage: %q", r.Stderr)
			}
		})
	}
}

// TestHelpHasExamples: every command of the role groups documents itself
// with examples.
func TestHelpHasExamples(t *testing.T) {
	clitest.Isolate(t)
	for _, path := range [][]string{
		{"product", "register"}, {"product", "show"}, {"batch", "create"}, {"batch", "transform"}, {"batch", "show"}, {"batch", "events"},
		{"lab", "keygen"}, {"lab", "register-signer"}, {"lab", "sign"}, {"lab", "submit"}, {"lab", "verify"},
		{"lab", "revoke-signer"}, {"lab", "signers"}, {"lab", "inspection"},
		{"governance", "roles"}, {"governance", "propose"}, {"governance", "approve"}, {"governance", "proposal"},
		{"ship"}, {"receive"}, {"readings", "add"}, {"pack"}, {"unpack"}, {"units", "commission"}, {"recall"}, {"trace"}, {"events", "query"}, {"epcis", "hash"},
	} {
		r := clitest.Run(t, "", append(path, "--help")...)
		if r.Code != 0 || !strings.Contains(r.Stdout, "Examples:") || !strings.Contains(r.Stdout, "trustline "+strings.Join(path, " ")) {
			t.Errorf("%v --help: exit %d, no examples:\n%s", path, r.Code, r.Stdout)
		}
	}
	if r := clitest.Run(t, "", "completion", "bash"); r.Code != 0 || !strings.Contains(r.Stdout, "trustline") {
		t.Errorf("completion bash: exit %d", r.Code)
	}
}

func TestUnavailableGateway(t *testing.T) {
	dir := clitest.Isolate(t)
	ca, cert, key := clitest.SelfSigned(t, dir)
	for k, v := range map[string]string{"TRUSTLINE_GATEWAY": "127.0.0.1:1", "TRUSTLINE_TLS_CA": ca, "TRUSTLINE_CERT": cert,
		"TRUSTLINE_KEY": key, "TRUSTLINE_MSP_ID": "SupplierMSP", "TRUSTLINE_TLS_SERVER_NAME": "localhost"} {
		t.Setenv(k, v)
	}
	r := clitest.Run(t, "", "batch", "show", lot)
	if r.Code != cmdutil.ExitUnavailable || !strings.Contains(r.Stderr, "ledger unavailable at 127.0.0.1:1") || strings.Count(r.Stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want exit 4 and one line", r.Code, r.Stderr)
	}
}

func TestLabKeygenSignVerify(t *testing.T) {
	dir := clitest.Isolate(t)
	t.Setenv("TRUSTLINE_LAB_PASSWORD", "secret")
	ks := filepath.Join(dir, "lab.json")
	r := clitest.Run(t, "", "lab", "keygen", "--keystore", ks, "--light-kdf")
	addr := strings.TrimSpace(r.Stdout)
	if r.Code != 0 || !strings.HasPrefix(addr, "0x") || len(addr) != 42 {
		t.Fatalf("keygen: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := clitest.Run(t, "", "lab", "keygen", "--keystore", ks, "--light-kdf"); r.Code != cmdutil.ExitUsage {
		t.Fatalf("keygen overwrote a keystore: exit %d", r.Code)
	}
	report := clitest.WriteFile(t, dir, "report.yaml", `reportId: R-1
lots: ["`+lot+`"]
method: LC-MS/MS
standard: "EN 15662:2018"
sampledAt: "2025-06-01T08:00:00Z"
issuedAt: "2025-06-02T08:00:00Z"
analytes:
  - {name: chlorpyrifos, value: "0.004", unit: mg/kg, limit: "0.01", pass: true}
verdict: pass
document: {sha256: "`+strings.Repeat("ab", 32)+`", uri: "ipfs://bafyreport"}
`)
	r = clitest.Run(t, "", "lab", "sign", report, "--keystore", ks)
	if r.Code != 0 {
		t.Fatalf("sign: exit %d: %s", r.Code, r.Stderr)
	}
	signed := clitest.WriteFile(t, dir, "signed.json", r.Stdout)
	if r := clitest.Run(t, "", "lab", "verify", signed, "--signer", addr); r.Code != 0 || strings.TrimSpace(r.Stdout) != addr {
		t.Fatalf("verify: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := clitest.Run(t, "", "lab", "verify", signed, "--signer", "0x0000000000000000000000000000000000000001"); r.Code != cmdutil.ExitUsage || !strings.Contains(r.Stderr, "signed by another address") {
		t.Fatalf("verify against another signer: exit %d, %q", r.Code, r.Stderr)
	}
	var sr map[string]any
	json.Unmarshal([]byte(r.Stdout), &sr)
	tampered := clitest.WriteFile(t, dir, "tampered.json", strings.Replace(readFile(t, signed), `"verdict": "pass"`, `"verdict": "fail"`, 1))
	if r := clitest.Run(t, "", "lab", "verify", tampered); r.Code != cmdutil.ExitUsage {
		t.Fatalf("tampered report verified: exit %d, %q", r.Code, r.Stdout)
	}
	// A hex key from the environment signs too.
	t.Setenv("TRUSTLINE_LAB_KEY", "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
	if r := clitest.Run(t, "", "lab", "sign", report); r.Code != 0 || !strings.Contains(r.Stdout, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23") {
		t.Fatalf("sign with TRUSTLINE_LAB_KEY: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// qrPNG writes a PNG of a QR code of text.
func qrPNG(t *testing.T, dir, text string) string {
	t.Helper()
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 300, 300, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return clitest.WriteFile(t, dir, "qr.png", buf.String())
}

// TestTraceAndEventsThroughNode runs trace (from a URL and from a QR
// image, with a receipt) and events query against the real node API over
// the index fixture (package apitest).
func TestTraceAndEventsThroughNode(t *testing.T) {
	dir := clitest.Isolate(t)
	srv := apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored})

	r := clitest.Run(t, "", "trace", lot+"?17=261231", "--node", srv.URL)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Apples (Acme)") || !strings.Contains(r.Stdout, "recalled") || !strings.Contains(r.Stdout, "class I: Listeria") {
		t.Fatalf("trace URL: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	img := qrPNG(t, dir, "https://example.com/01/09506000134352/10/L1")
	t.Setenv("TRUSTLINE_NODE", srv.URL)
	receiptFile := filepath.Join(dir, "l1.json")
	r = clitest.Run(t, "", "trace", img, "-o", "json", "--receipt", receiptFile)
	var tr struct {
		Lot struct{ Status string } `json:"lot"`
	}
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &tr) != nil || tr.Lot.Status != "recalled" {
		t.Fatalf("trace QR image: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	// The receipt written is the node's: its paths and anchors verify
	// offline (the fixture's event ids are not content hashes).
	data, err := os.ReadFile(receiptFile)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := receipt.Parse(data)
	if err != nil || rc.Subject.DigitalLink != lot {
		t.Fatalf("receipt of %+v: %v", rc.Subject, err)
	}
	rep, err := receipt.Verify(context.Background(), rc, receipt.Options{})
	if err != nil || len(rep.Verdicts) != 3 {
		t.Fatalf("verify: %v, %+v", err, rep)
	}
	for _, v := range rep.Verdicts {
		if v.Failed(receipt.PartPath) || v.Failed(receipt.PartAnchor) {
			t.Errorf("%s: %v", v.EventID, v.Failures)
		}
	}
	r = clitest.Run(t, "", "trace", "https://id.gs1.org/01/09506000134352/10/X")
	if r.Code != cmdutil.ExitRejected || !strings.Contains(r.Stderr, "https://id.gs1.org/01/09506000134352/10/X") || !strings.Contains(r.Stderr, "not found") {
		t.Fatalf("trace unknown lot: exit %d, %q", r.Code, r.Stderr)
	}
	r = clitest.Run(t, "", "events", "query", "--epc-class", apitest.LotJuice)
	if r.Code != 0 || !strings.Contains(r.Stdout, "TransformationEvent") || !strings.Contains(r.Stdout, "packing") {
		t.Fatalf("events query: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	r = clitest.Run(t, "", "events", "query", "--biz-step", "shipping")
	if r.Code != 0 || !strings.Contains(r.Stdout, "shipping") {
		t.Fatalf("events query: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	srv.Close()
	if r := clitest.Run(t, "", "events", "query"); r.Code != cmdutil.ExitUnavailable {
		t.Fatalf("events query of a stopped node: exit %d, %q", r.Code, r.Stderr)
	}
}
