// Package capturetest serves the real capture interface (package capture)
// over mutual TLS with certificates of a real organisation CA (package
// orgca), in front of an in-memory ledger that behaves as the contract's
// Capture:Record does towards its callers (ids recorded once, duplicates
// refused with the chaincode's message, refusals by function), so that the
// handler and the CLI are tested over the wire.
package capturetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/orgca"
)

// Ledger is an in-memory capture.Ledger.
type Ledger struct {
	mu       sync.Mutex
	recorded map[string]string // source id → ledger id
	// Calls are the Capture calls, in order.
	Calls []capture.Call
	// Refuse, when set, is asked first: a non-empty reason refuses the
	// call as the contract would (class ErrInvalid).
	Refuse func(c capture.Call) string
	// RefuseAs is the class of Refuse's refusals; nil means ErrInvalid.
	RefuseAs error
	// Block, when set, is received from before each call returns.
	Block chan struct{}
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{recorded: map[string]string{}} }

// Capture records the call unless its id is known (a *client.DuplicateError).
func (l *Ledger) Capture(ctx context.Context, source, fn string, args []string, _ ...client.CallOption) (*ledger.CaptureRecord, error) {
	if l.Block != nil {
		select {
		case <-l.Block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := capture.Call{SourceEventID: source, Function: fn, Args: args}
	l.Calls = append(l.Calls, c)
	if id, ok := l.recorded[source]; ok {
		re := &client.RejectedError{Function: client.FnCaptureRecord, Reason: fmt.Sprintf("EPCIS event %s is already recorded (as %s)", source, id), Class: client.ErrExists}
		return nil, &client.DuplicateError{SourceEventID: source, EventID: id, Err: re}
	}
	if l.Refuse != nil {
		if reason := l.Refuse(c); reason != "" {
			class := l.RefuseAs
			if class == nil {
				class = client.ErrInvalid
			}
			return nil, &client.RejectedError{Function: fn, Reason: reason, Class: class}
		}
	}
	id := fmt.Sprintf("ni:///sha-256;%064x?ver=CBV2.1", len(l.recorded)+1)
	l.recorded[source] = id
	return &ledger.CaptureRecord{SourceEventID: source, EventID: id, Function: fn}, nil
}

// Event returns a recorded event as the contract would have stored it.
func (l *Ledger) Event(_ context.Context, id string, _ ...client.CallOption) (json.RawMessage, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for src, lid := range l.recorded {
		if lid == id {
			b, _ := json.Marshal(map[string]string{"type": "ObjectEvent", "eventID": id, ledger.SourceEventIDMember: src,
				"eventTime": "2025-06-01T08:00:00.000Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE"})
			return b, nil
		}
	}
	return nil, &client.RejectedError{Function: client.FnGetEvent, Reason: "no event " + id, Class: client.ErrNotFound}
}

// Recorded returns how many distinct ids are recorded.
func (l *Ledger) Recorded() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recorded)
}

// Org is an organisation CA with identities for capture clients.
type Org struct {
	*orgca.Org
}

// NewOrg creates an organisation in a temporary directory, with TLS
// certificates valid for localhost, and enrolls the named clients.
func NewOrg(t testing.TB, msp string, clients ...string) *Org {
	t.Helper()
	o, err := orgca.Init(filepath.Join(t.TempDir(), msp), orgca.Spec{MSPID: msp, Domain: "capture.test", Hosts: []string{"localhost", "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		if _, err := o.Enroll(c, orgca.EnrollOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return &Org{o}
}

// CommonName is the common name of client's TLS certificate.
func CommonName(client string) string { return client + ".capture.test" }

// ServerTLS is the TLS configuration of a capture listener of the org's
// node: its node identity's TLS pair, client certificates verified
// against the org's TLS CA if given.
func (o *Org) ServerTLS(t testing.TB) *tls.Config {
	t.Helper()
	id := o.Identity("node")
	c, err := capture.ServerTLS(id.TLSCertFile(), id.TLSKeyFile(), o.TLSCAFile())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Server is the capture interface on a test TLS server.
type Server struct {
	*httptest.Server
	Service *capture.Service
	Ledger  *Ledger
	Org     *Org
}

// Start serves the capture interface over the org's TLS with the given
// handler options, recording into a new Ledger.
func Start(t testing.TB, org *Org, opts *capture.Options, hopts capture.HandlerOptions) *Server {
	t.Helper()
	l := NewLedger()
	s := capture.NewService(l, opts)
	srv := httptest.NewUnstartedServer(s.Handler(hopts))
	srv.TLS = org.ServerTLS(t)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are tested
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return &Server{Server: srv, Service: s, Ledger: l, Org: org}
}

// HTTPClient returns an HTTP client presenting the TLS certificate of
// the org's identity name ("" for none) and trusting the org's TLS CA.
func (o *Org) HTTPClient(t testing.TB, name string) *http.Client {
	t.Helper()
	return o.HTTPClientTrusting(t, o, name)
}

// HTTPClientTrusting is HTTPClient trusting server's TLS CA: with another
// org's identity, a certificate the node's CA did not issue.
func (o *Org) HTTPClientTrusting(t testing.TB, server *Org, name string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(server.TLSCAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(ca)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if name != "" {
		id := o.Identity(name)
		cert, err := tls.LoadX509KeyPair(id.TLSCertFile(), id.TLSKeyFile())
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}
