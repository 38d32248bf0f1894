package consortium

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	cert := srv.Certificate()
	root := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	addr := srv.Listener.Addr().String()
	got, err := ServedCertificate(context.Background(), addr, [][]byte{root})
	if err != nil {
		t.Fatal(err)
	}
	if !got.NotAfter.Equal(cert.NotAfter) {
		t.Errorf("expiry %s, want %s", got.NotAfter, cert.NotAfter)
	}
	if _, err := ServedCertificate(context.Background(), addr, nil); err == nil {
		t.Error("a certificate from an untrusted root was accepted")
	}
}
