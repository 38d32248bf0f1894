package democmd

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/orgca"
)

// TestCaptureHelp: the capture instructions the demo prints for a member
// name its node's capture listener and credentials that listener takes:
// a TLS handshake with the printed --cert/--key/--ca, against a server
// with the node's capture TLS configuration, presents the client the
// configuration allows. Enrolling twice (a second demo run) reuses the
// client.
func TestCaptureHelp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "crypto", "supplier")
	if _, err := orgca.Init(dir, orgca.Spec{MSPID: "SupplierMSP", Domain: "supplier.example.com", Hosts: []string{"localhost", "127.0.0.1"}}); err != nil {
		t.Fatal(err)
	}
	cfg, m, err := captureSetup(dir, "supplier", 9484)
	if err != nil {
		t.Fatal(err)
	}
	if _, m2, err := captureSetup(dir, "supplier", 9484); err != nil || m2 != m {
		t.Fatalf("second run: %+v, %v", m2, err)
	}
	if err := cfg.Validate(); err != nil || cfg.Listen != "127.0.0.1:9484" || m.URL != "https://127.0.0.1:9484" || !cfg.Clients[0].Subscribe {
		t.Fatalf("config %+v (%v), member %+v", cfg, err, m)
	}

	var out bytes.Buffer
	printCaptureHelp(&out, []memberCapture{m}, "http://127.0.0.1:8480", "https://id.gs1.org/01/09506000134352/10/B1")
	text := out.String()
	cmd := regexp.MustCompile(`(?m)^    trustline epcis capture events.jsonld --node https://127.0.0.1:9484 --cert (\S+) --key (\S+) --ca (\S+)$`).FindStringSubmatch(text)
	if cmd == nil {
		t.Fatalf("no capture command for the supplier:\n%s", text)
	}
	for _, want := range []string{
		"  supplier: https://127.0.0.1:9484\n",
		"    curl -i --cert " + cmd[1] + " --key " + cmd[2] + " --cacert " + cmd[3] + " -H 'Content-Type: application/ld+json' --data-binary @events.jsonld https://127.0.0.1:9484/capture\n",
		"  trustline epcis query --node http://127.0.0.1:8480 --epc-class https://id.gs1.org/01/09506000134352/10/B1\n",
		"  trustline epcis queries create shipped --biz-step shipping --node https://127.0.0.1:9484 --cert " + cmd[1] + " --key " + cmd[2] + " --ca " + cmd[3] + "\n",
		"  trustline epcis subscribe shipped --follow --node http://127.0.0.1:8480\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}

	// The printed credentials against the node's capture TLS.
	serverTLS, err := capture.ServerTLS(cfg.TLSCert, cfg.TLSKey, cfg.ClientCA)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "no client certificate", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = serverTLS
	srv.StartTLS()
	defer srv.Close()
	hc, err := cmdutil.ClientTLS("--", cmd[1], cmd[2], cmd[3])
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("TLS with the printed credentials: %v", err)
	}
	defer resp.Body.Close()
	cn, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(cn) != cfg.Clients[0].Name {
		t.Fatalf("the listener saw %s %q; its configuration allows %q", resp.Status, cn, cfg.Clients[0].Name)
	}
}
