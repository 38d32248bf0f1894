// Command trustline-chaincode serves the trustline contract as a Fabric
// chaincode-as-a-service process: peers dial it at its listen address.
//
// Configuration comes from the environment, as Fabric's CCaaS convention has it:
//
//	CHAINCODE_ID                   the package id the peer installed (required)
//	CHAINCODE_SERVER_ADDRESS       host:port to listen on (required)
//	CHAINCODE_TLS_CERT, _KEY, _CLIENT_CA_CERT   PEM files; TLS is off when unset
//	CHAINCODE_PPROF_ADDRESS        host:port of a Go profiling listener (net/http/pprof,
//	                               /debug/pprof/), for benchmarks; off when unset. It
//	                               has no authentication: bind it to loopback.
//	GOGC                           the Go collector's target (default here 400, see gcPercent)
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/trustline/trustline/chaincode"
)

// gcPercent is the collector's target when GOGC is unset. The server's
// live heap is small and steady (contract metadata, compiled schemas, the
// calls in flight: a few MB), while each call allocates ~100-200 KB of
// short-lived JSON and protobuf; at Go's default of 100 the collector ran
// every few calls and took ~11% of the server's CPU under the write-path
// benchmark. 400 lets the heap grow to five times the live set (still tens
// of MB) and collects a quarter as often. The collector's schedule never
// reaches a call's result, so determinism is unaffected.
const gcPercent = 400

func main() {
	if err := run(); err != nil {
		log.Fatalf("trustline-chaincode: %v", err)
	}
}

func run() error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	id := os.Getenv("CHAINCODE_ID")
	addr := os.Getenv("CHAINCODE_SERVER_ADDRESS")
	if id == "" || addr == "" {
		return fmt.Errorf("CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS must be set")
	}
	cc, err := chaincode.New()
	if err != nil {
		return fmt.Errorf("building contract: %w", err)
	}
	tlsProps, err := tlsProperties()
	if err != nil {
		return err
	}
	srv := &shim.ChaincodeServer{CCID: id, Address: addr, CC: cc, TLSProps: tlsProps}
	if a := os.Getenv("CHAINCODE_PPROF_ADDRESS"); a != "" {
		if err := servePprof(a); err != nil {
			return err
		}
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		log.Printf("trustline-chaincode: shutting down")
		os.Exit(0)
	}()
	log.Printf("trustline-chaincode: serving %s on %s", id, addr)
	return srv.Start()
}

func tlsProperties() (shim.TLSProperties, error) {
	certFile, keyFile := os.Getenv("CHAINCODE_TLS_CERT"), os.Getenv("CHAINCODE_TLS_KEY")
	if certFile == "" && keyFile == "" {
		return shim.TLSProperties{Disabled: true}, nil
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return shim.TLSProperties{}, fmt.Errorf("reading CHAINCODE_TLS_CERT: %w", err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return shim.TLSProperties{}, fmt.Errorf("reading CHAINCODE_TLS_KEY: %w", err)
	}
	props := shim.TLSProperties{Key: key, Cert: cert}
	if ca := os.Getenv("CHAINCODE_CLIENT_CA_CERT"); ca != "" {
		if props.ClientCACerts, err = os.ReadFile(ca); err != nil {
			return shim.TLSProperties{}, fmt.Errorf("reading CHAINCODE_CLIENT_CA_CERT: %w", err)
		}
	}
	return props, nil
}

// servePprof serves Go's profiles on addr (pprof's own handlers on a mux of
// their own, so nothing else is exposed).
func servePprof(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("CHAINCODE_PPROF_ADDRESS: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Printf("trustline-chaincode: profiles on http://%s/debug/pprof/", l.Addr())
	go func() { log.Printf("trustline-chaincode: pprof listener: %v", http.Serve(l, mux)) }()
	return nil
}
