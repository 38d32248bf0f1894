package chaincodecmd_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/internal/cli/chaincodecmd"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/orgca"
)

// fakeChannel is _lifecycle of a channel, the same from every member's
// peer: the committed definition and who approved which definition.
type fakeChannel struct {
	members   []string
	committed consortium.Definition
	approved  map[string]map[string]bool
	dialed    []string
}

type fakePeer struct {
	ch *fakeChannel
	me string
}

func (c *fakeChannel) dial(addr string, _ [][]byte, s *consortium.Signer) (consortium.Lifecycle, error) {
	c.dialed = append(c.dialed, addr)
	return &fakePeer{ch: c, me: s.MSPID}, nil
}

func (p *fakePeer) Committed(context.Context, string, string) (consortium.Definition, error) {
	d := p.ch.committed
	d.Approvals = p.ch.approved[d.String()]
	return d, nil
}

// Install gives the package's id as a peer does: its label (from
// metadata.json) and hash.
func (p *fakePeer) Install(_ context.Context, pkg []byte) (string, error) {
	gz, err := gzip.NewReader(bytes.NewReader(pkg))
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			return "", fmt.Errorf("fake: no metadata.json: %w", err)
		}
		if h.Name == "metadata.json" {
			var m struct{ Label string }
			if err := json.NewDecoder(tr).Decode(&m); err != nil {
				return "", err
			}
			return consortium.PackageID(m.Label, pkg), nil
		}
	}
}
func (p *fakePeer) Approve(_ context.Context, _ string, d consortium.Definition, _ string) error {
	if p.ch.approved[d.String()] == nil {
		p.ch.approved[d.String()] = map[string]bool{}
	}
	p.ch.approved[d.String()][p.me] = true
	return nil
}
func (p *fakePeer) Readiness(_ context.Context, _ string, d consortium.Definition) (map[string]bool, error) {
	m := map[string]bool{}
	for _, o := range p.ch.members {
		m[o] = p.ch.approved[d.String()][o]
	}
	return m, nil
}
func (p *fakePeer) Commit(_ context.Context, _ string, d consortium.Definition, _ []string) error {
	p.ch.committed = d
	return nil
}
func (p *fakePeer) Close() error { return nil }

func TestUpgradeCommands(t *testing.T) {
	ch := &fakeChannel{members: []string{"BrandMSP", "LabMSP", "LogisticsMSP", "SupplierMSP"},
		committed: consortium.Definition{Name: "trustline", Version: "1.0", Sequence: 1}, approved: map[string]map[string]bool{}}
	dirs := map[string]string{}
	for i, org := range []string{"brand", "supplier", "lab", "logistics"} {
		dir := t.TempDir()
		if _, err := orgca.Init(dir, orgca.Spec{MSPID: strings.ToUpper(org[:1]) + org[1:] + "MSP", Domain: org + ".example.com",
			PeerAddress: fmt.Sprintf("198.18.0.%d:7051", i+2), OrdererAddress: fmt.Sprintf("198.18.0.%d:7050", i+2)}); err != nil {
			t.Fatal(err)
		}
		dirs[org] = dir
	}
	run := func(args ...string) cmdtest.Result {
		t.Helper()
		return cmdtest.Run(t, func(f *cmdutil.Factory) *cobra.Command {
			f.Lifecycle = ch.dial
			return chaincodecmd.NewCmd(f)
		}, cmdtest.Ledger{Err: errors.New("no ledger in this test")}, "", args...)
	}
	approve := func(cmd, org string) cmdtest.Result {
		t.Helper()
		return run(cmd, "--org-dir", dirs[org], "--version", "1.1", "--address", "198.18.0.9:9998")
	}
	tests := []struct {
		name string
		r    func() cmdtest.Result
		code int
		want string
	}{
		{"no flags", func() cmdtest.Result { return run("propose-upgrade") }, 2, "needs --address"},
		{"no version", func() cmdtest.Result { return run("commit-upgrade", "--org-dir", dirs["lab"]) }, 2, "needs --org-dir and --version"},
		{"bad address", func() cmdtest.Result {
			return run("propose-upgrade", "--org-dir", dirs["brand"], "--version", "1.1", "--address", "nowhere")
		}, 2, `--address: invalid address "nowhere"`},
		{"same version", func() cmdtest.Result {
			return run("propose-upgrade", "--org-dir", dirs["brand"], "--version", "1.0", "--address", "198.18.0.9:9998")
		}, 2, "trustline is already at version 1.0 (sequence 1)"},
		{"print id", func() cmdtest.Result {
			return run("propose-upgrade", "--org-dir", dirs["brand"], "--version", "1.1", "--address", "198.18.0.9:9998", "--print-package-id")
		}, 0, ""},
		{"approve unproposed", func() cmdtest.Result { return approve("approve-upgrade", "lab") }, 3, "no member approved trustline version 1.1 sequence 2 yet"},
		{"propose", func() cmdtest.Result { return approve("propose-upgrade", "brand") }, 0, "BrandMSP approved trustline version 1.1 sequence 2; approvals so far: 1 of 4 (BrandMSP); not yet LabMSP, LogisticsMSP, SupplierMSP"},
		{"commit at 1", func() cmdtest.Result { return run("commit-upgrade", "--org-dir", dirs["lab"], "--version", "1.1") }, 3,
			"too few approvals: 1 of 4 members approved trustline version 1.1 sequence 2 (BrandMSP); the channel's LifecycleEndorsement (MAJORITY) needs 3"},
		{"supplier", func() cmdtest.Result { return approve("approve-upgrade", "supplier") }, 0, "approvals so far: 2 of 4"},
		{"lab", func() cmdtest.Result { return approve("approve-upgrade", "lab") }, 0, "approvals so far: 3 of 4"},
		{"commit", func() cmdtest.Result { return run("commit-upgrade", "--org-dir", dirs["lab"], "--version", "1.1") }, 0, "Committed trustline version 1.1 sequence 2"},
		{"late", func() cmdtest.Result { return approve("approve-upgrade", "logistics") }, 0, "LogisticsMSP approved trustline version 1.1 sequence 2"},
		{"commit again", func() cmdtest.Result { return run("commit-upgrade", "--org-dir", dirs["lab"], "--version", "1.1") }, 2, "already at version 1.1"},
	}
	for _, tc := range tests {
		r := tc.r()
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%s: exit %d, want %d and %q\nstdout %s\nstderr %s", tc.name, r.Code, tc.code, tc.want, r.Stdout, r.Stderr)
		}
		if r.Code != 0 && strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 && tc.code == 3 {
			t.Errorf("%s: a refusal is one line: %q", tc.name, r.Stderr)
		}
	}
	if len(ch.dialed) != 9 {
		t.Errorf("dialed peers %d times, want 9 (none to print an id)", len(ch.dialed))
	}
	if ch.committed.Sequence != 2 || ch.committed.Version != "1.1" {
		t.Errorf("committed %+v", ch.committed)
	}
	if ch.dialed[0] != "198.18.0.2:7051" {
		t.Errorf("dialed %v, want the card's peer first", ch.dialed)
	}
}
