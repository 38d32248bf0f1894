package epciscmd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/cli/epciscmd"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/capture/capturetest"
)

// `epcis capture` against the real capture interface over mutual TLS
// (capturetest): counts, the reasons of rejections, -o json, and the
// node's refusals as one line with exit 3.
func TestCapture(t *testing.T) {
	org := capturetest.NewOrg(t, "SupplierMSP", "erp", "stranger")
	s := capturetest.Start(t, org, nil, capture.HandlerOptions{Clients: []capture.Client{{Name: capturetest.CommonName("erp")}}})
	f := capturetest.Example()
	dir := t.TempDir()
	write := func(name string, body []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.jsonld", capturetest.Document(f.Now, f.Batch(), f.Readings(), f.Pack()))
	bad := write("bad.jsonld", capturetest.Document(f.Now, f.Unpack(),
		`{"type":"AssociationEvent","eventTime":"2025-06-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","parentID":"urn:epc:id:grai:4012345.55555.987","childEPCs":["urn:epc:id:giai:4000001.12345"]}`))
	id := org.Identity("erp")
	creds := func(name string) []string {
		id := org.Identity(name)
		return []string{"--node", s.URL, "--cert", id.TLSCertFile(), "--key", id.TLSKeyFile(), "--ca", org.TLSCAFile()}
	}
	args := func(file string, more ...string) []string {
		return append(append([]string{"capture", file}, creds("erp")...), more...)
	}
	cmdtest.RunCases(t, epciscmd.NewCmd, []cmdtest.Case{
		{Name: "accepted", Args: args(good), Out: "3 accepted, 0 duplicates, 0 rejected"},
		{Name: "duplicates", Args: args(good), Out: "0 accepted, 3 duplicates, 0 rejected"},
		{Name: "rollback", Args: args(bad), Code: cmdutil.ExitRejected,
			Out: "0 accepted, 0 duplicates, 1 rejected", Err: "1 of 2 events rejected"},
		{Name: "proceed", Args: args(bad, "--error-behaviour", "proceed"), Code: cmdutil.ExitRejected, Out: "1 accepted, 0 duplicates, 1 rejected"},
		{Name: "forbidden", Args: append([]string{"capture", good}, creds("stranger")...), Code: cmdutil.ExitRejected,
			Err: `the node refused the capture (403 Forbidden): Access to resource forbidden: client "stranger.capture.test" is not allowed`},
		{Name: "no certificate", Args: []string{"capture", good, "--node", s.URL, "--ca", org.TLSCAFile()}, Code: cmdutil.ExitRejected, Err: "401 Unauthorized"},
		{Name: "no node", Args: []string{"capture", good}, Code: cmdutil.ExitUsage, Err: "--node: required"},
		{Name: "bad behaviour", Args: args(good, "--error-behaviour", "all"), Code: cmdutil.ExitUsage, Err: `--error-behaviour "all"`},
		{Name: "half a key pair", Args: []string{"capture", good, "--node", s.URL, "--cert", id.TLSCertFile()}, Code: cmdutil.ExitUsage, Err: "--cert and --key go together"},
		{Name: "unreachable", Args: append([]string{"capture", good}, append(creds("erp"), "--node", "https://127.0.0.1:1")...), Code: cmdutil.ExitUnavailable},
	})

	r := cmdtest.Run(t, epciscmd.NewCmd, cmdtest.Ledger{}, "", args(bad, "--error-behaviour", "proceed", "-o", "json")...)
	var j capture.Job
	if err := json.Unmarshal([]byte(r.Stdout), &j); err != nil || r.Code != cmdutil.ExitRejected || j.Duplicates != 1 || j.Rejected != 1 ||
		len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Detail, "AssociationEvent") {
		t.Fatalf("-o json: exit %d %v\n%s", r.Code, err, r.Stdout)
	}
}
