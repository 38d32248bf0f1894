package orgca

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"slices"
)

// CardVersion is the version of the org card format.
const CardVersion = 1

// Card is an organisation's public description: what the other members need
// to put it into a channel and to talk to its peer and orderer. It holds
// certificates and addresses only, never a private key.
type Card struct {
	Version int    `json:"version"`
	MSPID   string `json:"mspId"`
	// Name is the display name ("Acme Labs").
	Name   string `json:"name"`
	Domain string `json:"domain"`
	// RootCert and TLSRootCert are the organisation's CA and TLS CA
	// certificates, PEM.
	RootCert    string          `json:"rootCert"`
	TLSRootCert string          `json:"tlsRootCert"`
	Peer        Endpoint        `json:"peer"`
	Orderer     OrdererEndpoint `json:"orderer"`
	// CRLs are the organisation's certificate revocation lists, PEM.
	CRLs []string `json:"crls,omitempty"`
}

// Endpoint is a host:port other members dial.
type Endpoint struct {
	Address string `json:"address"`
}

// OrdererEndpoint is the organisation's orderer: its address and the
// certificates that name it as a BFT consenter.
type OrdererEndpoint struct {
	Address string `json:"address"`
	// Identity is the orderer's enrollment certificate, PEM.
	Identity string `json:"identity"`
	// TLSCert is its TLS certificate (server and cluster client), PEM.
	TLSCert string `json:"tlsCert"`
}

// ReadCard reads and validates a card file.
func ReadCard(path string) (Card, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Card{}, err
	}
	var c Card
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Card{}, fmt.Errorf("org card %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Card{}, fmt.Errorf("org card %s: %w", path, err)
	}
	return c, nil
}

// Write writes the card as JSON, readable by anyone.
func (c Card) Write(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(b, '\n'), 0o644)
}

// Validate checks a card: known version, well-formed MSP id and addresses,
// CA certificates that are CAs, an orderer identity with the orderer NodeOU
// issued by the root CA, an orderer TLS certificate issued by the TLS root
// and valid for the orderer's host, and nothing but certificates and CRLs in
// PEM form.
func (c Card) Validate() error {
	if c.Version != CardVersion {
		return fmt.Errorf("%w card version %d (this trustline reads version %d)", ErrInvalid, c.Version, CardVersion)
	}
	if !mspIDRE.MatchString(c.MSPID) {
		return fmt.Errorf("%w MSP id %q", ErrInvalid, c.MSPID)
	}
	if err := CheckAddress(c.Peer.Address); err != nil {
		return fmt.Errorf("peer: %w", err)
	}
	if err := CheckAddress(c.Orderer.Address); err != nil {
		return fmt.Errorf("orderer: %w", err)
	}
	for _, p := range append([]string{c.RootCert, c.TLSRootCert, c.Orderer.Identity, c.Orderer.TLSCert}, c.CRLs...) {
		if err := onlyPublicPEM(p); err != nil {
			return err
		}
	}
	root, err := parseCA(c.RootCert)
	if err != nil {
		return fmt.Errorf("root certificate: %w", err)
	}
	tlsRoot, err := parseCA(c.TLSRootCert)
	if err != nil {
		return fmt.Errorf("TLS root certificate: %w", err)
	}
	oid, err := ParseCertPEM([]byte(c.Orderer.Identity))
	if err != nil {
		return fmt.Errorf("orderer identity: %w", err)
	}
	if err := oid.CheckSignatureFrom(root); err != nil {
		return fmt.Errorf("%w orderer identity: not issued by the root certificate: %v", ErrInvalid, err)
	}
	if !slices.Contains(oid.Subject.OrganizationalUnit, string(RoleOrderer)) {
		return fmt.Errorf("%w orderer identity: OU %v lacks %q", ErrInvalid, oid.Subject.OrganizationalUnit, RoleOrderer)
	}
	otls, err := ParseCertPEM([]byte(c.Orderer.TLSCert))
	if err != nil {
		return fmt.Errorf("orderer TLS certificate: %w", err)
	}
	host, _, _ := net.SplitHostPort(c.Orderer.Address)
	pool := x509.NewCertPool()
	pool.AddCert(tlsRoot)
	if _, err := otls.Verify(x509.VerifyOptions{Roots: pool, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return fmt.Errorf("%w orderer TLS certificate for %s: %v", ErrInvalid, host, err)
	}
	for i, crl := range c.CRLs {
		block, _ := pem.Decode([]byte(crl))
		rl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return fmt.Errorf("%w CRL %d: %v", ErrInvalid, i, err)
		}
		if err := rl.CheckSignatureFrom(root); err != nil {
			return fmt.Errorf("%w CRL %d: not signed by the root certificate: %v", ErrInvalid, i, err)
		}
	}
	return nil
}

func parseCA(p string) (*x509.Certificate, error) {
	c, err := ParseCertPEM([]byte(p))
	if err != nil {
		return nil, err
	}
	if !c.IsCA {
		return nil, fmt.Errorf("%w: %s is not a CA certificate", ErrInvalid, c.Subject.CommonName)
	}
	return c, nil
}

// onlyPublicPEM refuses a PEM text with anything but certificates and CRLs
// in it: a card must never carry a key, whatever the file was made with.
func onlyPublicPEM(p string) error {
	rest := []byte(p)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" && block.Type != "X509 CRL" {
			return fmt.Errorf("%w: a card holds certificates and CRLs only, found a %q PEM block", ErrInvalid, block.Type)
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: expected PEM certificate or CRL", ErrInvalid)
	}
	return nil
}
