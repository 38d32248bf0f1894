package testnet

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustline/trustline/orgca"
)

func newTestNetwork(t *testing.T) *Network {
	t.Helper()
	n, err := New(Config{Dir: t.TempDir(), BinDir: t.TempDir(), BasePort: 45000})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenerateCrypto(t *testing.T) {
	root := t.TempDir()
	if err := generateCrypto(root, ports{base: 45000}); err != nil {
		t.Fatal(err)
	}
	for _, org := range Orgs {
		dir := filepath.Join(root, org)
		ca := readCert(t, filepath.Join(dir, "msp", "cacerts", "ca.pem"))
		tlsca := readCert(t, filepath.Join(dir, "msp", "tlscacerts", "tlsca.pem"))
		roots, tlsRoots := x509.NewCertPool(), x509.NewCertPool()
		roots.AddCert(ca)
		tlsRoots.AddCert(tlsca)
		for _, tc := range []struct{ who, ou string }{{"peer", "peer"}, {"orderer", "orderer"}, {"admin", "admin"}, {"user", "client"}} {
			id := readCert(t, filepath.Join(dir, tc.who, "msp", "signcerts", "cert.pem"))
			if _, err := id.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Errorf("%s/%s identity does not chain to the org CA: %v", org, tc.who, err)
			}
			if len(id.Subject.OrganizationalUnit) != 1 || id.Subject.OrganizationalUnit[0] != tc.ou {
				t.Errorf("%s/%s OU = %v, want %s (NodeOUs)", org, tc.who, id.Subject.OrganizationalUnit, tc.ou)
			}
			srv := readCert(t, filepath.Join(dir, tc.who, "tls", "server.crt"))
			for _, name := range []string{"localhost", "127.0.0.1"} {
				if _, err := srv.Verify(x509.VerifyOptions{Roots: tlsRoots, DNSName: name}); err != nil {
					t.Errorf("%s/%s TLS cert not valid for %s: %v", org, tc.who, name, err)
				}
			}
			if st, err := os.Stat(filepath.Join(dir, tc.who, "msp", "keystore", "priv_sk")); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s/%s private key missing or not 0600: %v", org, tc.who, err)
			}
		}
	}
	// A second run keeps existing material.
	before, _ := os.ReadFile(filepath.Join(root, Brand, "ca", "ca.pem"))
	if err := generateCrypto(root, ports{base: 45000}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(root, Brand, "ca", "ca.pem"))
	if string(before) != string(after) {
		t.Error("generateCrypto replaced existing crypto")
	}
}

func TestPortsDistinct(t *testing.T) {
	n := newTestNetwork(t)
	seen := map[int]string{}
	for _, s := range n.specs() {
		for _, p := range s.Ports {
			if other, dup := seen[p]; dup {
				t.Errorf("port %d used by %s and %s", p, other, s.Name)
			}
			if p < n.BasePort() || p >= n.BasePort()+100 {
				t.Errorf("%s port %d outside %d..%d", s.Name, p, n.BasePort(), n.BasePort()+99)
			}
			seen[p] = s.Name
		}
	}
	if len(seen) != 4*3+4*3+4+3 {
		t.Errorf("%d ports, want %d", len(seen), 4*3+4*3+4+3)
	}
}

func TestCCaaSPackageDeterministic(t *testing.T) {
	n := newTestNetwork(t)
	label, a, err := n.ccaasPackage(Lab)
	if err != nil {
		t.Fatal(err)
	}
	_, b, _ := n.ccaasPackage(Lab)
	if packageID(label, a) != packageID(label, b) {
		t.Error("package bytes differ between two builds")
	}
	id := packageID(label, a)
	if !strings.HasPrefix(id, "trustline_lab:") || len(id) != len("trustline_lab:")+64 {
		t.Errorf("package id %q, want trustline_lab:<sha256>", id)
	}
	_, other, _ := n.ccaasPackage(Brand)
	if packageID(label, other) == id {
		t.Error("organisations share a package: their chaincode servers would share an address")
	}
}

func TestWriteConfig(t *testing.T) {
	n := newTestNetwork(t)
	if err := generateCrypto(filepath.Join(n.dir, "crypto"), n.ports); err != nil {
		t.Fatal(err)
	}
	if err := n.writeConfig(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(n.configDir(), "configtx.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"OrdererType: BFT", "V3_0: true", "ID: 4", "MSPID: LogisticsMSP", "127.0.0.1:45033"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("configtx.yaml lacks %q", want)
		}
	}
	// With configtxgen built, make the genesis block and check its policies.
	if bin, err := FindBinDir(); err == nil && executable(filepath.Join(bin, "configtxgen")) {
		n.bin = bin
		if err := n.writeGenesis(); err != nil {
			t.Fatalf("configtxgen: %v", err)
		}
		// stdout only: the tool logs to stderr.
		out, err := exec.Command(filepath.Join(bin, "configtxgen"), "-inspectBlock", n.genesisBlock()).Output()
		if err != nil {
			t.Fatal(err)
		}
		var block struct {
			Data struct {
				Data []struct {
					Payload struct {
						Data struct {
							Config struct {
								ChannelGroup struct {
									Groups map[string]struct {
										Groups   map[string]json.RawMessage `json:"groups"`
										Policies map[string]json.RawMessage `json:"policies"`
									} `json:"groups"`
								} `json:"channel_group"`
							} `json:"config"`
						} `json:"data"`
					} `json:"payload"`
				} `json:"data"`
			} `json:"data"`
		}
		if err := json.Unmarshal(out, &block); err != nil || len(block.Data.Data) != 1 {
			t.Fatalf("inspecting the genesis block: %v", err)
		}
		groups := block.Data.Data[0].Payload.Data.Config.ChannelGroup.Groups
		for group, want := range map[string]string{
			"Orderer":     "Admins BlockValidation Readers Writers",
			"Application": "Admins Endorsement LifecycleEndorsement Readers Writers",
		} {
			if got := strings.Join(slices.Sorted(maps.Keys(groups[group].Policies)), " "); got != want {
				t.Errorf("%s policies = %s, want %s", group, got, want)
			}
			if len(groups[group].Groups) != 4 {
				t.Errorf("%s has %d organisations, want 4", group, len(groups[group].Groups))
			}
		}
		if !strings.Contains(string(out), `"BFT"`) {
			t.Error("genesis block does not set BFT consensus")
		}
	} else {
		t.Log("configtxgen not built: genesis block not checked")
	}
	core, _ := os.ReadFile(filepath.Join(n.configDir(), "core.yaml"))
	if !strings.Contains(string(core), "\n  endpoint: \"\"\n") {
		t.Error(`core.yaml must set vm.endpoint to "" in the file: an empty environment variable is ignored`)
	}
}

func TestCheckBinariesNamesMissing(t *testing.T) {
	n := newTestNetwork(t)
	if err := os.WriteFile(filepath.Join(n.bin, "peer"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := n.CheckBinaries()
	var missing *MissingBinariesError
	if !errors.As(err, &missing) {
		t.Fatalf("CheckBinaries = %v, want *MissingBinariesError", err)
	}
	got := strings.Join(missing.Missing, " ")
	for _, want := range []string{"orderer", "osnadmin", "configtxgen", "geth", "trustline-chaincode"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing list %q lacks %s", got, want)
		}
	}
	if strings.Contains(got, "peer") {
		t.Errorf("missing list %q names peer, which exists", got)
	}
	if !strings.Contains(err.Error(), "make build") {
		t.Errorf("error %q does not say how to build them", err)
	}
}

func TestPortInUseNamesOwner(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	err = portFree(LocalHost, port)
	var inUse *PortInUseError
	if !errors.As(err, &inUse) || inUse.Port != port {
		t.Fatalf("portFree(%d) = %v, want *PortInUseError", port, err)
	}
	if inUse.PID != os.Getpid() {
		t.Errorf("owner pid %d, want this test process %d", inUse.PID, os.Getpid())
	}
	if !strings.Contains(err.Error(), "in use by") {
		t.Errorf("error %q does not name the owner", err)
	}
}

// Each organisation's processes bind and announce its host's address, and
// the placement sticks to the network: its certificates name the addresses.
func TestHostsPlaceEachOrg(t *testing.T) {
	dir := t.TempDir()
	hosts := map[string]Host{Lab: {Addr: "198.18.0.4", Netns: "tltest-h3"}}
	n, err := New(Config{Dir: dir, BinDir: dir, BasePort: 45000, Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	if err := generateCrypto(filepath.Join(dir, "crypto"), n.ports); err != nil {
		t.Fatal(err)
	}
	if err := n.update(func(*state) {}); err != nil {
		t.Fatal(err)
	}
	lab := n.spec(peerName(Lab))
	if lab.Host != hosts[Lab] || !slices.Contains(lab.Env, "CORE_PEER_ADDRESS=198.18.0.4:45020") ||
		!slices.Contains(lab.Env, "CORE_PEER_GOSSIP_EXTERNALENDPOINT=198.18.0.4:45020") {
		t.Errorf("lab's peer: host %+v, env %v", lab.Host, lab.Env)
	}
	if o := n.spec(ordererName(Lab)); !slices.Contains(o.Env, "ORDERER_GENERAL_LISTENADDRESS=198.18.0.4") {
		t.Errorf("lab's orderer env %v", o.Env)
	}
	if b := n.spec(peerName(Brand)); b.Host != LocalHost || !slices.Contains(b.Env, "CORE_PEER_ADDRESS=127.0.0.1:45000") {
		t.Errorf("brand's peer: host %+v", b.Host)
	}
	card, err := orgca.ReadCard(filepath.Join(n.cryptoDir(Lab), "card.json"))
	if err != nil {
		t.Fatal(err)
	}
	if card.Peer.Address != "198.18.0.4:45020" || card.Orderer.Address != "198.18.0.4:45023" {
		t.Errorf("lab's card endpoints %s, %s", card.Peer.Address, card.Orderer.Address)
	}
	certPEM, err := os.ReadFile(filepath.Join(n.cryptoDir(Lab), "peer", "tls", "server.crt"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("198.18.0.4"); err != nil {
		t.Errorf("lab's peer TLS certificate: %v", err)
	}
	_, pkg, err := n.ccaasPackage(Lab)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(gunzipAll(t, pkg), []byte("198.18.0.4:45026")) {
		t.Errorf("lab's chaincode package does not point at its host")
	}
	cfg, err := n.ClientConfig(Lab, false)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GatewayAddress != "198.18.0.4:45020" || cfg.TLSServerName != "198.18.0.4" {
		t.Errorf("lab's client config %+v", cfg)
	}

	// Reopened without hosts, the network keeps its placement; another
	// address for lab is refused.
	again, err := New(Config{Dir: dir, BinDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if again.Host(Lab) != hosts[Lab] {
		t.Errorf("reopened: lab on %+v", again.Host(Lab))
	}
	if _, err := New(Config{Dir: dir, BinDir: dir, Hosts: map[string]Host{Lab: {Addr: "198.18.0.9"}}}); err == nil || !strings.Contains(err.Error(), "198.18.0.4") {
		t.Errorf("moving lab: err = %v, want a refusal naming its address", err)
	}
	if _, err := New(Config{Dir: t.TempDir(), BinDir: dir, Hosts: map[string]Host{"bank": {Addr: "198.18.0.9"}}}); err == nil || !strings.Contains(err.Error(), "bank") {
		t.Errorf("unknown org: err = %v", err)
	}
}

// A candidate may be placed on a host of its own before it exists; its
// address is fixed once it made its identity (its certificates name it).
func TestHostsPlaceCandidate(t *testing.T) {
	dir := t.TempDir()
	at := Host{Addr: "198.18.0.6", Netns: "tltest-h5"}
	n, err := New(Config{Dir: dir, BinDir: dir, BasePort: 45000, Hosts: map[string]Host{Retailer: at}})
	if err != nil {
		t.Fatal(err)
	}
	if n.Host(Retailer) != at || n.Host(Brand) != LocalHost {
		t.Fatalf("retailer on %+v, brand on %+v", n.Host(Retailer), n.Host(Brand))
	}
	if err := n.update(func(*state) {}); err != nil {
		t.Fatal(err)
	}
	// Not made yet: it may still move.
	moved := Host{Addr: "198.18.0.7"}
	if again, err := New(Config{Dir: dir, BinDir: dir, Hosts: map[string]Host{Retailer: moved}}); err != nil || again.Host(Retailer) != moved {
		t.Fatalf("moving the retailer before its identity: %+v, %v", again, err)
	}
	o, err := n.InitCandidate(Retailer)
	if err != nil {
		t.Fatal(err)
	}
	if c := o.Card(); c.Peer.Address != "198.18.0.6:45040" || c.Orderer.Address != "198.18.0.6:45043" {
		t.Errorf("retailer's card endpoints %s, %s", c.Peer.Address, c.Orderer.Address)
	}
	if p := n.spec(ordererName(Retailer)); p.Host != at || !slices.Contains(p.Env, "ORDERER_GENERAL_LISTENADDRESS=198.18.0.6") {
		t.Errorf("retailer's orderer: host %+v, env %v", p.Host, p.Env)
	}
	if _, err := New(Config{Dir: dir, BinDir: dir, Hosts: map[string]Host{Retailer: moved}}); err == nil || !strings.Contains(err.Error(), "198.18.0.6") {
		t.Errorf("moving the retailer after its identity: err = %v, want a refusal naming its address", err)
	}
}

// gunzipAll returns the bytes of a tar.gz and of the tar.gz files inside it.
func gunzipAll(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []byte
	for {
		if _, err := tr.Next(); err != nil {
			break
		}
		data, _ := io.ReadAll(tr)
		out = append(out, data...)
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			out = append(out, gunzipAll(t, data)...)
		}
	}
	return out
}

func TestNewRejectsOtherBasePort(t *testing.T) {
	dir := t.TempDir()
	n, err := New(Config{Dir: dir, BinDir: dir, BasePort: 45000})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.update(func(*state) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Dir: dir, BinDir: dir, BasePort: 46000}); err == nil || !strings.Contains(err.Error(), "created with base port 45000") {
		t.Errorf("New with another base port = %v, want an error naming 45000", err)
	}
	if n2, err := New(Config{Dir: dir, BinDir: dir}); err != nil || n2.BasePort() != 45000 {
		t.Errorf("New without a base port = %v, %v; want the network's own 45000", n2, err)
	}
	if _, err := New(Config{Dir: t.TempDir(), BinDir: dir, BasePort: 80}); err == nil {
		t.Error("base port 80 accepted")
	}
}

func TestStopWithNothingRunning(t *testing.T) {
	n := newTestNetwork(t)
	if err := n.Stop(); err != nil {
		t.Errorf("Stop on a network that never ran: %v", err)
	}
}

// privateKeys returns the DER of every PEM private key under dir, by path.
func privateKeys(t *testing.T, dir string) map[string]string {
	t.Helper()
	keys := map[string]string{}
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
			if block, b = pem.Decode(b); block == nil {
				break
			}
			if strings.Contains(block.Type, "PRIVATE KEY") {
				keys[path] = string(block.Bytes)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestConsortiumFromPublicMaterialOnly: the channel is made from the org
// cards alone, so no private key is in the consortium's material, and no
// organisation's directory holds a key of another.
func TestConsortiumFromPublicMaterialOnly(t *testing.T) {
	n := newTestNetwork(t)
	if err := generateCrypto(filepath.Join(n.dir, "crypto"), n.ports); err != nil {
		t.Fatal(err)
	}
	if err := n.writeConfig(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{n.configDir(), filepath.Dir(n.consortiumFile())} {
		if keys := privateKeys(t, dir); len(keys) > 0 {
			t.Errorf("consortium material holds private keys: %v", slices.Collect(maps.Keys(keys)))
		}
	}
	owner := map[string]string{}
	for _, org := range Orgs {
		keys := privateKeys(t, n.cryptoDir(org))
		if len(keys) < 12 {
			t.Fatalf("%s: %d private keys, want its CAs' and identities'", org, len(keys))
		}
		for path, key := range keys {
			if other, ok := owner[key]; ok && other != org {
				t.Errorf("%s holds a private key of %s (%s)", org, other, path)
			}
			owner[key] = org
		}
	}
}
