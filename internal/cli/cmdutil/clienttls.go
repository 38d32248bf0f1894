package cmdutil

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
)

// ClientTLS is an HTTP client for a node's capture listener (mutual TLS):
// presenting the certificate cert with its key (both or neither), and
// trusting ca (PEM; "" is the system's roots). flag names the flags in
// errors ("--" gives --cert, --key and --ca; "--node-" gives --node-cert,
// …).
func ClientTLS(flag, cert, key, ca string) (*http.Client, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, UsageError("%sca: %v", flag, err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, UsageError("%sca %s: no PEM certificate", flag, ca)
		}
	}
	switch {
	case cert != "" && key != "":
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, UsageError("%scert/%skey: %v", flag, flag, err)
		}
		cfg.Certificates = []tls.Certificate{c}
	case cert != "" || key != "":
		return nil, UsageError("%scert and %skey go together", flag, flag)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}, nil
}
