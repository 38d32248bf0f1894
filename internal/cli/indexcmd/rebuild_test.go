package indexcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/node/follower"
)

// fakeBlocks is a channel of n blocks, each with one transaction that is
// not trustline's; a live stream stays open after them.
type fakeBlocks struct{ n uint64 }

func (s fakeBlocks) Blocks(ctx context.Context, start uint64) (<-chan follower.Block, error) {
	out := make(chan follower.Block)
	go func() {
		defer close(out)
		for b := start; b < s.n; b++ {
			select {
			case out <- follower.Block{Number: b, Txs: []follower.Tx{{ID: fmt.Sprintf("config%d", b), Valid: true}}}:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return out, nil
}

func (s fakeBlocks) Height(context.Context) (uint64, error) { return s.n, nil }
func (fakeBlocks) Close() error                             { return nil }

// withBlocks builds the index commands on a factory whose peer serves
// blocks, or refuses with err.
func withBlocks(blocks uint64, err error) func(*cmdutil.Factory) *cobra.Command {
	return func(f *cmdutil.Factory) *cobra.Command {
		f.Blocks = func(context.Context, client.Config) (cmdutil.BlockSource, error) {
			if err != nil {
				return nil, err
			}
			return fakeBlocks{blocks}, nil
		}
		return NewCmd(f)
	}
}

// TestRebuildAndVerify rebuilds a node's index from a fake peer, then
// verifies it against a fresh rebuild, without a network.
func TestRebuildAndVerify(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(cfg, []byte("dataDir: "+filepath.Join(dir, "data")+"\npeer:\n  gatewayAddress: 127.0.0.1:1\n  channel: trustline\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(dir, "data", "index")
	peer := withBlocks(3, nil)
	cmdtest.RunCases(t, peer, []cmdtest.Case{
		{Name: "verify before any index", Args: []string{"verify", "--config", cfg}, Code: cmdutil.ExitFailure, Err: "no index at " + live},
		{Name: "rebuild", Args: []string{"rebuild", "--config", cfg}, Out: "Rebuilt " + live + ": 3 blocks, 0 events in", Err: "rebuilt: 3 blocks, 0 events"},
		{Name: "rebuild json", Args: []string{"rebuild", "--config", cfg, "-o", "json"}, Out: `"blocks": 3`},
		{Name: "rebuild to", Args: []string{"rebuild", "--config", cfg, "--to", filepath.Join(dir, "copy"), "-o", "json"}, Out: `"dir": "` + filepath.Join(dir, "copy") + `"`},
		{Name: "rebuild to an existing dir", Args: []string{"rebuild", "--config", cfg, "--to", filepath.Join(dir, "copy")}, Code: cmdutil.ExitFailure, Err: "exists; rebuild into a new directory"},
		{Name: "verify", Args: []string{"verify", "--config", cfg}, Out: "OK: the index equals a fresh rebuild\n"},
		{Name: "verify json", Args: []string{"verify", "--config", cfg, "-o", "json"}, Out: `"match": true`},
	})
	cmdtest.RunCases(t, withBlocks(0, errors.New("connection refused")), []cmdtest.Case{
		{Name: "peer unreachable", Args: []string{"rebuild", "--config", cfg}, Code: cmdutil.ExitUnavailable, Err: "connecting to the peer at 127.0.0.1:1: connection refused"},
	})
}
