package orgca_test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustline/trustline/orgca"
)

func initOrg(t *testing.T, dir string, spec orgca.Spec) *orgca.Org {
	t.Helper()
	o, err := orgca.Init(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := orgca.ParseCertPEM(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

func TestInitIdentities(t *testing.T) {
	o := initOrg(t, t.TempDir(), orgca.Spec{
		MSPID: "LabMSP", Domain: "lab.example.com", Name: "Acme Labs",
		PeerAddress: "peer0.lab.example.com:7051", OrdererAddress: "198.18.0.3:7050",
		Hosts: []string{"localhost"},
	})
	roots, tlsRoots := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(readCert(t, filepath.Join(o.MSPDir(), "cacerts", "ca.pem")))
	tlsRoots.AddCert(readCert(t, o.TLSCAFile()))
	for _, tc := range []struct {
		name, ou string
		tlsFor   []string
	}{
		{orgca.Admin, "admin", []string{"admin.lab.example.com", "localhost"}},
		{orgca.Peer, "peer", []string{"peer0.lab.example.com", "peer.lab.example.com", "localhost"}},
		{orgca.Orderer, "orderer", []string{"198.18.0.3", "orderer.lab.example.com", "localhost"}},
		{orgca.Node, "client", []string{"node.lab.example.com"}},
		{orgca.User, "client", []string{"user.lab.example.com"}},
	} {
		id := o.Identity(tc.name)
		cert := readCert(t, id.CertFile())
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s: identity does not chain to the org CA: %v", tc.name, err)
		}
		if !slices.Equal(cert.Subject.OrganizationalUnit, []string{tc.ou}) {
			t.Errorf("%s: OU %v, want %s (NodeOUs)", tc.name, cert.Subject.OrganizationalUnit, tc.ou)
		}
		if pub := cert.PublicKey; pub == nil || cert.PublicKeyAlgorithm != x509.ECDSA {
			t.Errorf("%s: want an ECDSA key", tc.name)
		}
		srv := readCert(t, id.TLSCertFile())
		for _, host := range tc.tlsFor {
			if _, err := srv.Verify(x509.VerifyOptions{Roots: tlsRoots, DNSName: host}); err != nil {
				t.Errorf("%s: TLS certificate not valid for %s: %v", tc.name, host, err)
			}
		}
		for _, key := range []string{id.KeyFile(), id.TLSKeyFile()} {
			if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s missing or not 0600: %v", tc.name, key, err)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(o.MSPDir(), "config.yaml")); !bytes.Contains(b, []byte("Enable: true")) {
		t.Error("msp/config.yaml does not enable NodeOUs")
	}
}

// TestCardHoldsNothingSecret checks the card byte by byte: no PEM block but
// certificates, and none of the organisation's private keys in any form.
func TestCardHoldsNothingSecret(t *testing.T) {
	dir := t.TempDir()
	o := initOrg(t, dir, orgca.Spec{MSPID: "BrandMSP", Domain: "brand.example.com"})
	if _, err := o.Enroll("tech1", orgca.EnrollOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Revoke("tech1"); err != nil {
		t.Fatal(err)
	}
	card, err := os.ReadFile(o.CardFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(card, &map[string]any{}); err != nil {
		t.Fatal(err)
	}
	// PEM blocks inside JSON strings have escaped newlines: unescape first.
	s := strings.ReplaceAll(string(card), `\n`, "\n")
	for b := []byte(s); ; {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" && block.Type != "X509 CRL" {
			t.Errorf("card holds a %q block", block.Type)
		}
	}
	if strings.Contains(strings.ToUpper(s), "PRIVATE KEY") {
		t.Error("card mentions a private key")
	}
	keys := privateKeys(t, dir)
	if len(keys) < 12 {
		t.Fatalf("found %d private keys in the org dir, want at least 12", len(keys))
	}
	for path, der := range keys {
		if bytes.Contains(card, der) || strings.Contains(s, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))) {
			t.Errorf("card contains the key of %s", path)
		}
	}
	c, err := orgca.ReadCard(o.CardFile())
	if err != nil {
		t.Fatal(err)
	}
	if c.MSPID != "BrandMSP" || c.Name != "BrandMSP" || c.Peer.Address != "peer.brand.example.com:7051" || c.Orderer.Address != "orderer.brand.example.com:7050" || len(c.CRLs) != 1 {
		t.Errorf("card = %+v", c)
	}
}

// privateKeys returns every private key under dir by path, DER.
func privateKeys(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	keys := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for {
			var block *pem.Block
			block, b = pem.Decode(b)
			if block == nil {
				break
			}
			if strings.Contains(block.Type, "PRIVATE KEY") {
				keys[path] = block.Bytes
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestOrgDirsHoldOnlyTheirOwnKeys: two organisations made side by side share
// no private key, and neither directory holds a key of the other.
func TestOrgDirsHoldOnlyTheirOwnKeys(t *testing.T) {
	root := t.TempDir()
	a := initOrg(t, filepath.Join(root, "a"), orgca.Spec{MSPID: "AMSP", Domain: "a.example.com"})
	b := initOrg(t, filepath.Join(root, "b"), orgca.Spec{MSPID: "BMSP", Domain: "b.example.com"})
	ka, kb := privateKeys(t, a.Dir()), privateKeys(t, b.Dir())
	for pa, da := range ka {
		for pb, db := range kb {
			if bytes.Equal(da, db) {
				t.Errorf("%s and %s hold the same key", pa, pb)
			}
		}
	}
}

func TestEnrollAndRevoke(t *testing.T) {
	o := initOrg(t, t.TempDir(), orgca.Spec{MSPID: "LabMSP", Domain: "lab.example.com"})
	id, err := o.Enroll("warehouse-7", orgca.EnrollOptions{Role: orgca.RoleClient, Hosts: []string{"198.18.0.9"}})
	if err != nil {
		t.Fatal(err)
	}
	cert := readCert(t, id.CertFile())
	if cert.Subject.CommonName != "warehouse-7@lab.example.com" || !slices.Equal(cert.Subject.OrganizationalUnit, []string{"client"}) {
		t.Errorf("subject %v", cert.Subject)
	}
	if _, err := readCert(t, id.TLSCertFile()).Verify(x509.VerifyOptions{Roots: pool(t, o.TLSCAFile()), DNSName: "198.18.0.9"}); err != nil {
		t.Errorf("TLS cert not valid for its host: %v", err)
	}
	// Reopened, the organisation still knows the identity.
	o2, err := orgca.Open(o.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o2.Enroll("warehouse-7", orgca.EnrollOptions{}); !errors.Is(err, orgca.ErrExists) {
		t.Errorf("second enroll: %v, want ErrExists", err)
	}
	crlPEM, err := o2.Revoke("warehouse-7")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(crlPEM)
	crl, err := x509.ParseRevocationList(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ca := readCert(t, filepath.Join(o.MSPDir(), "cacerts", "ca.pem"))
	if err := crl.CheckSignatureFrom(ca); err != nil {
		t.Errorf("CRL not signed by the org CA: %v", err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("CRL entries %v, want serial %x", crl.RevokedCertificateEntries, cert.SerialNumber)
	}
	if b, err := os.ReadFile(o.CRLFile()); err != nil || !bytes.Equal(b, crlPEM) {
		t.Errorf("msp/crls/crl.pem not the CRL: %v", err)
	}
	if _, err := o2.Revoke("warehouse-7"); !errors.Is(err, orgca.ErrExists) {
		t.Errorf("second revoke: %v, want ErrExists", err)
	}
	// A second revocation keeps the first in a CRL with a higher number.
	if _, err := o2.Enroll("tech", orgca.EnrollOptions{}); err != nil {
		t.Fatal(err)
	}
	crl2PEM, err := o2.Revoke("tech")
	if err != nil {
		t.Fatal(err)
	}
	block, _ = pem.Decode(crl2PEM)
	crl2, _ := x509.ParseRevocationList(block.Bytes)
	if len(crl2.RevokedCertificateEntries) != 2 || crl2.Number.Cmp(crl.Number) <= 0 {
		t.Errorf("second CRL: %d entries, number %v after %v", len(crl2.RevokedCertificateEntries), crl2.Number, crl.Number)
	}
	// The card carries the CRL, and a channel MSP written from it too.
	c, err := orgca.ReadCard(o.CardFile())
	if err != nil {
		t.Fatal(err)
	}
	msp := t.TempDir()
	if err := c.WriteMSP(msp); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(msp, "crls", "crl0.pem")); !bytes.Equal(b, crl2PEM) {
		t.Error("MSP from the card lacks the CRL")
	}
}

func pool(t *testing.T, path string) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(readCert(t, path))
	return p
}

func TestInvalidInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec orgca.Spec
		want string
	}{
		{"no msp id", orgca.Spec{Domain: "a.example.com"}, `MSP id ""`},
		{"bad msp id", orgca.Spec{MSPID: "Lab MSP", Domain: "a.example.com"}, `MSP id "Lab MSP"`},
		{"no domain", orgca.Spec{MSPID: "LabMSP"}, `domain ""`},
		{"ip domain", orgca.Spec{MSPID: "LabMSP", Domain: "10.0.0.1"}, `domain "10.0.0.1"`},
		{"bad peer address", orgca.Spec{MSPID: "LabMSP", Domain: "a.example.com", PeerAddress: "peer"}, `peer address: invalid address "peer"`},
		{"bad orderer port", orgca.Spec{MSPID: "LabMSP", Domain: "a.example.com", OrdererAddress: "o.example.com:0"}, "port must be 1 to 65535"},
		{"bad host", orgca.Spec{MSPID: "LabMSP", Domain: "a.example.com", Hosts: []string{"no such host"}}, `host "no such host"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := orgca.Init(t.TempDir(), tc.spec)
			if !errors.Is(err, orgca.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalid naming %q", err, tc.want)
			}
		})
	}
	dir := t.TempDir()
	o := initOrg(t, dir, orgca.Spec{MSPID: "LabMSP", Domain: "lab.example.com"})
	if _, err := orgca.Init(dir, orgca.Spec{MSPID: "LabMSP", Domain: "lab.example.com"}); !errors.Is(err, orgca.ErrExists) {
		t.Errorf("init over an org: %v, want ErrExists", err)
	}
	for _, name := range []string{"ca", "msp", "Tech", "a/b", ""} {
		if _, err := o.Enroll(name, orgca.EnrollOptions{}); !errors.Is(err, orgca.ErrInvalid) {
			t.Errorf("enroll %q: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := o.Enroll("x", orgca.EnrollOptions{Role: "root"}); !errors.Is(err, orgca.ErrInvalid) {
		t.Errorf("enroll with role root: %v", err)
	}
	if _, err := o.Revoke("nobody"); !errors.Is(err, orgca.ErrNotFound) {
		t.Errorf("revoke unknown: %v, want ErrNotFound", err)
	}
	if _, err := orgca.Open(t.TempDir()); !errors.Is(err, orgca.ErrNotFound) {
		t.Errorf("open empty dir: %v, want ErrNotFound", err)
	}
}

func TestReadCardRejects(t *testing.T) {
	o := initOrg(t, t.TempDir(), orgca.Spec{MSPID: "LabMSP", Domain: "lab.example.com", OrdererAddress: "198.18.0.3:7050"})
	other := initOrg(t, t.TempDir(), orgca.Spec{MSPID: "XMSP", Domain: "x.example.com"})
	key, _ := os.ReadFile(o.Identity(orgca.Admin).KeyFile())
	for _, tc := range []struct {
		name   string
		change func(*orgca.Card)
		want   string
	}{
		{"private key", func(c *orgca.Card) { c.RootCert += string(key) }, `"PRIVATE KEY" PEM block`},
		{"version", func(c *orgca.Card) { c.Version = 9 }, "card version 9"},
		{"foreign orderer", func(c *orgca.Card) { c.Orderer.Identity = other.Card().Orderer.Identity }, "not issued by the root certificate"},
		{"not orderer OU", func(c *orgca.Card) {
			b, _ := os.ReadFile(o.Identity(orgca.Peer).CertFile())
			c.Orderer.Identity = string(b)
		}, `lacks "orderer"`},
		{"TLS name mismatch", func(c *orgca.Card) { c.Orderer.Address = "198.18.0.4:7050" }, "orderer TLS certificate for 198.18.0.4"},
		{"leaf as root", func(c *orgca.Card) { c.RootCert = c.Orderer.Identity }, "not a CA certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := o.Card()
			tc.change(&c)
			path := filepath.Join(t.TempDir(), "card.json")
			if err := c.Write(path); err != nil {
				t.Fatal(err)
			}
			if _, err := orgca.ReadCard(path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "card.json")
	os.WriteFile(path, []byte(`{"version":1,"mspId":"X","privateKey":"..."}`), 0o644)
	if _, err := orgca.ReadCard(path); err == nil || !strings.Contains(err.Error(), `unknown field "privateKey"`) {
		t.Errorf("unknown field: %v", err)
	}
}

// TestRenew: a renewed identity has new certificates (and keys) from the
// same CAs, with the same role and names; the old serial is kept.
func TestRenew(t *testing.T) {
	o := initOrg(t, t.TempDir(), orgca.Spec{MSPID: "LabMSP", Domain: "lab.example.com", Hosts: []string{"198.18.0.4"}})
	id := o.Identity(orgca.Peer)
	oldCert, oldTLS := readCert(t, id.CertFile()), readCert(t, id.TLSCertFile())
	oldKey, _ := os.ReadFile(id.KeyFile())
	if _, err := o.Renew(orgca.Peer); err != nil {
		t.Fatal(err)
	}
	cert, tls := readCert(t, id.CertFile()), readCert(t, id.TLSCertFile())
	if cert.SerialNumber.Cmp(oldCert.SerialNumber) == 0 || tls.SerialNumber.Cmp(oldTLS.SerialNumber) == 0 || cert.NotAfter.Before(oldCert.NotAfter) {
		t.Errorf("not renewed: serial %s (was %s), expiry %s (was %s)", cert.SerialNumber, oldCert.SerialNumber, cert.NotAfter, oldCert.NotAfter)
	}
	if key, _ := os.ReadFile(id.KeyFile()); string(key) == string(oldKey) {
		t.Error("the renewed identity kept its key")
	}
	if cert.Subject.String() != oldCert.Subject.String() || !slices.Equal(tls.DNSNames, oldTLS.DNSNames) || len(tls.IPAddresses) != len(oldTLS.IPAddresses) {
		t.Errorf("subject or names changed: %v %v → %v %v", oldCert.Subject, oldTLS.DNSNames, cert.Subject, tls.DNSNames)
	}
	if _, err := tls.Verify(x509.VerifyOptions{Roots: pool(t, o.TLSCAFile()), DNSName: "198.18.0.4"}); err != nil {
		t.Errorf("renewed TLS cert: %v", err)
	}
	o2, err := orgca.Open(o.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var got orgca.Issued
	for _, is := range o2.Issued() {
		if is.Name == orgca.Peer {
			got = is
		}
	}
	if got.Serial != cert.SerialNumber.Text(16) || !slices.Equal(got.Renewed, []string{oldCert.SerialNumber.Text(16)}) || len(o2.Issued()) != len(o.Issued()) {
		t.Errorf("issued after renewal: %+v", got)
	}
	if _, err := o.Renew("nobody"); !errors.Is(err, orgca.ErrNotFound) {
		t.Errorf("renewing an unknown identity: %v", err)
	}
}
