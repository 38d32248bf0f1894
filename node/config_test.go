package node

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trustline/trustline/client"
)

// TestLoadConfigPeer: the peer section of a node's configuration file is a
// client.Config, under the same field names as `trustline testnet env -o
// json` and the CLI config file's gateway section.
func TestLoadConfigPeer(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml string
		want       client.Config
		wantErr    string
	}{
		{"complete", `dataDir: /var/lib/trustline
peer:
  mspId: SupplierMSP
  gatewayAddress: 127.0.0.1:7051
  tlsServerName: localhost
  tlsCaCert: ca.crt
  certPath: cert.pem
  keyPath: priv_sk
  channel: trustline
  chaincode: trustline
`, client.Config{MSPID: "SupplierMSP", GatewayAddress: "127.0.0.1:7051", TLSServerName: "localhost",
			TLSCACert: "ca.crt", CertPath: "cert.pem", KeyPath: "priv_sk", Channel: "trustline", Chaincode: "trustline"}, ""},
		{"no gateway", "dataDir: d\npeer:\n  channel: trustline\n", client.Config{}, "peer.gatewayAddress"},
		{"reports on the public listener", "dataDir: d\nreports: true\npeer:\n  gatewayAddress: a:1\n  channel: c\n", client.Config{}, "reports: true (capture.clients)"},
		{"unknown field", "dataDir: d\npeer:\n  gatewayAddress: a:1\n  channel: c\n  gateway: x\n", client.Config{}, `unknown field "gateway"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(p, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadConfig: %v, want an error naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.Peer != tc.want {
				t.Fatalf("LoadConfig: %+v, %v; want peer %+v", c.Peer, err, tc.want)
			}
		})
	}
}

// TestLoadConfigNames: members' display names and the places' names, towns,
// positions and time zones for the consumer page.
func TestLoadConfigNames(t *testing.T) {
	p := filepath.Join(t.TempDir(), "node.yaml")
	yaml := `dataDir: d
peer:
  gatewayAddress: a:1
  channel: c
members:
  SupplierMSP: Hofmann Hof & Molkerei
places:
  "4260123454005":
    name: Alpenwiese Laden
    town: München
    geo: {latitude: 48.1374, longitude: 11.5755}
    timeZone: Europe/Berlin
`
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	loc := c.Places["4260123454005"]
	if c.Members["SupplierMSP"] != "Hofmann Hof & Molkerei" || loc.Town != "München" || loc.TimeZone != "Europe/Berlin" || loc.Geo == nil || loc.Geo.Longitude != 11.5755 {
		t.Errorf("config %+v, place %+v", c, loc)
	}
}

// TestLoadConfigIndexCache: the index's block cache as a size with its
// unit; a mistake names the field.
func TestLoadConfigIndexCache(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range []struct {
		value   string
		want    int64
		wantErr string
	}{
		{"", 0, ""},
		{"2GiB", 2 << 30, ""},
		{"1500MB", 1500e6, ""},
		{"8MiB", 8 << 20, ""},
		{"lots", 0, `indexCache: "lots" is not a size`},
		{"1MiB", 0, "indexCache: 1MiB is too small: at least 8MiB"},
		{"2PiB", 0, "indexCache: 2PiB is too large"},
		{"-1GiB", 0, "indexCache"},
	} {
		yaml := "dataDir: d\npeer:\n  gatewayAddress: a:1\n  channel: c\n"
		if tc.value != "" {
			yaml += "indexCache: " + tc.value + "\n"
		}
		p := filepath.Join(dir, strconv.Itoa(i)+".yaml")
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(p)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("indexCache %q: %v, want an error naming %q", tc.value, err, tc.wantErr)
			}
			continue
		}
		if err != nil || c.indexCache() != tc.want {
			t.Errorf("indexCache %q: %d, %v; want %d", tc.value, c.indexCache(), err, tc.want)
		}
	}
}
