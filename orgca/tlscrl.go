package orgca

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"path/filepath"
	"time"
)

// TLSCRLFile is the CRL of the organisation's TLS CA (absent before a
// revocation): the TLS certificates of the identities it revoked, which
// its systems present to its node's capture listener (package
// node/capture reads the CRLs of msp/crls and refuses them). It is not
// in the card: the channel MSP's CRLs are the org CA's (CRLFile), of
// the certificates that sign transactions; Fabric matches a CRL to a
// certificate by issuer, so this one is harmless there too.
func (o *Org) TLSCRLFile() string { return filepath.Join(o.MSPDir(), "crls", "tlscrl.pem") }

// writeTLSCRL writes TLSCRLFile listing the current TLS certificate of
// every revoked identity (a certificate a renewal replaced before the
// revocation is not listed: it expires on its own).
func (o *Org) writeTLSCRL(number int64, now time.Time) error {
	tlsca, err := readKeyPair(o.tlscaCert(), o.tlscaKey())
	if err != nil {
		return err
	}
	var entries []x509.RevocationListEntry
	for _, is := range o.issued {
		if is.Revoked == "" {
			continue
		}
		cert, err := readCert(o.Identity(is.Name).TLSCertFile())
		if errors.Is(err, fs.ErrNotExist) {
			continue // its files are gone: nothing to name
		}
		if err != nil {
			return err
		}
		at, _ := time.Parse(time.RFC3339, is.Revoked)
		entries = append(entries, x509.RevocationListEntry{SerialNumber: cert.SerialNumber, RevocationTime: at})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(number),
		ThisUpdate:                now.Add(-backdate),
		NextUpdate:                now.Add(validity),
		RevokedCertificateEntries: entries,
	}, tlsca.cert, tlsca.key)
	if err != nil {
		return err
	}
	return writeFile(o.TLSCRLFile(), pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644)
}
