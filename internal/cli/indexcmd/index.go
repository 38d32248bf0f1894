// Package indexcmd is `trustline index`: rebuild a node's index from the
// ledger, or verify it against a fresh rebuild.
package indexcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/testnet"
)

// NewCmd returns the `index` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "index",
		Short: "Rebuild or verify a node's index from the ledger",
	}
	cmd.AddCommand(newRebuildCmd(f), newVerifyCmd(f))
	return cmd
}

// source is where a command finds the node's data and its peer.
type source struct {
	config, org, netDir, dataDir string
}

func (s *source) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.config, "config", "", "node configuration file (YAML or JSON)")
	cmd.Flags().StringVar(&s.org, "testnet-org", "", "take the peer profile from a running testnet, as this organisation")
	cmd.Flags().StringVar(&s.netDir, "testnet-dir", "", "state directory of the testnet (default $TRUSTLINE_TESTNET_DIR or ~/.trustline/testnet)")
	cmd.Flags().StringVar(&s.dataDir, "data-dir", "", "node data directory (overrides the config file)")
}

// load resolves the node configuration as `trustline node start` does.
func (s *source) load() (node.Config, error) {
	var cfg node.Config
	switch {
	case s.config != "" && s.org != "":
		return cfg, cmdutil.UsageError("--config and --testnet-org exclude each other")
	case s.config != "":
		c, err := node.LoadConfig(s.config)
		if err != nil {
			return cfg, cmdutil.UsageError("%v", err)
		}
		cfg = c
	case s.org != "":
		n, err := testnet.New(testnet.Config{Dir: s.netDir})
		if err != nil {
			return cfg, cmdutil.UsageError("%v", err)
		}
		p, err := n.ClientConfig(s.org, false)
		if err != nil {
			return cfg, cmdutil.UsageError("%v", err)
		}
		cfg = node.Config{DataDir: filepath.Join(n.Dir(), "nodes", s.org), Peer: p}
	default:
		return cfg, cmdutil.UsageError("give --config FILE or --testnet-org ORG: the index is rebuilt from the org's peer")
	}
	if s.dataDir != "" {
		cfg.DataDir = s.dataDir
	}
	return cfg, nil
}

// Result is what rebuild and verify report.
type Result struct {
	Dir     string  `json:"dir"`
	Blocks  uint64  `json:"blocks"`
	Events  uint64  `json:"events"`
	Digest  string  `json:"digest"`
	Seconds float64 `json:"seconds"`
	// EventsPerSec and BlocksPerSec are the rebuild rates.
	EventsPerSec float64 `json:"eventsPerSec"`
	BlocksPerSec float64 `json:"blocksPerSec"`
	// Live* describe the node's index (verify only).
	LiveDigest string `json:"liveDigest,omitempty"`
	LiveEvents uint64 `json:"liveEvents,omitempty"`
	Match      *bool  `json:"match,omitempty"`
}

// rebuild follows the peer from block 0 into a fresh index in dir (which
// must not exist) until every block before stopAt is applied.
func rebuild(ctx context.Context, f *cmdutil.Factory, cfg node.Config, dir string, stopAt uint64, quiet bool) (Result, error) {
	src, err := f.Blocks(ctx, cfg.Peer)
	if err != nil {
		return Result{}, cmdutil.Unavailable(fmt.Errorf("connecting to the peer at %s: %w", cfg.Peer.GatewayAddress, err))
	}
	defer src.Close()
	if stopAt == 0 {
		h, err := src.Height(ctx)
		if err != nil {
			return Result{}, cmdutil.Unavailable(fmt.Errorf("reading the ledger height: %w", err))
		}
		stopAt = h
	}
	if _, err := os.Stat(dir); err == nil {
		return Result{}, fmt.Errorf("%s exists; rebuild into a new directory", dir)
	}
	idx, err := index.Open(dir, &index.Options{NoLog: true})
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if idx != nil {
			idx.Close()
			os.RemoveAll(dir) // incomplete: worthless
		}
	}()

	p := newProgress(f.IOStreams, stopAt, quiet)
	var events atomic.Uint64
	start := time.Now()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fol := follower.New(src, idx, &follower.Options{StopAt: stopAt, Logger: log, MaxBackoff: 5 * time.Second,
		OnBlock: func(b uint64, n int) { p.block(b, events.Add(uint64(n))) }})
	if err := fol.Run(ctx); err != nil {
		return Result{}, err
	}
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	p.finish()
	cp := idx.Checkpoint()
	d, err := idx.Digest()
	if err != nil {
		return Result{}, err
	}
	err = idx.Close()
	idx = nil
	if err != nil {
		os.RemoveAll(dir)
		return Result{}, err
	}
	secs := time.Since(start).Seconds()
	return Result{Dir: dir, Blocks: cp.NextBlock(), Events: cp.Events, Digest: d, Seconds: secs,
		EventsPerSec: float64(cp.Events) / secs, BlocksPerSec: float64(cp.NextBlock()) / secs}, nil
}

// openLive opens the node's index, which fails while a node runs on it.
func openLive(dir string) (*index.Index, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no index at %s: %w", dir, err)
	}
	idx, err := index.Open(dir, nil)
	if err != nil {
		return nil, fmt.Errorf("%w (is a node running on it? stop it first)", err)
	}
	return idx, nil
}

func newRebuildCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	var src source
	var to, output string
	cmd := &cobra.Command{
		Use:   "rebuild",
		Short: "Re-read the ledger from block 0 into a fresh index, then swap it in",
		Long: `Rebuild reads every block from 0 to the ledger height at start from the org's
peer into a fresh index, then replaces the node's index with it (the node
must be stopped), or leaves it in --to DIR.`,
		Example: `  trustline index rebuild --testnet-org supplier
  trustline index rebuild --config node.yaml --to /tmp/index-copy`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			cfg, err := src.load()
			if err != nil {
				return err
			}
			live := cfg.IndexDir()
			dir := to
			var lock *index.Index
			if dir == "" {
				// Hold the live index while rebuilding so that no node starts on it.
				if _, err := os.Stat(live); err == nil {
					if lock, err = openLive(live); err != nil {
						return err
					}
					defer func() {
						if lock != nil {
							lock.Close()
						}
					}()
				}
				if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
					return err
				}
				dir = live + ".rebuild"
				os.RemoveAll(dir) // left by an interrupted rebuild
			}
			res, err := rebuild(cmd.Context(), f, cfg, dir, 0, output == cmdutil.OutputJSON)
			if err != nil {
				return err
			}
			if to == "" {
				if lock != nil {
					err = lock.Close()
					lock = nil
					if err != nil {
						return err
					}
				}
				if err := swap(live, dir); err != nil {
					return err
				}
				res.Dir = live
			}
			if output == cmdutil.OutputJSON {
				return cmdutil.PrintJSON(ios.Out, res)
			}
			fmt.Fprintf(ios.Out, "Rebuilt %s: %d blocks, %d events in %.1fs (%.0f events/s, %.1f blocks/s)\ndigest %s\n",
				res.Dir, res.Blocks, res.Events, res.Seconds, res.EventsPerSec, res.BlocksPerSec, res.Digest)
			return nil
		},
	}
	src.flags(cmd)
	cmd.Flags().StringVar(&to, "to", "", "rebuild into this new directory and leave the node's index alone")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// swap replaces the index in live by the one in fresh. Each rename is
// atomic; a crash between them leaves no index at live, which a node
// rebuilds from block 0 when it starts: slower, never wrong.
func swap(live, fresh string) error {
	old := live + ".old"
	os.RemoveAll(old)
	if err := os.Rename(live, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(fresh, live); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

func newVerifyCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	var src source
	var output string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Rebuild into a temporary directory and compare its digest with the node's index",
		Long: `Verify rebuilds the index from block 0 up to the node index's checkpoint into
a temporary directory and compares the two digests and event counts. It exits
with status 1 on a mismatch. The node must be stopped.`,
		Example: `  trustline index verify --testnet-org supplier -o json`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			cfg, err := src.load()
			if err != nil {
				return err
			}
			live, err := openLive(cfg.IndexDir())
			if err != nil {
				return err
			}
			defer live.Close()
			cp := live.Checkpoint()
			liveDigest, err := live.Digest()
			if err != nil {
				return err
			}
			tmp, err := os.MkdirTemp(cfg.DataDir, "index.verify-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			stopAt := cp.NextBlock()
			if !cp.Valid || stopAt == 0 {
				return fmt.Errorf("the index at %s is empty: nothing to verify", cfg.IndexDir())
			}
			if cp.Tx >= 0 {
				stopAt++ // an older follower's mid-block checkpoint: compare whole blocks
			}
			res, err := rebuild(cmd.Context(), f, cfg, filepath.Join(tmp, "index"), stopAt, output == cmdutil.OutputJSON)
			if err != nil {
				return err
			}
			match := res.Digest == liveDigest && res.Events == cp.Events
			res.Dir, res.LiveDigest, res.LiveEvents, res.Match = cfg.IndexDir(), liveDigest, cp.Events, &match
			if output == cmdutil.OutputJSON {
				if err := cmdutil.PrintJSON(ios.Out, res); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(ios.Out, "index   %s: %d events to block %d, digest %s\nrebuilt %d events, digest %s\n",
					res.Dir, cp.Events, stopAt-1, liveDigest, res.Events, res.Digest)
			}
			if !match {
				return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: &MismatchError{
					Dir: res.Dir, Block: stopAt - 1, Digest: liveDigest, RebuiltDigest: res.Digest, Events: cp.Events, RebuiltEvents: res.Events}}
			}
			if output != cmdutil.OutputJSON {
				fmt.Fprintln(ios.Out, "OK: the index equals a fresh rebuild")
			}
			return nil
		},
	}
	src.flags(cmd)
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// MismatchError is an index that differs from a fresh rebuild.
type MismatchError struct {
	Dir                   string
	Block                 uint64
	Digest, RebuiltDigest string
	Events, RebuiltEvents uint64
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("index %s differs from a fresh rebuild to block %d: digest %s vs %s, %d vs %d events",
		e.Dir, e.Block, e.Digest, e.RebuiltDigest, e.Events, e.RebuiltEvents)
}

// progress shows a rebuild's progress: a bar on a terminal, a line every
// few seconds otherwise, nothing when quiet.
type progress struct {
	ios    *iostreams.IO
	total  uint64
	bar    *progressbar.ProgressBar
	quiet  bool
	start  time.Time
	last   time.Time
	blocks uint64
	events uint64
}

func newProgress(ios *iostreams.IO, total uint64, quiet bool) *progress {
	p := &progress{ios: ios, total: total, quiet: quiet, start: time.Now(), last: time.Now()}
	if !quiet && ios.IsTerminal {
		p.bar = progressbar.NewOptions64(int64(total),
			progressbar.OptionSetWriter(ios.ErrOut),
			progressbar.OptionSetDescription("rebuilding"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("blocks"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *progress) block(b, events uint64) {
	p.blocks, p.events = b+1, events
	if p.quiet {
		return
	}
	rate := float64(events) / time.Since(p.start).Seconds()
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("rebuilding: %d events (%.0f events/s)", events, rate))
		_ = p.bar.Set64(int64(p.blocks))
		return
	}
	if time.Since(p.last) >= 2*time.Second {
		p.last = time.Now()
		fmt.Fprintf(p.ios.ErrOut, "rebuilding: block %d/%d, %d events, %.1f blocks/s, %.0f events/s\n",
			p.blocks, p.total, events, float64(p.blocks)/time.Since(p.start).Seconds(), rate)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	} else if !p.quiet {
		fmt.Fprintf(p.ios.ErrOut, "rebuilt: %d blocks, %d events in %s\n", p.blocks, p.events, time.Since(p.start).Round(time.Millisecond))
	}
}
