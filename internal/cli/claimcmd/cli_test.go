package claimcmd_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/claims"
	"github.com/trustline/trustline/internal/cli/claimcmd"
	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

const (
	gtin    = "09506000134352"
	lot     = "https://id.gs1.org/01/" + gtin + "/10/L1"
	product = "https://id.gs1.org/01/" + gtin
)

// Mistakes in calling claim add, list and check are usage errors (exit 2)
// naming the problem, found before any connection.
func TestUsageErrors(t *testing.T) {
	dir := clitest.Isolate(t)
	claim := func(subject, wording string) string {
		return `{"subject":"` + subject + `","kind":"cold_chain","wording":"` + wording + `","params":{"coldChain":{"maxGapMinutes":120}}}`
	}
	good := clitest.WriteFile(t, dir, "good.json", claim(gtin, "Cold chain all the way"))
	noWording := clitest.WriteFile(t, dir, "nowording.json", claim(gtin, " "))
	tests := []struct {
		name      string
		args      []string
		stdin     string
		want      string
		showUsage bool
	}{
		{"unknown subcommand", []string{"claim", "remove"}, "", `unknown command "remove"`, true},

		{"add without subject", []string{"add", "-f", "-"}, claim("", "x"), "subject is required", false},
		{"add subject not a GTIN", []string{"add", "-f", "-"}, claim("tomatoes", "x"), `subject "tomatoes" is neither a GTIN nor a GS1 Digital Link`, false},
		{"add subject bad check digit", []string{"add", "-f", "-"}, claim("09506000134353", "x"), "subject: GTIN 09506000134353", false},
		{"add subject bad link", []string{"add", "-f", "-"}, claim("https://id.gs1.org/01/123", "x"), `subject "https://id.gs1.org/01/123" is not a GS1 Digital Link`, false},
		{"add subject an SSCC", []string{"add", "-f", "-"}, claim("https://id.gs1.org/00/106141410000000019", "x"), "identifies a logistic unit; a claim is about a product or one of its lots", false},
		{"add subject a variant", []string{"add", "-f", "-"}, claim(product+"/22/2A", "x"), "names a consumer product variant (AI 22)", false},
		{"add subject a unit", []string{"add", "-f", "-"}, claim(lot+"/21/7", "x"), "identifies a unit", false},
		{"add without wording", []string{"add", "-f", noWording}, "", "nowording.json: wording is required", false},
		{"add empty supersedes", []string{"add", "-f", good, "--supersedes", ""}, "", "--supersedes needs the id", false},
		{"add missing file", []string{"add", "-f", filepath.Join(dir, "none.yaml")}, "", "none.yaml", false},
		{"add unknown field", []string{"add", "-f", "-"}, `{"subject":"` + gtin + `","colour":"red"}`, `unknown field "colour"`, false},
		{"add argument", []string{"add", "-f", good, "extra"}, "", `unknown command "extra"`, true},
		{"add no identity", []string{"add", "-f", good}, "", "no ledger identity", false},

		{"show without id", []string{"show"}, "", "takes a claim id, got 0 arguments", true},
		{"show not a claim id", []string{"show", "09506000134352"}, "", `"09506000134352" is not a claim id`, false},
		{"list without GTIN", []string{"list"}, "", "takes a GTIN, got 0 arguments", true},
		{"list two GTINs", []string{"list", gtin, "09506000134369"}, "", "takes a GTIN, got 2 arguments", true},
		{"list short GTIN", []string{"list", "12345"}, "", "GTIN 12345 has 5 digits", false},
		{"list bad check digit", []string{"list", "09506000134353"}, "", "GTIN 09506000134353", false},
		{"list letters", []string{"list", "tomatoes"}, "", `GTIN "tomatoes"`, false},
		{"list a Digital Link", []string{"list", lot}, "", "list takes a product's GTIN: trustline claim list " + gtin, false},
		{"list a bad Digital Link", []string{"list", "https://id.gs1.org/01/"}, "", "list takes a product's GTIN", false},
		{"list bad output", []string{"list", gtin, "-o", "yaml"}, "", `unknown --output "yaml"`, false},
		{"list unknown flag", []string{"list", gtin, "--all"}, "", "unknown flag: --all", true},
		{"list no identity", []string{"list", gtin}, "", "no ledger identity", false},
		{"list unknown profile", []string{"list", gtin, "--profile", "farm"}, "", "--profile", false},

		{"check without lot", []string{"check"}, "", "takes a lot's Digital Link, got 0 arguments", true},
		{"check two lots", []string{"check", lot, lot + "2"}, "", "takes a lot's Digital Link, got 2 arguments", true},
		{"check a GTIN", []string{"check", gtin}, "", `"` + gtin + `" is not a lot's Digital Link`, false},
		{"check a product", []string{"check", product}, "", "identifies a product; check takes a lot's Digital Link", false},
		{"check a unit", []string{"check", lot + "/21/7"}, "", "identifies a unit; check takes a lot's Digital Link", false},
		{"check bad --at", []string{"check", lot, "--at", "tomorrow"}, "", `--at "tomorrow" is not an RFC 3339 time`, false},
		{"check date-only --at", []string{"check", lot, "--at", "2025-06-04"}, "", `--at "2025-06-04"`, false},
		{"check bad output", []string{"check", lot, "-o", "csv"}, "", `unknown --output "csv"`, false},
		{"check no identity", []string{"check", lot}, "", "no ledger identity", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args[0] != "claim" {
				args = append([]string{"claim"}, args...)
			}
			r := clitest.Run(t, tc.stdin, args...)
			if r.Code != cmdutil.ExitUsage {
				t.Errorf("exit code %d, want %d (usage); stderr: %s", r.Code, cmdutil.ExitUsage, r.Stderr)
			}
			if !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", r.Stderr, tc.want)
			}
			if tc.showUsage != strings.Contains(r.Stderr, "Usage:") {
				t.Errorf("usage shown: %v, want %v: %q", !tc.showUsage, tc.showUsage, r.Stderr)
			}
			if r.Stdout != "" {
				t.Errorf("printed on a usage error: %q", r.Stdout)
			}
		})
	}
}

func TestHelpHasExamples(t *testing.T) {
	clitest.Isolate(t)
	for _, sub := range []string{"add", "list", "check"} {
		r := clitest.Run(t, "", "claim", sub, "--help")
		if r.Code != 0 || !strings.Contains(r.Stdout, "Examples:") || !strings.Contains(r.Stdout, "trustline claim "+sub) {
			t.Errorf("claim %s --help: exit %d, no examples:\n%s", sub, r.Code, r.Stdout)
		}
	}
}

// An unreachable gateway exits 4 with one line naming it.
func TestUnavailableGateway(t *testing.T) {
	dir := clitest.Isolate(t)
	ca, cert, key := clitest.SelfSigned(t, dir)
	for k, v := range map[string]string{"TRUSTLINE_GATEWAY": "127.0.0.1:1", "TRUSTLINE_TLS_CA": ca, "TRUSTLINE_CERT": cert,
		"TRUSTLINE_KEY": key, "TRUSTLINE_MSP_ID": "BrandMSP", "TRUSTLINE_TLS_SERVER_NAME": "localhost"} {
		t.Setenv(k, v)
	}
	for _, args := range [][]string{{"claim", "list", gtin}, {"claim", "check", lot}} {
		r := clitest.Run(t, "", args...)
		if r.Code != cmdutil.ExitUnavailable || !strings.Contains(r.Stderr, "ledger unavailable at 127.0.0.1:1") || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 4 and one line", args, r.Code, r.Stderr)
		}
	}
}

func TestTables(t *testing.T) {
	active := ledger.Claim{ID: "claim-b", Subject: product, GTIN: gtin, Kind: ledger.ClaimColdChain, Wording: "Cold chain all the way",
		Brand: "BrandMSP", RegisteredAt: "2025-06-02T08:00:00Z", Supersedes: "claim-a"}
	old := ledger.Claim{ID: "claim-a", Subject: lot, GTIN: gtin, Lot: "L1", Kind: ledger.ClaimFarmToShelf, Wording: "72 h",
		Brand: "BrandMSP", RegisteredAt: "2025-06-01T08:00:00Z", SupersededBy: "claim-b", SupersededAt: "2025-06-02T08:00:00Z"}
	tests := []struct {
		name  string
		print func(*strings.Builder) error
		want  []string
		not   []string
	}{
		{"active claim", func(b *strings.Builder) error { return claimcmd.ClaimTable(b, &active) },
			[]string{"Claim:", "claim-b", "Subject:", product, "State:", "active\n", "Supersedes:", "claim-a"}, []string{"superseded by"}},
		{"superseded claim", func(b *strings.Builder) error { return claimcmd.ClaimTable(b, &old) },
			[]string{"superseded by claim-b on 2025-06-02T08:00:00Z"}, []string{"Supersedes:"}},
		{"claims", func(b *strings.Builder) error { return claimcmd.ClaimsTable(b, gtin, []ledger.Claim{old, active}) },
			[]string{"CLAIM", "STATE", "claim-a  farm_to_shelf_within", "superseded by claim-b\n", "Cold chain all the way  active\n"}, nil},
		{"no claims", func(b *strings.Builder) error { return claimcmd.ClaimsTable(b, gtin, nil) },
			[]string{"no claims about product " + gtin}, []string{"CLAIM"}},
		{"results", func(b *strings.Builder) error {
			return claimcmd.ResultsTable(b, []claims.Result{
				{Claim: "claim-b", Wording: "Cold chain all the way", Status: claims.Fails, Reason: "reading 9 °C", Evidence: []string{"ni:///sha-256;1"}},
				{Claim: "claim-c", Wording: "Lab tested", Status: claims.Pending, Reason: "no report yet", Evidence: []string{}},
			})
		}, []string{"FAILS    Cold chain all the way — reading 9 °C\n", "claim: claim-b", "evidence: ni:///sha-256;1", "PENDING  Lab tested — no report yet\n         claim: claim-c\n"},
			[]string{"evidence: \n"}},
		{"no results", func(b *strings.Builder) error { return claimcmd.ResultsTable(b, nil) }, []string{"no claims about this lot"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := tc.print(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tc.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q:\n%s", w, b.String())
				}
			}
		})
	}
}
