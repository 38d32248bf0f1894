package orgca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// validity of every certificate; backdated a little for clock skew between
// members' hosts.
const (
	validity = 10 * 365 * 24 * time.Hour
	backdate = 5 * time.Minute
)

type keyPair struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ski is the subject key identifier Fabric's software keystore derives from a
// public key: SHA-256 of the uncompressed point.
func ski(pub *ecdsa.PublicKey) []byte {
	raw := elliptic.Marshal(elliptic.P256(), pub.X, pub.Y) //nolint:staticcheck // Fabric's own derivation
	h := sha256.Sum256(raw)
	return h[:]
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// newCA makes a self-signed CA named kind.domain.
func newCA(domain, kind string) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	sn, err := serial()
	if err != nil {
		return keyPair{}, err
	}
	now := time.Now().Add(-backdate)
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{Organization: []string{domain}, CommonName: kind + "." + domain},
		NotBefore:             now,
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return keyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{cert: cert, key: key}, nil
}

// issue signs a leaf certificate for cn. ou is the NodeOU of an enrollment
// certificate; hosts (names or IPs) make it a TLS server and client
// certificate valid for them.
func issue(ca keyPair, org, cn, ou string, hosts []string) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	sn, err := serial()
	if err != nil {
		return keyPair{}, err
	}
	now := time.Now().Add(-backdate)
	tmpl := &x509.Certificate{
		SerialNumber:   sn,
		Subject:        pkix.Name{Organization: []string{org}, CommonName: cn},
		NotBefore:      now,
		NotAfter:       now.Add(validity),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		SubjectKeyId:   ski(&key.PublicKey),
		AuthorityKeyId: ca.cert.SubjectKeyId,
	}
	if ou != "" {
		tmpl.Subject.OrganizationalUnit = []string{ou}
	}
	if hosts != nil {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return keyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{cert: cert, key: key}, nil
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, mode)
}

// writeKeyPair writes a certificate (0644) and its private key (0600).
func writeKeyPair(certPath, keyPath string, kp keyPair) error {
	if err := writeFile(certPath, certPEM(kp.cert), 0o644); err != nil {
		return err
	}
	k, err := keyPEM(kp.key)
	if err != nil {
		return err
	}
	return writeFile(keyPath, k, 0o600)
}

func readKeyPair(certPath, keyPath string) (keyPair, error) {
	cert, err := readCert(certPath)
	if err != nil {
		return keyPair{}, err
	}
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return keyPair{}, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return keyPair{}, fmt.Errorf("%s: no PEM block", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return keyPair{}, fmt.Errorf("%s: %w", keyPath, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return keyPair{}, fmt.Errorf("%s: not an ECDSA key", keyPath)
	}
	return keyPair{cert: cert, key: ek}, nil
}

func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseCertPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseCertPEM parses the one certificate in a PEM text.
func ParseCertPEM(b []byte) (*x509.Certificate, error) {
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	if p, _ := pem.Decode(rest); p != nil {
		return nil, errors.New("more than one PEM block")
	}
	return x509.ParseCertificate(block.Bytes)
}
