package clitest_test

import (
	"fmt"
	"path/filepath"
	"slices"
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

// uniqueKey is a GS1 key of n digits (check digit included) that starts
// with prefix and differs between runs.
func uniqueKey(t *testing.T, prefix string, n int) string {
	t.Helper()
	width := n - 1 - len(prefix)
	mod := int64(1)
	for range width {
		mod *= 10
	}
	body := fmt.Sprintf("%s%0*d", prefix, width, (time.Now().UnixNano()/1000)%mod)
	d, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + strconv.Itoa(d)
}

// TestIntegrationPackLabGovernance drives pack/unpack, lab signer
// revocation and inspection display, and a role change voted on by the
// members, in-process with --profile on the real testnet.
func TestIntegrationPackLabGovernance(t *testing.T) {
	n := testkit.Network(t)
	dir := clitest.Isolate(t)
	c := clitest.Ledger{T: t, Dir: n.Dir()}
	run := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36), 36)
	now := time.Now().UTC()

	gtin := uniqueKey(t, "07", 14)
	c.OK(testnet.Brand, "product", "register", "--gtin", gtin, "--name", "Basil", "--brand", "Acme", "--category", "herbs",
		"--temp-min", "2", "--temp-max", "8", "--shelf-life-days", "10")
	var lots []string
	for _, name := range []string{"PA", "PB"} {
		batch := clitest.WriteFile(t, dir, name+".yaml", fmt.Sprintf(`gtin: "%s"
lot: %s%s
quantity: {value: "120", uom: KGM}
producer: "9506000134376"
place:
  geo: {latitude: 44.4, longitude: 8.9}
  address: {city: Genova, country: IT}
producedAt: %s
expiry: %s
farmingPractice: conventional
`, gtin, name, run, now.Add(-24*time.Hour).Format(time.RFC3339), now.Add(10*24*time.Hour).Format(time.RFC3339)))
		var l ledger.LotSummary
		c.OKJSON(&l, testnet.Supplier, "batch", "create", "-f", batch)
		lots = append(lots, l.ID)
	}

	t.Run("pack ship receive unpack", func(t *testing.T) {
		c := clitest.Ledger{T: t, Dir: n.Dir()}
		sscc := uniqueKey(t, "39506000", 18)
		c.Rejected("Custody:Pack rejected: only the current custodian (SupplierMSP) can pack lot "+lots[0], testnet.Logistics,
			"pack", "--sscc", sscc, "--lot", lots[0], "--lot", lots[1])
		var u ledger.LogisticUnit
		c.OKJSON(&u, testnet.Supplier, "pack", "--sscc", sscc, "--lot", lots[0], "--lot", lots[1])
		if u.SSCC != sscc || u.Status != ledger.UnitPacked || !slices.Equal(u.Lots, lots) || u.Custodian != "SupplierMSP" || u.PackEvent == "" {
			t.Fatalf("pack: %+v", u)
		}
		c.Rejected("already exists", testnet.Supplier, "pack", "--sscc", sscc, "--lot", lots[0])
		c.Rejected("is packed in logistic unit "+u.ID, testnet.Supplier, "ship", "--lot", lots[0], "--to", "LogisticsMSP", "--destination", "9506000134383")

		out := c.OK(testnet.Supplier, "ship", "--logistic-unit", sscc, "--to", "LogisticsMSP", "--destination", "9506000134383")
		if !strings.Contains(out, "in-transit") || !strings.Contains(out, u.ID) {
			t.Fatalf("ship printed:\n%s", out)
		}
		c.Rejected("only a packed unit at rest can be unpacked", testnet.Supplier, "unpack", sscc)
		c.OK(testnet.Logistics, "receive", "--logistic-unit", u.ID)

		c.Rejected("only the current custodian (LogisticsMSP) can unpack", testnet.Supplier, "unpack", sscc)
		out = c.OK(testnet.Logistics, "unpack", u.ID)
		for _, want := range []string{"unpacked", lots[0], lots[1], "LogisticsMSP"} {
			if !strings.Contains(out, want) {
				t.Errorf("unpack printed no %q:\n%s", want, out)
			}
		}
		for _, id := range lots {
			var l ledger.LotSummary
			c.OKJSON(&l, testnet.Brand, "batch", "show", id)
			if l.Custodian != "LogisticsMSP" || l.LogisticUnit != "" || l.Shipment != "" {
				t.Errorf("lot after unpacking: custodian %s, unit %q, shipment %q", l.Custodian, l.LogisticUnit, l.Shipment)
			}
		}
		c.Rejected("only a packed unit at rest can be unpacked", testnet.Logistics, "unpack", sscc)
	})

	t.Run("revoked signer", func(t *testing.T) {
		c := clitest.Ledger{T: t, Dir: n.Dir()}
		t.Setenv("TRUSTLINE_LAB_PASSWORD", "secret")
		ks := filepath.Join(dir, "revocable.json")
		r := clitest.Run(t, "", "lab", "keygen", "--keystore", ks, "--light-kdf")
		addr := strings.TrimSpace(r.Stdout)
		if r.Code != 0 {
			t.Fatalf("lab keygen: %s", r.Stderr)
		}
		c.OK(testnet.Lab, "lab", "register-signer", addr, "--name", "Lab Two", "--accreditation", "ISO/IEC 17025 D-PL-2")
		sign := func(id, verdict string) string {
			t.Helper()
			pass := verdict == "pass"
			report := clitest.WriteFile(t, dir, id+".json", fmt.Sprintf(`{"reportId":"%s","lots":["%s","%s"],"method":"GC-MS","standard":"EN 15662:2018",
"sampledAt":"%s","issuedAt":"%s","analytes":[{"name":"lead","value":"0.02","unit":"mg/kg","limit":"0.3","pass":true},
{"name":"salmonella","value":"0","unit":"cfu/25g","limit":"0","pass":%t}],
"verdict":"%s","document":{"sha256":"%s","uri":"ipfs://bafy%s"}}`, id, lots[0], lots[1], now.Add(-48*time.Hour).Format("2006-01-02T15:04:05Z"),
				now.Add(-time.Hour).Format("2006-01-02T15:04:05Z"), pass, verdict, strings.Repeat("cd", 32), strings.ToLower(id)))
			r := clitest.Run(t, "", "lab", "sign", report, "--keystore", ks)
			if r.Code != 0 {
				t.Fatalf("lab sign: %s", r.Stderr)
			}
			return clitest.WriteFile(t, dir, id+".signed.json", r.Stdout)
		}
		before, after := "RV1-"+run, "RV2-"+run
		c.OK(testnet.Lab, "lab", "submit", sign(before, "pass"))
		out := c.OK(testnet.Brand, "lab", "inspection", before)
		for _, want := range []string{before, "pass", lots[0], lots[1], "GC-MS", "lead", "0.3 mg/kg", addr, "LabMSP"} {
			if !strings.Contains(out, want) {
				t.Errorf("lab inspection printed no %q:\n%s", want, out)
			}
		}
		var rec ledger.InspectionRecord
		c.OKJSON(&rec, testnet.Supplier, "lab", "inspection", before)
		if rec.Signer != addr || rec.Report.ReportID != before || len(rec.Report.Analytes) != 2 || rec.Signature == "" {
			t.Errorf("lab inspection -o json: %+v", rec)
		}
		c.Rejected(`no inspection`, testnet.Brand, "lab", "inspection", "NOPE-"+run)

		signed := sign(after, "pass")
		c.Rejected("Lab:RevokeLabSigner rejected: ", testnet.Brand, "lab", "revoke-signer", addr, "--reason", "not theirs")
		out = c.OK(testnet.Lab, "lab", "revoke-signer", addr, "--reason", "key on a stolen laptop")
		if !strings.Contains(out, "key on a stolen laptop") {
			t.Errorf("revoke-signer printed:\n%s", out)
		}
		c.Rejected("already revoked", testnet.Lab, "lab", "revoke-signer", addr, "--reason", "again")

		var signers []ledger.LabSigner
		c.OKJSON(&signers, testnet.Brand, "lab", "signers", "--lab", "LabMSP")
		i := slices.IndexFunc(signers, func(s ledger.LabSigner) bool { return s.Address == addr })
		if i < 0 || !signers[i].Revoked || signers[i].RevokedReason != "key on a stolen laptop" {
			t.Fatalf("lab signers lacks %s revoked: %+v", addr, signers)
		}
		c.OKJSON(&signers, testnet.Brand, "lab", "signers", "--active")
		if slices.ContainsFunc(signers, func(s ledger.LabSigner) bool { return s.Address == addr || s.Revoked }) {
			t.Errorf("lab signers --active lists revoked signers: %+v", signers)
		}
		if out := c.OK(testnet.Lab, "lab", "signers"); !strings.Contains(out, addr) || !strings.Contains(out, "revoked") {
			t.Errorf("lab signers table:\n%s", out)
		}

		c.Rejected(fmt.Sprintf("Lab:SubmitInspection rejected: report %q is signed by %s, revoked at", after, addr), testnet.Lab, "lab", "submit", signed)
		// The report accepted before the revocation stays.
		c.OK(testnet.Brand, "lab", "inspection", before)
	})

	t.Run("role change", func(t *testing.T) {
		c := clitest.Ledger{T: t, Dir: n.Dir()}
		var roles ledger.Roles
		c.OKJSON(&roles, testnet.Supplier, "governance", "roles")
		if len(roles.Members) != len(testnet.Orgs) || roles.Version < 1 {
			t.Fatalf("governance roles: %+v", roles)
		}
		// The logistics provider also becomes a supplier: roles are only
		// added, so the package's other tests are unaffected.
		table := ledger.RoleTable{}
		for _, m := range roles.Members {
			table[m.MSPID] = m.Roles
		}
		table["LogisticsMSP"] = append(table["LogisticsMSP"], ledger.RoleSupplier)
		if roles.Has("LogisticsMSP", ledger.RoleSupplier) {
			t.Fatalf("LogisticsMSP already a supplier: %+v", roles)
		}
		var yaml strings.Builder
		for id, rs := range table {
			fmt.Fprintf(&yaml, "%s: [", id)
			for i, r := range rs {
				if i > 0 {
					yaml.WriteString(", ")
				}
				yaml.WriteString(string(r))
			}
			yaml.WriteString("]\n")
		}
		file := clitest.WriteFile(t, dir, "roles.yaml", yaml.String())

		var p ledger.RoleProposal
		c.OKJSON(&p, testnet.Brand, "governance", "propose", "-f", file)
		if p.ID == "" || p.Status != ledger.ProposalOpen || !slices.Equal(p.Approvals, []string{"BrandMSP"}) || p.BaseVersion != roles.Version {
			t.Fatalf("governance propose: %+v", p)
		}
		c.OKJSON(&p, testnet.Lab, "governance", "approve", p.ID)
		if p.Status != ledger.ProposalOpen || !slices.Equal(p.Approvals, []string{"BrandMSP", "LabMSP"}) {
			t.Fatalf("after one approval: %+v", p)
		}
		c.Rejected("LabMSP has already approved role proposal "+p.ID, testnet.Lab, "governance", "approve", p.ID)
		if out := c.OK(testnet.Supplier, "governance", "proposal", p.ID); !strings.Contains(out, "open") || !strings.Contains(out, "BrandMSP, LabMSP") {
			t.Fatalf("governance proposal:\n%s", out)
		}
		c.OKJSON(&p, testnet.Logistics, "governance", "approve", p.ID)
		if p.Status != ledger.ProposalApplied || p.AppliedAt == "" {
			t.Fatalf("after a majority approved: %+v", p)
		}

		var now ledger.Roles
		c.OKJSON(&now, testnet.Brand, "governance", "roles")
		if now.Version != roles.Version+1 || !now.Has("LogisticsMSP", ledger.RoleSupplier) || !now.Has("LogisticsMSP", ledger.RoleLogistics) {
			t.Fatalf("role table after the change: %+v", now)
		}
		out := c.OK(testnet.Lab, "governance", "roles")
		if !lineHas(out, "Version:", strconv.Itoa(now.Version)) || !lineHas(out, "LogisticsMSP", "supplier, logistics") {
			t.Errorf("governance roles table:\n%s", out)
		}
		if out := c.OK(testnet.Supplier, "governance", "proposal", p.ID); !strings.Contains(out, "applied") {
			t.Errorf("governance proposal after applying:\n%s", out)
		}
		c.Rejected("was already applied", testnet.Supplier, "governance", "approve", p.ID)
		c.Rejected("no role proposal", testnet.Supplier, "governance", "proposal", "nope-"+run)
	})
}

// lineHas reports whether some line of s holds all of parts in order.
func lineHas(s string, parts ...string) bool {
	for line := range strings.SplitSeq(s, "\n") {
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}
