package capture_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/node/capture/capturetest"
)

// TestRevokedClient: the capture listener reads the organisation's MSP
// crls directory (absent until the first revocation); after `org revoke`
// (orgca.Revoke: the TLS CA's CRL there names the client's TLS
// certificate) the client is refused with a 401 problem+json naming the
// revocation, without a restart, while other clients go on; another
// organisation's CRLs do not count, and a CRL that does not parse refuses
// to open.
func TestRevokedClient(t *testing.T) {
	org := capturetest.NewOrg(t, "SupplierMSP", "erp", "logger")
	crlDir := filepath.Join(org.MSPDir(), "crls")
	crls, err := capture.OpenCRLs(crlDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := capturetest.Start(t, org, nil, capture.HandlerOptions{CRLs: crls, Clients: []capture.Client{{Name: "*"}}})
	erp, logger := org.HTTPClient(t, "erp"), org.HTTPClient(t, "logger")
	list := func(c *http.Client) response { return do(t, c, "GET", s.URL+"/capture", nil) }
	if r := list(erp); r.StatusCode != 200 {
		t.Fatalf("before the revocation: %d %s", r.StatusCode, r.body)
	}

	if _, err := org.Revoke("erp"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(org.TLSCRLFile()); err != nil {
		t.Fatalf("org revoke wrote no TLS CRL: %v", err)
	}
	var r response
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if r = list(erp); r.StatusCode != 200 || time.Now().After(deadline) {
			break
		}
	}
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked client: %d %s", r.StatusCode, r.body)
	}
	p := r.problem(t)
	if p.Type != capture.SecurityException || p.Title != "Certificate revoked" || !strings.Contains(p.Detail, "revoked") || !strings.Contains(p.Detail, capturetest.CommonName("erp")) {
		t.Errorf("revocation problem %+v", p)
	}
	if r := do(t, erp, "POST", s.URL+"/capture", supplierDocument(t, capturetest.Example())); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked client captures: %d %s", r.StatusCode, r.body)
	}
	if r := list(logger); r.StatusCode != 200 {
		t.Errorf("another client after the revocation: %d %s", r.StatusCode, r.body)
	}

	// Opened again (a restart) the CRLs still refuse it.
	crls2, err := capture.OpenCRLs(crlDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s2 := capturetest.Start(t, org, nil, capture.HandlerOptions{CRLs: crls2, Clients: []capture.Client{{Name: "*"}}})
	if r := do(t, erp, "GET", s2.URL+"/capture", nil); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked client after a restart: %d", r.StatusCode)
	}

	// Only the CRLs of the certificate's issuer count: another
	// organisation's CRLs (its CA signed them) do not revoke this org's
	// clients.
	other := capturetest.NewOrg(t, "LabMSP", "clerk")
	if _, err := other.Revoke("clerk"); err != nil {
		t.Fatal(err)
	}
	foreign, err := capture.OpenCRLs(filepath.Join(other.MSPDir(), "crls"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s3 := capturetest.Start(t, org, nil, capture.HandlerOptions{CRLs: foreign, Clients: []capture.Client{{Name: "*"}}})
	if r := do(t, logger, "GET", s3.URL+"/capture", nil); r.StatusCode != 200 {
		t.Errorf("a client under another org's CRLs: %d %s", r.StatusCode, r.body)
	}

	// A CRL file that does not parse: the listener does not start.
	bad := filepath.Join(t.TempDir(), "crl.pem")
	if err := os.WriteFile(bad, []byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := capture.OpenCRLs(bad, nil); err == nil || !strings.Contains(err.Error(), "crl.pem") {
		t.Errorf("a broken CRL: %v", err)
	}
}
