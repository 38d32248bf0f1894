// Package democmd implements `trustline demo`: the whole system on one
// machine, with a realistic scenario played as the four organisations.
package democmd

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/mdp/qrterminal/v3"
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/node"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/testnet"
)

type options struct {
	dir       string
	basePort  int
	nodePort  int
	publicURL string
	exit      bool
}

// NewCmd returns the demo command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	opts := &options{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start a local consortium and play a farm-to-consumer story on it",
		Long: `Start the local testnet (or resume it), play a realistic scenario as the
four organisations, start one member node per organisation, and print a QR
code and the URL of a yogurt jar's consumer page.

The story: the Alpenwiese dairy brand registers its products; the Hofmann
farm records a morning milking (organic, pasture-fed, with photo and
livestream evidence); the Bavarian Food Lab submits a signed residue and
microbiology report; ColdLine Logistics carries the milk to the dairy plant
with its data logger running; the plant makes two lots of yogurt; the brand
serialises five jars of lot A; lot B meets a brief cold-chain breach on the
way to the store and is recalled. Every member's node anchors the ledger's
history to the Ethereum dev chain, so a jar's trace comes with a receipt that
` + "`trustline verify`" + ` checks against the chain, re-evaluating the brand's claims
from the receipt's evidence alone. Each node also serves EPCIS 2.0 capture
to its organisation's own systems: the command prints, per member, the
` + "`trustline epcis capture`" + ` command and its curl equivalent with that
member's client certificate, and a query of the node's events.

Each run records a new story (fresh lot numbers) on the same network; the
brand's claims (cold chain, farm to shelf, lab tested, origin) are checked
against it and shown as badges on the consumer page. The
command keeps running until Ctrl-C, then stops the nodes and the testnet.`,
		Example: `  trustline demo
  trustline demo --public-url http://192.168.1.20:8480   # scannable from a phone on your network
  trustline demo --exit                                  # play, print, stop the nodes, leave the testnet up`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), ios, opts)
		},
	}
	cmd.Flags().StringVar(&opts.dir, "dir", "", "state directory of the testnet (default $TRUSTLINE_TESTNET_DIR or ~/.trustline/testnet)")
	cmd.Flags().IntVar(&opts.basePort, "base-port", 0, fmt.Sprintf("first of the testnet's 100 ports (default %d, or the network's own)", testnet.DefaultBasePort))
	cmd.Flags().IntVar(&opts.nodePort, "node-port", 8480, "HTTP port of the brand's node; the supplier's, lab's and logistics' nodes use the next three, and their capture listeners (HTTPS) the four after")
	cmd.Flags().StringVar(&opts.publicURL, "public-url", "", "base URL the QR code points at (default http://127.0.0.1:<node-port>)")
	cmd.Flags().BoolVar(&opts.exit, "exit", false, "stop the nodes and exit after printing, leaving the testnet running")
	return cmd
}

func run(ctx context.Context, ios *iostreams.IO, opts *options) error {
	w := ios.ErrOut
	if opts.nodePort < 1024 || opts.nodePort > 65535-2*len(testnet.Orgs) {
		return cmdutil.UsageError("--node-port %d out of range", opts.nodePort)
	}
	base := strings.TrimRight(opts.publicURL, "/")
	if base == "" {
		base = fmt.Sprintf("http://127.0.0.1:%d", opts.nodePort)
	} else if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return cmdutil.UsageError("--public-url %q must start with http:// or https://", opts.publicURL)
	}

	n, err := testnet.New(testnet.Config{
		Dir: opts.dir, BasePort: opts.basePort,
		Logf: func(format string, args ...any) { fmt.Fprintf(w, "  ✓ "+format+"\n", args...) },
	})
	if err != nil {
		return cmdutil.UsageError("%v", err)
	}
	fmt.Fprintf(w, "1/3 Starting the consortium in %s\n", n.Dir())
	if err := n.Start(ctx); err != nil {
		return cmdutil.Unavailable(err)
	}
	stopNetwork := !opts.exit
	defer func() {
		if stopNetwork {
			fmt.Fprintln(w, "Stopping the testnet…")
			if err := n.Stop(); err != nil {
				fmt.Fprintln(w, "stopping the testnet:", err)
			}
		}
	}()

	anchoring, err := demo.SetupAnchoring(ctx, n)
	if err != nil {
		return cmdutil.Unavailable(fmt.Errorf("setting up Ethereum anchoring: %w", err))
	}
	fmt.Fprintf(w, "  ✓ Anchor contract %s on the dev chain %s\n", anchoring.Contract, anchoring.RPCURL)

	key, err := labKey(filepath.Join(n.Dir(), "demo", "lab.key"))
	if err != nil {
		return err
	}
	sc, err := demo.New(time.Now(), time.Now().UTC().Format("060102150405"), demo.KeySigner{Key: key})
	if err != nil {
		return err
	}
	l, err := demo.NewNetworkLedger(n)
	if err != nil {
		return cmdutil.Unavailable(err)
	}
	defer l.Close()
	fmt.Fprintln(w, "2/3 Playing the story as the four organisations")
	err = demo.Play(ctx, sc, l, func(i, total int, s demo.Step, skipped bool, txID string, err error) {
		switch {
		case err != nil:
			fmt.Fprintf(w, "  ✗ [%2d/%d] %-9s %s\n      %v\n", i+1, total, s.Org, s.Title, err)
		case skipped:
			fmt.Fprintf(w, "  · [%2d/%d] %-9s %s (already on the ledger)\n", i+1, total, s.Org, s.Title)
		default:
			fmt.Fprintf(w, "  ✓ [%2d/%d] %-9s %s  tx %.8s\n", i+1, total, s.Org, s.Title, txID)
		}
	})
	if err != nil {
		return cmdutil.Rejected(err)
	}

	fmt.Fprintln(w, "3/3 Starting a member node per organisation")
	nodes, members, err := startNodes(ctx, n, opts.nodePort, base, anchoring)
	if err != nil {
		return cmdutil.Unavailable(err)
	}
	defer nodes.stop()
	for i, org := range testnet.Orgs {
		url := fmt.Sprintf("http://127.0.0.1:%d", opts.nodePort+i)
		if err := waitServing(ctx, url+pathOf(sc.Unit), 90*time.Second); err != nil {
			return cmdutil.Unavailable(fmt.Errorf("node of %s: %w", org, err))
		}
		fmt.Fprintf(w, "  ✓ %-9s node %s (index caught up)\n", org, url)
	}
	// Every node anchors windows of two Fabric blocks (or what 10 s
	// brings), so the jar's receipt is complete within seconds.
	receiptURL := fmt.Sprintf("http://127.0.0.1:%d%s?format=receipt", opts.nodePort, pathOf(sc.Unit))
	if err := waitServing(ctx, receiptURL, 60*time.Second); err != nil {
		fmt.Fprintf(w, "  · anchoring still pending: %v\n", err)
	} else {
		fmt.Fprintf(w, "  ✓ the jar's events are anchored in Ethereum; receipt: %s\n", receiptURL)
	}

	unitURL := base + pathOf(sc.Unit)
	out := ios.Out
	fmt.Fprintln(out)
	qrterminal.GenerateWithConfig(unitURL, qrterminal.Config{
		Level: qrterminal.M, Writer: out, HalfBlocks: true, QuietZone: 2,
		BlackChar: qrterminal.BLACK_BLACK, WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar: qrterminal.WHITE_WHITE, BlackWhiteChar: qrterminal.BLACK_WHITE,
	})
	fmt.Fprintf(out, "\nScan the QR code, or open a jar of Alpenwiese yogurt lot A:\n  %s\n", unitURL)
	fmt.Fprintf(out, "The recalled lot B (cold-chain breach):\n  %s\n", base+pathOf(sc.BreachedLot))
	fmt.Fprintf(out, "The trace as JSON:\n  curl -H 'Accept: application/json' %s\n", unitURL)
	fmt.Fprintf(out, "The printable QR image:\n  %s/qr%s.png\n", base, pathOf(sc.Unit))
	fmt.Fprintf(out, "Check it, and the brand's claims, against Ethereum without trusting the consortium:\n  trustline trace %s --node %s --receipt jar.json\n  trustline verify jar.json --eth-rpc %s\n\n",
		sc.Unit, fmt.Sprintf("http://127.0.0.1:%d", opts.nodePort), anchoring.RPCURL)
	printCaptureHelp(out, members, fmt.Sprintf("http://127.0.0.1:%d", opts.nodePort), sc.BreachedLot)

	if opts.exit {
		fmt.Fprintf(w, "Nodes stopped; the testnet keeps running (`trustline testnet down` stops it).\n")
		return nil
	}
	fmt.Fprintln(w, "Running. Press Ctrl-C to stop the nodes and the testnet.")
	<-ctx.Done()
	fmt.Fprintln(w, "\nStopping the nodes…")
	return nil
}

// pathOf is the path of a Digital Link ("/01/…/10/…").
func pathOf(link string) string {
	return strings.TrimPrefix(link, "https://id.gs1.org")
}

// labKey loads the demo lab's signing key, creating it on first use: the
// ledger registers its address once, so every run must sign with it.
func labKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return crypto.HexToECDSA(strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return k, os.WriteFile(path, []byte(hex.EncodeToString(crypto.FromECDSA(k))), 0o600)
}

type runningNodes struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	logs   []*os.File
}

// startNodes runs one node per organisation in this process, logging to
// <dir>/logs/node.<org>.log: node i serves its public API on port+i and
// EPCIS capture to its organisation's ERP client on port+len(Orgs)+i.
func startNodes(ctx context.Context, n *testnet.Network, port int, base string, a *demo.Anchoring) (*runningNodes, []memberCapture, error) {
	ctx, cancel := context.WithCancel(ctx)
	rn := &runningNodes{cancel: cancel}
	var members []memberCapture
	for i, org := range testnet.Orgs {
		profile, err := n.ClientConfig(org, false)
		if err != nil {
			rn.stop()
			return nil, nil, err
		}
		captureCfg, member, err := captureSetup(filepath.Join(n.Dir(), "crypto", org), org, port+len(testnet.Orgs)+i)
		if err != nil {
			rn.stop()
			return nil, nil, err
		}
		members = append(members, member)
		logf, err := os.OpenFile(filepath.Join(n.Dir(), "logs", "node."+org+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			rn.stop()
			return nil, nil, err
		}
		rn.logs = append(rn.logs, logf)
		nodeBase := base
		if i > 0 {
			nodeBase = fmt.Sprintf("http://127.0.0.1:%d", port+i)
		}
		cfg := node.Config{
			DataDir: filepath.Join(n.Dir(), "nodes", org),
			Listen:  fmt.Sprintf("127.0.0.1:%d", port+i),
			BaseURL: nodeBase,
			Peer:    profile,
			Anchoring: &node.AnchoringConfig{
				Enabled: true, RPCURL: a.RPCURL, Contract: a.Contract, DeployBlock: a.DeployBlock,
				KeyFile: a.KeyFiles[org], Blocks: 2, Interval: "10s",
			},
			Capture: captureCfg,
			// The stream of a named query's events (epcis subscribe --follow).
			Subscriptions: true,
		}
		nopts := &node.Options{Logger: slog.New(slog.NewJSONHandler(logf, nil))}
		nd, err := node.Open(ctx, cfg, nopts)
		if errors.Is(err, index.ErrLayout) {
			// A demo node's index is disposable: one written by an older
			// trustline is followed anew from the ledger's first block.
			fmt.Fprintf(logf, "%v: following the ledger anew\n", err)
			if err = os.RemoveAll(cfg.IndexDir()); err == nil {
				nd, err = node.Open(ctx, cfg, nopts)
			}
		}
		if err != nil {
			rn.stop()
			return nil, nil, err
		}
		rn.wg.Add(1)
		go func() {
			defer rn.wg.Done()
			if err := nd.Run(ctx); err != nil && ctx.Err() == nil {
				fmt.Fprintf(logf, "node stopped: %v\n", err)
			}
		}()
	}
	return rn, members, nil
}

func (rn *runningNodes) stop() {
	rn.cancel()
	rn.wg.Wait()
	for _, f := range rn.logs {
		f.Close()
	}
}

// waitServing waits until the node answers url (as JSON) with 200.
func waitServing(ctx context.Context, url string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no trace at %s (last answer: %s)", url, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
