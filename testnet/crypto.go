package testnet

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Crypto layout, per organisation, under <dir>/crypto/<org>/:
//
//	msp/                 the organisation's MSP as the channel sees it (CA certs, NodeOUs)
//	ca/, tlsca/          CA certificate and key (identity and TLS)
//	peer/msp, peer/tls   the peer's local MSP and TLS key pair
//	orderer/msp, orderer/tls
//	admin/msp, admin/tls the org admin (lifecycle, channel join, osnadmin)
//	user/msp             an ordinary client identity (what applications use)
//
// Nothing here is committed: it is generated on the first `testnet up`.

const nodeOUConfig = `NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: orderer
`

type keyPair struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

func (kp keyPair) certPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.der})
}

func (kp keyPair) keyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(kp.key)
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

func newCA(org, domain, kind string) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	sn, err := serial()
	if err != nil {
		return keyPair{}, err
	}
	now := time.Now().Add(-5 * time.Minute)
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject: pkix.Name{
			Country: []string{"US"}, Organization: []string{domain},
			CommonName: kind + "." + domain,
		},
		NotBefore:             now,
		NotAfter:              now.AddDate(10, 0, 0),
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
	return keyPair{cert: cert, der: der, key: key}, nil
}

// issue signs a leaf certificate. ou is the NodeOU (peer, orderer, admin,
// client) for identities; tls makes a TLS server+client certificate valid for
// localhost and 127.0.0.1.
func issue(ca keyPair, cn, ou string, tls bool) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	sn, err := serial()
	if err != nil {
		return keyPair{}, err
	}
	now := time.Now().Add(-5 * time.Minute)
	tmpl := &x509.Certificate{
		SerialNumber:   sn,
		Subject:        pkix.Name{Country: []string{"US"}, CommonName: cn},
		NotBefore:      now,
		NotAfter:       now.AddDate(10, 0, 0),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		SubjectKeyId:   ski(&key.PublicKey),
		AuthorityKeyId: ca.cert.SubjectKeyId,
	}
	if ou != "" {
		tmpl.Subject.OrganizationalUnit = []string{ou}
	}
	if tls {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		tmpl.DNSNames = []string{"localhost", cn}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return keyPair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{cert: cert, der: der, key: key}, nil
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, mode)
}

func writeKeyPair(certPath, keyPath string, kp keyPair) error {
	if err := writeFile(certPath, kp.certPEM(), 0o644); err != nil {
		return err
	}
	k, err := kp.keyPEM()
	if err != nil {
		return err
	}
	return writeFile(keyPath, k, 0o600)
}

// writeMSP writes an MSP folder. With id set it is a local MSP (signcerts,
// keystore); without, the organisation's verifying MSP.
func writeMSP(dir string, ca, tlsca keyPair, id *keyPair) error {
	files := map[string][]byte{
		"cacerts/ca.pem":       ca.certPEM(),
		"tlscacerts/tlsca.pem": tlsca.certPEM(),
		"config.yaml":          []byte(nodeOUConfig),
	}
	for name, data := range files {
		if err := writeFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	if id == nil {
		return nil
	}
	return writeKeyPair(filepath.Join(dir, "signcerts", "cert.pem"), filepath.Join(dir, "keystore", "priv_sk"), *id)
}

// generateOrgCrypto writes all key material of one organisation.
func generateOrgCrypto(dir, org string) error {
	domain := org + ".trustline.test"
	ca, err := newCA(org, domain, "ca")
	if err != nil {
		return err
	}
	tlsca, err := newCA(org, domain, "tlsca")
	if err != nil {
		return err
	}
	if err := writeKeyPair(filepath.Join(dir, "ca", "ca.pem"), filepath.Join(dir, "ca", "ca.key"), ca); err != nil {
		return err
	}
	if err := writeKeyPair(filepath.Join(dir, "tlsca", "tlsca.pem"), filepath.Join(dir, "tlsca", "tlsca.key"), tlsca); err != nil {
		return err
	}
	if err := writeMSP(filepath.Join(dir, "msp"), ca, tlsca, nil); err != nil {
		return err
	}
	for _, node := range []struct{ name, ou string }{
		{"peer", "peer"}, {"orderer", "orderer"}, {"admin", "admin"}, {"user", "client"},
	} {
		cn := node.name + "." + domain
		if node.name == "admin" || node.name == "user" {
			cn = node.name + "@" + domain
		}
		id, err := issue(ca, cn, node.ou, false)
		if err != nil {
			return err
		}
		if err := writeMSP(filepath.Join(dir, node.name, "msp"), ca, tlsca, &id); err != nil {
			return err
		}
		tlsCN := node.name + "." + domain
		tlsKP, err := issue(tlsca, tlsCN, "", true)
		if err != nil {
			return err
		}
		tlsDir := filepath.Join(dir, node.name, "tls")
		if err := writeKeyPair(filepath.Join(tlsDir, "server.crt"), filepath.Join(tlsDir, "server.key"), tlsKP); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(tlsDir, "ca.crt"), tlsca.certPEM(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generateCrypto writes key material for every organisation, unless present.
func generateCrypto(root string) error {
	for _, org := range Orgs {
		dir := filepath.Join(root, org)
		if _, err := os.Stat(filepath.Join(dir, "user", "msp", "signcerts", "cert.pem")); err == nil {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := generateOrgCrypto(dir, org); err != nil {
			return fmt.Errorf("generating crypto for %s: %w", org, err)
		}
	}
	return nil
}
