package consortium

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"
)

// ServedCertificate is the expiry of the TLS certificate the process at
// addr presents now (a peer or orderer, verified against tlsRoots, PEM):
// what a renewal changed once the process was restarted with the new
// certificate, which the channel configuration does not hold.
func ServedCertificate(ctx context.Context, addr string, tlsRoots [][]byte) (CertExpiry, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return CertExpiry{}, fmt.Errorf("address %q: %w", addr, err)
	}
	pool := x509.NewCertPool()
	for _, r := range tlsRoots {
		pool.AppendCertsFromPEM(r)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: host}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return CertExpiry{}, err
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return CertExpiry{}, errors.New("no certificate presented")
	}
	return CertExpiry{Subject: certs[0].Subject.CommonName, NotAfter: certs[0].NotAfter}, nil
}
