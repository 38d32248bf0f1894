package deploy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/deploy"
	"github.com/trustline/trustline/orgca"
)

func hostFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "host.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUnits(t *testing.T) {
	dir := t.TempDir()
	if _, err := orgca.Init(dir, orgca.Spec{MSPID: "LabMSP", Domain: "lab.example.com",
		PeerAddress: "198.18.0.4:7051", OrdererAddress: "198.18.0.4:7050"}); err != nil {
		t.Fatal(err)
	}
	h, org, err := deploy.Load(hostFile(t, "orgDir: "+dir+"\norderer: {}\npeer: {operations: 127.0.0.1:9543}\nchaincode: {packageId: trustline_lab:ab12}\nnode: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	units := h.Units(org)
	var names []string
	for _, u := range units {
		names = append(names, u.Name)
	}
	if strings.Join(names, " ") != "trustline-orderer.service trustline-peer.service trustline-chaincode.service trustline-node.service" {
		t.Fatalf("units %v", names)
	}
	for i, wants := range [][]string{
		{`"ORDERER_GENERAL_LISTENPORT=7050"`, `"ORDERER_ADMIN_LISTENADDRESS=0.0.0.0:7053"`, `"ORDERER_GENERAL_LOCALMSPID=LabMSP"`, filepath.Join(dir, "orderer", "tls", "server.key"), "ExecStart=/usr/local/bin/orderer\n", "User=trustline"},
		{`"CORE_PEER_ADDRESS=198.18.0.4:7051"`, `"CORE_PEER_CHAINCODEADDRESS=198.18.0.4:7052"`, `"CORE_OPERATIONS_LISTENADDRESS=127.0.0.1:9543"`, "ExecStart=/usr/local/bin/peer node start"},
		{`"CHAINCODE_ID=trustline_lab:ab12"`, `"CHAINCODE_SERVER_ADDRESS=0.0.0.0:9999"`, "After=trustline-peer.service"},
		{"ExecStart=/usr/local/bin/trustline node start --config /etc/trustline/node.yaml"},
	} {
		for _, w := range wants {
			if !strings.Contains(units[i].Content, w) {
				t.Errorf("%s lacks %q:\n%s", units[i].Name, w, units[i].Content)
			}
		}
	}
}

func TestLoadRejects(t *testing.T) {
	dir := t.TempDir()
	if _, err := orgca.Init(dir, orgca.Spec{MSPID: "LabMSP", Domain: "lab.example.com"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"no org", "peer: {}\n", "orgDir is required"},
		{"no process", "orgDir: " + dir + "\n", "no process on this host"},
		{"unknown field", "orgDir: " + dir + "\npeers: {}\n", `unknown field "peers"`},
		{"no package id", "orgDir: " + dir + "\nchaincode: {}\n", "chaincode.packageId is required"},
		{"port twice", "orgDir: " + dir + "\npeer: {listen: 0.0.0.0:7050}\norderer: {}\n", "port 7050 used twice"},
		{"bad address", "orgDir: " + dir + "\npeer: {listen: nowhere}\n", `invalid address "nowhere"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := deploy.Load(hostFile(t, tc.body))
			if !errors.Is(err, deploy.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalid naming %q", err, tc.want)
			}
		})
	}
}
