package cmdutil_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/ledger"
)

func TestLedgerError(t *testing.T) {
	reason := "only the current custodian (SupplierMSP) can ship lot https://id.gs1.org/01/09506000134352/10/L1"
	tests := []struct {
		name string
		err  error
		code int
		msg  string
	}{
		{"rejected", fmt.Errorf("x: %w", &client.RejectedError{Function: "Custody:Ship", Reason: reason}), cmdutil.ExitRejected, "Custody:Ship rejected: " + reason},
		{"rejected, multi-line reason", &client.RejectedError{Function: "F", Reason: "first\nsecond"}, cmdutil.ExitRejected, "F rejected: first"},
		{"commit", &client.CommitError{Function: "F", TransactionID: "t", Code: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}, cmdutil.ExitRejected, "ENDORSEMENT_POLICY_FAILURE"},
		{"unavailable", &client.UnavailableError{Function: "F", Address: "a:1", Err: errors.New("refused\ndetails")}, cmdutil.ExitUnavailable, "F: ledger unavailable at a:1: refused"},
		{"node down", &nodeclient.UnavailableError{URL: "http://n", Err: errors.New("refused")}, cmdutil.ExitUnavailable, "node unavailable"},
		{"node problem", &nodeclient.Problem{Title: "Not found", Status: 404, Detail: "lot x"}, cmdutil.ExitRejected, "lot x"},
		{"usage stays usage", cmdutil.UsageError("bad"), cmdutil.ExitUsage, "bad"},
		{"other", errors.New("boom"), cmdutil.ExitFailure, "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := cmdutil.LedgerError(tc.err)
			if got := cmdutil.ExitCode(err); got != tc.code {
				t.Errorf("exit code %d, want %d", got, tc.code)
			}
			if !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "\n") && tc.code != cmdutil.ExitFailure {
				t.Errorf("message %q, want one line with %q", err.Error(), tc.msg)
			}
		})
	}
	if cmdutil.LedgerError(nil) != nil {
		t.Error("nil error mapped to an error")
	}
}

func TestDecodeInput(t *testing.T) {
	tests := []struct {
		name, file, body string
		want             ledger.ProductRequest
		wantErr          string
	}{
		{"json", "p.json", `{"gtin":"09506000134352","name":"Tomatoes","tempMaxC":8}`, ledger.ProductRequest{GTIN: "09506000134352", Name: "Tomatoes", TempMaxC: 8}, ""},
		{"yaml", "p.yaml", "gtin: \"09506000134352\"\nname: Tomatoes\ntempMaxC: 8\n", ledger.ProductRequest{GTIN: "09506000134352", Name: "Tomatoes", TempMaxC: 8}, ""},
		{"yaml sniffed from stdin", "-", "gtin: \"09506000134352\"\nshelfLifeDays: 14\n", ledger.ProductRequest{GTIN: "09506000134352", ShelfLifeDays: 14}, ""},
		{"unknown field", "p.json", `{"gtin":"1","colour":"red"}`, ledger.ProductRequest{}, `unknown field "colour"`},
		{"unknown yaml field", "p.yml", "colour: red\n", ledger.ProductRequest{}, `unknown field "colour"`},
		{"wrong type", "p.json", `{"tempMaxC":"hot"}`, ledger.ProductRequest{}, "tempMaxC"},
		{"two values", "p.json", `{} {}`, ledger.ProductRequest{}, "more than one"},
		{"bad yaml", "p.yaml", "gtin: [\n", ledger.ProductRequest{}, "p.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got ledger.ProductRequest
			err := cmdutil.DecodeInput(tc.file, []byte(tc.body), &got)
			if tc.wantErr != "" {
				if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want a usage error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}

func TestClientConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{client.EnvGateway, client.EnvMSPID, client.EnvTLSCA, client.EnvCert, client.EnvKey, "TRUSTLINE_PROFILE", "TRUSTLINE_NODE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	cfgFile := filepath.Join(dir, "config.yaml")
	t.Setenv("TRUSTLINE_CONFIG", cfgFile)
	os.WriteFile(cfgFile, []byte("node: http://file:8080\ngateway:\n  gatewayAddress: peer.example:7051\n  tlsCaCert: ca.pem\n  certPath: c.pem\n  keyPath: k.pem\n  mspId: SupplierMSP\n"), 0o600)

	cfg, err := cmdutil.LedgerOptions{}.ClientConfig()
	if err != nil || cfg.GatewayAddress != "peer.example:7051" || cfg.MSPID != "SupplierMSP" {
		t.Fatalf("from the file: %+v, %v", cfg, err)
	}
	t.Setenv(client.EnvGateway, "env:1")
	t.Setenv(client.EnvMSPID, "LabMSP")
	if _, err := (cmdutil.LedgerOptions{}).ClientConfig(); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), client.EnvTLSCA) {
		t.Fatalf("incomplete environment: %v", err)
	}
	for _, k := range []string{client.EnvTLSCA, client.EnvCert, client.EnvKey} {
		t.Setenv(k, "x")
	}
	if cfg, err := (cmdutil.LedgerOptions{}).ClientConfig(); err != nil || cfg.GatewayAddress != "env:1" {
		t.Fatalf("environment over file: %+v, %v", cfg, err)
	}
	if got := (cmdutil.LedgerOptions{}).NodeURL(); got != "http://file:8080" {
		t.Fatalf("node from file: %q", got)
	}
	t.Setenv("TRUSTLINE_NODE", "http://env:8080")
	if got := (cmdutil.LedgerOptions{Node: "http://flag:1"}).NodeURL(); got != "http://flag:1" {
		t.Fatalf("flag over environment: %q", got)
	}
	if _, err := (cmdutil.LedgerOptions{Profile: "farm", TestnetDir: dir}).ClientConfig(); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("unknown profile: %v", err)
	}
}

func TestWaitFlags(t *testing.T) {
	var o cmdutil.LedgerOptions
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	cmdutil.AddLedgerFlags(cmd, &o)
	if err := cmd.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	if o.NoWait || o.WaitTimeout != cmdutil.DefaultWaitTimeout || len(o.ClientOptions()) == 0 {
		t.Fatalf("defaults: %+v, %d client options; want a wait of %s", o, len(o.ClientOptions()), cmdutil.DefaultWaitTimeout)
	}
	if err := cmd.ParseFlags([]string{"--wait-timeout", "2s", "--no-wait"}); err != nil {
		t.Fatal(err)
	}
	if !o.NoWait || o.WaitTimeout != 2*time.Second || len(o.ClientOptions()) != 0 {
		t.Fatalf("--no-wait: %+v, %d client options", o, len(o.ClientOptions()))
	}
	if len((cmdutil.LedgerOptions{}).ClientOptions()) == 0 {
		t.Fatal("options made without flags do not wait")
	}
}

func TestSyncWarning(t *testing.T) {
	e := &client.SyncError{Function: client.FnReceive, TransactionID: "abc", BlockNumber: 12, Waited: 5 * time.Second,
		Lagging: []client.PeerLag{{MSPID: "LogisticsMSP", Height: 12}, {MSPID: "LabMSP", Err: errors.New("peer0.lab unreachable\nmore")}}}
	got := cmdutil.SyncWarning(e)
	want := "warning: Custody:Receive: transaction abc committed in block 12, but the peers of LogisticsMSP (at height 12), LabMSP (no answer: peer0.lab unreachable) had not committed it after 5s; a command as another organisation may not see it yet"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
