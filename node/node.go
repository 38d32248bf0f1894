// Package node runs a trustline member node: a follower of the org's own
// peer feeding a Pebble index (package index), and the HTTP API over it
// (package api), with graceful shutdown.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
	"golang.org/x/sync/errgroup"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/jsonyaml"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/recallnotice"
	"github.com/trustline/trustline/node/scans"
	"github.com/trustline/trustline/node/subscription"
	"github.com/trustline/trustline/node/web"
)

// Config is a node's configuration file (YAML or JSON):
//
//	dataDir: /var/lib/trustline        # the index lives in dataDir/index
//	listen: 127.0.0.1:8480
//	baseURL: https://trace.example.com # public URL, for links
//	peer:                              # the org's gateway, a client.Config
//	  mspId: SupplierMSP
//	  gatewayAddress: 127.0.0.1:7051
//	  tlsServerName: localhost
//	  tlsCaCert: …/ca.crt
//	  certPath: …/cert.pem
//	  keyPath: …/priv_sk
//	  channel: trustline
//	  chaincode: trustline
//	anchoring: …                       # optional; see AnchoringConfig
//	capture: …                         # optional; EPCIS capture, see capture.Config
//	service: {}                        # optional; the brand's service desk, see ServiceConfig
//	indexCache: 2GiB                   # optional; the index's record table and block cache (default 512MiB)
type Config struct {
	DataDir   string           `json:"dataDir"`
	Listen    string           `json:"listen"`
	BaseURL   string           `json:"baseURL"`
	Peer      client.Config    `json:"peer"`
	Anchoring *AnchoringConfig `json:"anchoring,omitempty"`
	// Reports is refused (Validate): the reports for regulators, the
	// recall scope and notices are member records, served on the capture
	// listener to the clients whose entry says reports: true
	// (capture.Client), never on the public listener.
	Reports bool `json:"reports,omitempty"`
	// Members are the consortium's display names by MSP id, as their org
	// cards give them ({"SupplierMSP": "Hofmann Hof & Molkerei"}), for the
	// consumer page; a member without one shows as its MSP id.
	Members map[string]string `json:"members,omitempty"`
	// Places names the places the consumer page shows, by GLN: name, town,
	// position and time zone. It stands in for location master data on the
	// ledger, which the page prefers once recorded; without either the
	// page shows GLNs and UTC.
	Places map[string]web.Location `json:"places,omitempty"`
	// Capture serves the EPCIS 2.0 capture interface to the organisation's
	// own systems on a TLS listener of its own (package capture).
	Capture *capture.Config `json:"capture,omitempty"`
	// Subscriptions runs EPCIS query subscriptions (webhooks to the
	// subscriber's URL) and WebSocket streams under
	// /queries/{name}/subscriptions; they deliver recalls with their
	// notices (package recallnotice). Off by default. Anyone who can
	// subscribe can make the node send requests to any address it reaches,
	// so named queries are written, and subscriptions made, only on the
	// capture listener, by its clients with subscribe: true
	// (capture.Client.Subscribe); the public listener reads queries and
	// streams their events.
	Subscriptions bool `json:"subscriptions,omitempty"`
	// Service runs the brand's after-sales desk (serviceconfig.go).
	Service *ServiceConfig `json:"service,omitempty"`
	// IndexCache is the index's memory ("2GiB", "1500MB"; default
	// 512MiB): three quarters hold lots' trace records, the rest is
	// Pebble's block cache (index.Options.CacheSize). The node fills it
	// with the trace records when it starts (index.Warm), so that a scan
	// of any lot is served from memory: about 330 bytes a lot (two units,
	// one event) holds them all.
	IndexCache string `json:"indexCache,omitempty"`
}

// minIndexCache is the smallest IndexCache accepted: less holds too few
// blocks to be of use.
const minIndexCache = 8 << 20

// indexCache is IndexCache in bytes (0: the index's default). Validate
// has checked it.
func (c Config) indexCache() int64 {
	n, _ := humanize.ParseBytes(c.IndexCache)
	return int64(n)
}

// DefaultListen is the API address when Config.Listen is empty.
const DefaultListen = "127.0.0.1:8480"

// LoadConfig reads a YAML or JSON configuration file (JSON is YAML).
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	// One set of field names (the json tags) serves YAML and JSON.
	if err := jsonyaml.Decode(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, c.Validate()
}

// ConfigError is an invalid configuration.
type ConfigError struct{ Field, Reason string }

func (e *ConfigError) Error() string { return "node config: " + e.Field + ": " + e.Reason }

// Validate checks the fields a node cannot start without.
func (c Config) Validate() error {
	switch {
	case c.DataDir == "":
		return &ConfigError{"dataDir", "required"}
	case c.Peer.GatewayAddress == "":
		return &ConfigError{"peer.gatewayAddress", "required"}
	case c.Peer.Channel == "":
		return &ConfigError{"peer.channel", "required"}
	case c.Reports:
		return &ConfigError{"reports", "the public listener serves no member records: they are on the capture listener, to the clients with reports: true (capture.clients)"}
	}
	if c.IndexCache != "" {
		n, err := humanize.ParseBytes(c.IndexCache)
		switch {
		case err != nil:
			return &ConfigError{"indexCache", fmt.Sprintf("%q is not a size (such as 2GiB or 1500MB)", c.IndexCache)}
		case n < minIndexCache:
			return &ConfigError{"indexCache", fmt.Sprintf("%s is too small: at least 8MiB", c.IndexCache)}
		case n > 1<<50:
			return &ConfigError{"indexCache", fmt.Sprintf("%s is too large", c.IndexCache)}
		}
	}
	return c.Anchoring.validate()
}

// IndexDir is where the node keeps its index.
func (c Config) IndexDir() string { return filepath.Join(c.DataDir, "index") }

// Options configure a Node. The zero value is the default.
type Options struct {
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Follower options; nil means the defaults.
	Follower *follower.Options
	// Rebuild rebuilds the index from block 0 behind the one being served
	// and swaps it in once caught up (rolling.go), as a node does by
	// itself when its index was written with an older layout. An index
	// of a newer layout than this trustline's, which Open refuses
	// otherwise (an *index.LayoutError), is rebuilt too: nothing is
	// served (503) until the swap replaces it.
	Rebuild bool
}

// Node is an opened node: index, peer connection and listener. Run serves
// it; Run or Close releases it.
type Node struct {
	cfg  Config
	opts Options
	log  *slog.Logger
	conn *client.GatewayConn
	src  follower.Source // the org's peer, through conn
	ln   net.Listener
	srv  *http.Server
	// serving is srv's handler: the API over the index, or while a rolling
	// rebuild runs (roll), what serves meanwhile (rolling.go).
	serving *servingHandler
	roll    *rolling

	// The node over its index, opened by openStack (after the swap of a
	// rolling rebuild); mu guards idx and fol for Index and Status.
	mu   sync.Mutex
	idx  *index.Index
	fol  *follower.Follower
	anc  *anchorer    // nil: anchoring disabled (anchorwire.go)
	capt *capturer    // nil: capture disabled (captureconfig.go)
	desk *serviceDesk // nil: no service desk (serviceconfig.go)
	subs *subscription.Manager
	// scans counts the consumer pages served (package scans), in the
	// index's node-local keyspace.
	scans *scans.Counter
}

// OpenTimeout bounds how long Open waits for the anchoring chain.
const OpenTimeout = time.Minute

// ShutdownTimeout bounds how long Run waits for requests in flight when
// it stops.
const ShutdownTimeout = 10 * time.Second

// Open opens the index, connects to the peer and the anchoring chain and
// binds the listener. ctx bounds the connecting (the chain: at most
// OpenTimeout); it does not stop the node (Run's does). An index written
// with an older layout is rebuilt behind the served one (rolling.go):
// then the anchoring chain is connected when the rebuilt index is swapped
// in.
func Open(ctx context.Context, cfg Config, opts *Options) (*Node, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	o.Logger = log
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	live := cfg.IndexDir()
	if err := recoverSwap(live); err != nil {
		return nil, err
	}
	rebuild := o.Rebuild
	idx, err := index.Open(live, &index.Options{CacheSize: cfg.indexCache(), Logger: log.With("component", "index")})
	var le *index.LayoutError
	switch {
	case err == nil && rebuild:
		if err := idx.Close(); err != nil {
			return nil, err
		}
		idx = nil
	case errors.As(err, &le) && le.Have < le.Want:
		log.Warn("the index was written with an older layout: rebuilding it behind the served one", "layout", le.Have, "layout.new", le.Want)
		rebuild = true
	case errors.As(err, &le) && rebuild:
		// A newer layout, rebuilt for this trustline only when asked
		// (Options.Rebuild): openRolling says so in the log.
	case err != nil:
		return nil, err
	default:
		// A rolling rebuild asked for and not finished is not resumed
		// unless asked for again.
		if err := os.RemoveAll(live + sideSuffix); err != nil {
			idx.Close()
			return nil, err
		}
	}
	closeIdx := func() {
		if idx != nil {
			idx.Close()
		}
	}
	conn, err := client.Dial(ctx, cfg.Peer)
	if err != nil {
		closeIdx()
		return nil, fmt.Errorf("connecting to the peer at %s: %w", cfg.Peer.GatewayAddress, err)
	}
	listen := cfg.Listen
	if listen == "" {
		listen = DefaultListen
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		conn.Close()
		closeIdx()
		return nil, err
	}
	n := &Node{cfg: cfg, opts: o, log: log, conn: conn, ln: ln, serving: &servingHandler{},
		src: follower.Gateway{Network: conn.Network(), Chaincode: conn.Config().Chaincode}}
	n.srv = &http.Server{Handler: n.serving, ReadHeaderTimeout: 10 * time.Second}
	n.srv.RegisterOnShutdown(n.serving.CloseStreams) // badge and notice streams never go idle
	if rebuild {
		if n.roll, err = openRolling(live, n.source(), n.followerOptions(), log, o.Rebuild); err != nil {
			ln.Close()
			conn.Close()
			return nil, err
		}
		n.roll.cacheSize = cfg.indexCache()
		n.serving.set(n.roll.handler(n.baseAPIOptions()))
		return n, nil
	}
	d, err := n.dialStack(ctx)
	if err == nil {
		var h *api.Server
		if h, err = n.openStack(idx, d); err == nil {
			n.serving.set(h, h.CloseStreams)
			return n, nil
		}
	}
	ln.Close()
	conn.Close()
	idx.Close()
	return nil, err
}

// source is the org's peer as the follower's block source.
func (n *Node) source() follower.Source { return n.src }

func (n *Node) followerOptions() follower.Options {
	fo := follower.Options{Logger: n.log}
	if n.opts.Follower != nil {
		fo = *n.opts.Follower
		if fo.Logger == nil {
			fo.Logger = n.log
		}
	}
	return fo
}

// baseAPIOptions are the API's options that need nothing but the
// configuration.
func (n *Node) baseAPIOptions() api.Options {
	ao := api.Options{BaseURL: n.cfg.BaseURL, Logger: n.log, Members: n.cfg.Members}
	if len(n.cfg.Places) > 0 {
		ao.Locations = web.LocationMap(n.cfg.Places)
	}
	return ao
}

// dialed is what the node over an index connects to besides the index:
// the anchoring chain, the service desk's and capture's gateway
// connections and capture's listener (dialStack). Connecting is the slow
// part of opening the node (the chain: up to OpenTimeout); a rolling
// rebuild does it while the old index still serves, so that its swap
// holds the server's lock only for the renames and openStack, which
// connects to nothing.
type dialed struct {
	anc  *anchorDial
	desk *serviceDesk
	capt *captureDial
}

// dialStack connects what openStack needs besides the index. ctx bounds
// it (the chain: at most OpenTimeout).
func (n *Node) dialStack(ctx context.Context) (*dialed, error) {
	cfg, log := n.cfg, n.log
	actx, acancel := context.WithTimeout(ctx, OpenTimeout)
	anc, err := dialAnchoring(actx, cfg.Anchoring)
	acancel()
	if err != nil {
		return nil, err
	}
	desk, err := openService(ctx, cfg.Service, cfg.DataDir, cfg.Peer)
	if err != nil {
		anc.close()
		return nil, err
	}
	capt, err := dialCapture(ctx, cfg.Capture, cfg.Peer, log.With("component", "capture"))
	if err != nil {
		desk.close()
		anc.close()
		return nil, err
	}
	return &dialed{anc: anc, desk: desk, capt: capt}, nil
}

// close releases what was dialed and not opened.
func (d *dialed) close() {
	d.capt.close()
	d.desk.close()
	d.anc.close()
}

// openStack opens the node over idx with what dialStack connected:
// follower, anchoring, subscriptions, service desk, scan counts, the API
// and the capture listener. It reads the index and connects to nothing
// (a rolling rebuild runs it under the server's lock). It owns d: on
// error it releases d and what it opened, but not idx.
func (n *Node) openStack(idx *index.Index, d *dialed) (*api.Server, error) {
	cfg, log := n.cfg, n.log
	fo := n.followerOptions()
	fol := follower.New(n.source(), idx, &fo)
	anchors := index.NewAnchorStore(idx)
	anc := d.anc.open(cfg.Peer.Channel, idx, anchors, log.With("component", "anchoring"))
	desk := d.desk
	fail := func(err error) (*api.Server, error) {
		d.capt.close()
		desk.close()
		anc.close()
		return nil, err
	}
	// Subscriptions deliver from the index's cursor kept in the index:
	// what a stopped node owed is sent when it runs again.
	var subs *subscription.Manager
	if cfg.Subscriptions {
		// A recall is delivered with its notice (scope, members concerned).
		var err error
		subs, err = subscription.New(idx, &subscription.Options{Logger: log.With("component", "subscriptions"),
			Document: recallnotice.Document(idx, log.With("component", "recall-notices"))})
		if err != nil {
			return fail(err)
		}
	}
	counter := scans.New(idx, &scans.Options{Logger: log.With("component", "scans")})
	ao := n.baseAPIOptions()
	ao.Status, ao.Subscriptions, ao.Scans = fol.Status, subs, counter
	if anc != nil {
		ao.Anchors, ao.Anchoring, ao.State = anchors, anc.loop.Status, anc.loop
	}
	if desk != nil {
		ao.Service = &desk.opts
	}
	h := api.New(idx, &ao)
	// The member records are served on the capture listener only, to its
	// authenticated clients (api.Server.Member).
	capt, err := d.capt.open(h.Member(), idx, log.With("component", "capture"))
	if err != nil {
		if subs != nil {
			subs.Close()
		}
		return fail(err)
	}
	n.mu.Lock()
	n.idx, n.fol = idx, fol
	n.mu.Unlock()
	n.anc, n.capt, n.subs, n.scans, n.desk = anc, capt, subs, counter, desk
	return h, nil
}

// CaptureAddr is the capture listener's address; nil without capture
// (and while a rolling rebuild runs).
func (n *Node) CaptureAddr() net.Addr {
	if n.capt == nil {
		return nil
	}
	return n.capt.ln.Addr()
}

// Addr is the API's listening address.
func (n *Node) Addr() net.Addr { return n.ln.Addr() }

// Index is the node's index, for reading; nil while a rolling rebuild
// runs (the index being served then is read-only and goes at the swap).
func (n *Node) Index() *index.Index {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.idx
}

// Status is the follower's status; while a rolling rebuild runs, that of
// the index being rebuilt.
func (n *Node) Status() follower.Status {
	n.mu.Lock()
	fol, roll := n.fol, n.roll
	n.mu.Unlock()
	if fol == nil {
		st := roll.status()
		return follower.Status{IndexBlock: st.NextBlock - min(st.NextBlock, 1), Indexed: st.NextBlock > 0,
			Height: st.Target, Lag: st.Target - min(st.Target, st.NextBlock)}
	}
	return fol.Status()
}

// Rebuilding reports a rolling rebuild's progress; false when none runs.
func (n *Node) Rebuilding() (api.RebuildStatus, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fol != nil || n.roll == nil {
		return api.RebuildStatus{}, false
	}
	return n.roll.status(), true
}

// Run follows, anchors and serves until ctx is done or one of them stops,
// then shuts the server down gracefully and releases everything. The
// loops run in one errgroup: the first to end (with an error, or the
// follower at Options.Follower.StopAt) stops the others. During a rolling
// rebuild, the loops start once the rebuilt index is swapped in.
func (n *Node) Run(ctx context.Context) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer stop()
		if err := n.srv.Serve(n.ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving the API: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
		defer cancel()
		if err := n.srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutting the API down: %w", err)
		}
		return nil
	})
	if r := n.roll; r != nil {
		n.log.Info("node serving during a rolling index rebuild", "addr", n.Addr().String(), "index", n.cfg.IndexDir(), "serving", r.serving())
		g.Go(func() error {
			if err := r.build(gctx); err != nil {
				stop()
				if gctx.Err() != nil {
					return nil // stopped: the rebuild resumes at the next start
				}
				return fmt.Errorf("rolling index rebuild: %w", err)
			}
			idx, err := n.swapIn(gctx, r)
			n.mu.Lock()
			n.roll = nil
			n.mu.Unlock()
			if err != nil {
				stop()
				return fmt.Errorf("swapping in the rebuilt index: %w", err)
			}
			n.start(gctx, g, stop, idx)
			return nil
		})
	} else {
		n.start(gctx, g, stop, n.idx)
	}
	err := g.Wait() // the anchoring loop is done before the index closes
	if err != nil {
		n.log.Error("node stopped", "err", err)
	} else {
		n.log.Info("node stopped")
	}
	return errors.Join(err, n.close())
}

// swapIn swaps the index r rebuilt in and opens the node over it. What
// the node connects to (dialStack: the chain's dial may take a minute) is
// connected first, while the old index still serves; the server's lock
// (rolling.swap) then covers only the renames and openStack.
func (n *Node) swapIn(ctx context.Context, r *rolling) (*index.Index, error) {
	d, err := n.dialStack(ctx)
	if err != nil {
		return nil, err
	}
	opened := false
	idx, err := r.swap(n.serving, func(idx *index.Index) (http.Handler, func(), error) {
		opened = true
		h, err := n.openStack(idx, d)
		if err != nil {
			return nil, nil, err
		}
		return h, h.CloseStreams, nil
	})
	if err != nil && !opened {
		d.close()
	}
	return idx, err
}

// start runs the loops of the node over idx in g.
func (n *Node) start(gctx context.Context, g *errgroup.Group, stop func(), idx *index.Index) {
	g.Go(func() error {
		defer stop()
		return n.fol.Run(gctx) // nil once gctx is done
	})
	g.Go(func() error {
		if err := n.scans.Run(gctx); err != nil { // flushes now and then; close flushes the rest
			n.log.Warn("scan counts", "err", err)
		}
		return nil
	})
	if n.anc != nil {
		n.anc.start(gctx, g, stop, idx)
	}
	g.Go(func() error {
		t0 := time.Now()
		st, err := idx.Warm(gctx, nil) // warm.go of package index
		switch {
		case gctx.Err() != nil:
		case err != nil:
			n.log.Warn("warming the index's cache", "err", err)
		default:
			n.log.Info("index cache warmed", "records", st.Records, "bytes", st.Bytes, "cacheFull", st.Full, "took", time.Since(t0).Round(time.Millisecond))
		}
		return nil // the node serves without it
	})
	if n.capt != nil {
		n.capt.start(gctx, g, stop)
	}
	n.log.Info("node serving", "addr", n.Addr().String(), "index", n.cfg.IndexDir(), "fromBlock", idx.Checkpoint().NextBlock())
}

// Close releases a node that is not running.
func (n *Node) Close() error {
	n.ln.Close()
	return n.close()
}

func (n *Node) close() error {
	var err error
	if n.roll != nil {
		err = n.roll.close() // index.rolling stays, to be resumed
	}
	if n.subs != nil {
		n.subs.Close() // before the index: a delivery in flight saves its cursor
	}
	n.anc.close()
	n.capt.close()
	n.desk.close()
	if n.scans != nil {
		// The server is shut down: no page counts after this flush.
		err = errors.Join(err, n.scans.Flush())
	}
	if n.conn != nil {
		err = errors.Join(err, n.conn.Close())
	}
	if n.idx != nil {
		err = errors.Join(err, n.idx.Close())
	}
	return err
}
