package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/node/capture"
)

// capturer is a node's running capture interface (Config.Capture): its
// own TLS listener, apart from the public API, submitting through the
// organisation's gateway as the node's identity.
type capturer struct {
	cl  *client.Client
	svc *capture.Service
	srv *http.Server
	ln  net.Listener
	log *slog.Logger
}

// captureDial is capture's gateway connection and listener, before the
// service is opened over the index (open): a rolling rebuild connects
// while the old index still serves.
type captureDial struct {
	c    *capture.Config
	tc   *tls.Config
	crls *capture.CRLs
	cl   *client.Client
	ln   net.Listener
}

// dialCapture checks the section, connects to the gateway and binds the
// listener; nil without capture.
func dialCapture(ctx context.Context, c *capture.Config, peer client.Config, log *slog.Logger) (*captureDial, error) {
	if c == nil {
		return nil, nil
	}
	if err := c.Validate(); err != nil {
		return nil, &ConfigError{"capture", err.Error()}
	}
	tc, err := capture.ServerTLS(c.TLSCert, c.TLSKey, c.ClientCA)
	if err != nil {
		return nil, err
	}
	var crls *capture.CRLs
	if c.CRLs != "" {
		if crls, err = capture.OpenCRLs(c.CRLs, log); err != nil {
			return nil, &ConfigError{"capture.crls", err.Error()}
		}
	}
	// Each write waits until every member's peer has committed it: the
	// next event of a document is often about the same lot, and peers
	// endorsing it at different heights would disagree.
	cl, err := client.Connect(ctx, peer, client.WithPeerSync(client.AllMembers))
	if err != nil {
		return nil, fmt.Errorf("capture: connecting to the gateway: %w", err)
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		cl.Close()
		return nil, err
	}
	return &captureDial{c: c, tc: tc, crls: crls, cl: cl, ln: ln}, nil
}

// open opens the service over store, whose jobs are kept there (the
// index's node-local records) so that they are listed after a restart and
// a job the node was running resumes. The capturer owns the connection
// and listener from then on; on error the caller closes d. nil without
// capture.
func (d *captureDial) open(member http.Handler, store capture.Store, log *slog.Logger) (*capturer, error) {
	if d == nil {
		return nil, nil
	}
	c := d.c
	svc, err := capture.OpenService(d.cl, store, &capture.Options{MaxEvents: c.MaxEvents, MaxBytes: c.MaxBytes, Concurrency: c.Concurrency, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("capture: reading its jobs: %w", err)
	}
	h := svc.Handler(capture.HandlerOptions{Clients: c.Clients, RatePerSecond: c.RatePerSecond, Burst: c.Burst, Member: member, CRLs: d.crls})
	srv := &http.Server{Handler: h, TLSConfig: d.tc, ReadHeaderTimeout: 10 * time.Second}
	return &capturer{cl: d.cl, svc: svc, srv: srv, ln: tls.NewListener(d.ln, d.tc), log: log}, nil
}

// close releases a connection and listener that were not opened into a
// capturer.
func (d *captureDial) close() {
	if d != nil {
		d.ln.Close()
		d.cl.Close()
	}
}

// start serves capture in g until ctx is done.
func (c *capturer) start(ctx context.Context, g *errgroup.Group, stop func()) {
	g.Go(func() error {
		defer stop()
		if err := c.srv.Serve(c.ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving capture: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
		defer cancel()
		err := c.srv.Shutdown(sctx)
		c.svc.Close()
		return err
	})
	c.log.Info("capture serving", "addr", c.ln.Addr().String())
}

func (c *capturer) close() {
	if c == nil {
		return
	}
	c.ln.Close()
	c.svc.Close()
	c.cl.Close()
}
