package capture

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Config is the capture section of a node's configuration:
//
//	capture:
//	  listen: 127.0.0.1:8443            # a TLS listener of its own
//	  tlsCert: …/node/tls/server.crt    # the node's TLS key pair
//	  tlsKey: …/node/tls/server.key
//	  clientCA: …/msp/tlscacerts/tlsca.pem  # the org's TLS CA: it issues the clients' certificates
//	  crls: …/msp/crls                  # the org's CRLs (trustline org revoke): revoked clients are refused
//	  clients:
//	    - name: erp.supplier.example    # a client certificate's common name
//	      bizSteps: [commissioning, shipping, receiving]   # omitted: every step
//	    - name: qa.supplier.example
//	      reports: true                 # may read /reports/ and /recall/ (the member records)
//	    - name: integration.supplier.example
//	      subscribe: true               # may write named queries and subscriptions (/queries)
//	  maxEvents: 500                    # GS1-EPCIS-Capture-Limit
//	  maxBytes: 4194304                 # GS1-EPCIS-Capture-File-Size-Limit
//	  ratePerSecond: 10                 # per client
//	  burst: 20
//	  concurrency: 16                   # events of a job in flight at once (1: one at a time)
type Config struct {
	Listen   string `json:"listen"`
	TLSCert  string `json:"tlsCert"`
	TLSKey   string `json:"tlsKey"`
	ClientCA string `json:"clientCA"`
	// CRLs is the organisation's MSP crls directory (or one CRL file):
	// client certificates its CRLs revoke are refused, 401 (crl.go).
	CRLs          string   `json:"crls,omitempty"`
	Clients       []Client `json:"clients"`
	MaxEvents     int      `json:"maxEvents,omitempty"`
	MaxBytes      int64    `json:"maxBytes,omitempty"`
	RatePerSecond float64  `json:"ratePerSecond,omitempty"`
	Burst         int      `json:"burst,omitempty"`
	Concurrency   int      `json:"concurrency,omitempty"`
}

// Validate names the first missing or invalid field.
func (c *Config) Validate() error {
	switch {
	case c.Listen == "":
		return errors.New("capture.listen: required")
	case c.TLSCert == "" || c.TLSKey == "":
		return errors.New("capture.tlsCert and capture.tlsKey: required (capture is served over TLS only)")
	case c.ClientCA == "":
		return errors.New("capture.clientCA: required (clients authenticate with certificates it issued)")
	case len(c.Clients) == 0:
		return errors.New("capture.clients: name at least one client (a certificate common name, or \"*\")")
	}
	for i, cl := range c.Clients {
		if cl.Name == "" {
			return fmt.Errorf("capture.clients[%d].name: required", i)
		}
	}
	return nil
}

// ServerTLS is the TLS configuration of a capture listener: the server's
// key pair, and client certificates verified against clientCA when a
// client presents one (a client without one is answered 401 by Handler).
func ServerTLS(certFile, keyFile, clientCA string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("capture TLS key pair: %w", err)
	}
	pem, err := os.ReadFile(clientCA)
	if err != nil {
		return nil, fmt.Errorf("capture client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("capture client CA %s: no PEM certificate", clientCA)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}, nil
}
