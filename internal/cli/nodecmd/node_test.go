package nodecmd

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/node/index"
)

// TestNodeStartErrors: a node that cannot be configured says why and
// exits 2 before it dials anything.
func TestNodeStartErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noPeer := write("no-peer.yaml", "dataDir: "+dir+"\n")
	unknown := write("unknown.yaml", "dataDir: d\npeer:\n  gatewayAddress: a:1\n  channel: c\n  org: supplier\n")
	badAnchoring := write("anchoring.yaml", "dataDir: d\npeer:\n  gatewayAddress: a:1\n  channel: c\nanchoring:\n  enabled: true\n  contract: \"0x12\"\n  rpcURL: x\n")
	// An index written by a newer trustline (its checkpoint, as package
	// index documents it, says layout+1): refused before any dial.
	newer := filepath.Join(dir, "newer")
	db, err := pebble.Open(filepath.Join(newer, "index"), &pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("m\x00checkpoint"), fmt.Appendf(nil, `{"valid":true,"layout":%d}`, index.Layout+1), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	db.Close()
	newerCfg := write("newer.yaml", "dataDir: "+newer+"\npeer:\n  gatewayAddress: 127.0.0.1:1\n  channel: c\n")
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "newer layout", Args: []string{"start", "--config", newerCfg}, Code: cmdutil.ExitUsage,
			Err: fmt.Sprintf("was written with layout %d, newer than this trustline's layout %d: run a trustline that reads layout %d, or rebuild the index from the ledger for this one (trustline node start --rebuild", index.Layout+1, index.Layout, index.Layout+1)},
		{Name: "help", Args: []string{"start", "--help"}, Out: "trustline node start --testnet-org supplier --listen 127.0.0.1:8480"},
		{Name: "neither config nor org", Args: []string{"start"}, Code: cmdutil.ExitUsage, Err: "give --config FILE or --testnet-org ORG"},
		{Name: "both", Args: []string{"start", "--config", noPeer, "--testnet-org", "supplier"}, Code: cmdutil.ExitUsage, Err: "exclude each other"},
		{Name: "missing file", Args: []string{"start", "--config", filepath.Join(dir, "none.yaml")}, Code: cmdutil.ExitUsage, Err: "none.yaml"},
		{Name: "no peer", Args: []string{"start", "--config", noPeer}, Code: cmdutil.ExitUsage, Err: "peer.gatewayAddress: required"},
		{Name: "unknown peer field", Args: []string{"start", "--config", unknown}, Code: cmdutil.ExitUsage, Err: `unknown field "org"`},
		{Name: "bad anchoring", Args: []string{"start", "--config", badAnchoring}, Code: cmdutil.ExitUsage, Err: "anchoring.contract"},
		{Name: "testnet not up", Args: []string{"start", "--testnet-org", "supplier", "--testnet-dir", dir}, Code: cmdutil.ExitUsage, Err: "no identity for supplier"},
		{Name: "unknown org", Args: []string{"start", "--testnet-org", "farm", "--testnet-dir", dir}, Code: cmdutil.ExitUsage, Err: `unknown organisation "farm"`},
		{Name: "extra argument", Args: []string{"start", "now", "--config", noPeer}, Code: cmdutil.ExitUsage, Err: "unknown command"},
	})
}
