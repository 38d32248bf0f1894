package testnet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/trustline/trustline/consortium"
)

// ChaincodeName, ChaincodeVersion and ChaincodeSequence define the deployed
// chaincode. The code runs as a service from bin/trustline-chaincode, so a new
// build needs only a restart of the chaincode processes, not a new definition.
const (
	ChaincodeName     = "trustline"
	ChaincodeVersion  = "1.0"
	ChaincodeSequence = 1
)

// The external builder the peers use for chaincode-as-a-service packages:
// detect claims packages of type "ccaas", build keeps connection.json,
// release hands it to the peer, which then dials the chaincode server.
var builderScripts = map[string]string{
	"detect": `#!/bin/sh
grep -q '"type"[[:space:]]*:[[:space:]]*"ccaas"' "$2/metadata.json"
`,
	"build": `#!/bin/sh
set -e
cp "$1/connection.json" "$3/connection.json"
`,
	"release": `#!/bin/sh
set -e
mkdir -p "$2/chaincode/server"
cp "$1/connection.json" "$2/chaincode/server/connection.json"
`,
}

func (n *Network) builderDir() string { return filepath.Join(n.dir, "builder") }

func (n *Network) writeBuilder() error {
	for name, script := range builderScripts {
		if err := writeFile(filepath.Join(n.builderDir(), "bin", name), []byte(script), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// ccaasPackage builds org's chaincode package: metadata.json plus code.tar.gz
// holding connection.json with the address of org's chaincode server. The
// bytes are deterministic, so the package id is too.
func (n *Network) ccaasPackage(org string) (label string, pkg []byte, err error) {
	label = ChaincodeName + "_" + org
	pkg, _, err = consortium.CCaaSPackage(label, n.ChaincodeAddress(org))
	return label, pkg, err
}

// packageID is Fabric's id for a chaincode package: label:sha256(package).
func packageID(label string, pkg []byte) string { return consortium.PackageID(label, pkg) }

// preparePackages writes each org's package and records its id.
func (n *Network) preparePackages() error {
	ids := map[string]string{}
	for _, org := range Orgs {
		label, pkg, err := n.ccaasPackage(org)
		if err != nil {
			return err
		}
		if err := writeFile(n.packageFile(org), pkg, 0o644); err != nil {
			return err
		}
		ids[org] = packageID(label, pkg)
	}
	return n.update(func(s *state) { s.Packages = ids })
}

func (n *Network) packageFile(org string) string {
	return filepath.Join(n.dir, "chaincode", org+".tar.gz")
}

func (n *Network) chaincodeSpec(org string) procSpec {
	return procSpec{
		Name: chaincodeName(org),
		Bin:  n.ccBin,
		Dir:  n.dir,
		Env: append([]string{
			"CHAINCODE_ID=" + n.snapshot().Packages[org],
			"CHAINCODE_SERVER_ADDRESS=" + n.ChaincodeAddress(org),
		}, n.pprofEnv(chaincodeName(org))...),
		Host:  n.ports.host(org),
		Ports: []int{n.chaincodePort(org)},
	}
}

// deployChaincode installs, approves and commits the chaincode definition.
// Each step tolerates having been done before, so an interrupted deploy can
// be resumed.
func (n *Network) deployChaincode() error {
	ids := n.snapshot().Packages
	for _, org := range Orgs {
		out, err := n.run(n.adminEnv(org), "peer", "lifecycle", "chaincode", "install", n.packageFile(org))
		if err != nil && !strings.Contains(string(out), "already successfully installed") {
			return err
		}
	}
	common := []string{
		"--channelID", ChannelName, "--name", ChaincodeName, "--version", ChaincodeVersion,
		"--sequence", fmt.Sprint(ChaincodeSequence),
	}
	for _, org := range Orgs {
		args := append([]string{"lifecycle", "chaincode", "approveformyorg", "--package-id", ids[org]}, common...)
		args = append(args, n.ordererArgs(org)...)
		out, err := n.run(n.adminEnv(org), "peer", args...)
		if err != nil && !strings.Contains(string(out), "attempted to redefine uncommitted") && !strings.Contains(string(out), "unchanged content") {
			return err
		}
	}
	args := append([]string{"lifecycle", "chaincode", "commit"}, common...)
	args = append(args, n.ordererArgs(Brand)...)
	for _, org := range Orgs {
		args = append(args,
			"--peerAddresses", n.ports.at(org, n.ports.PeerListen(org)),
			"--tlsRootCertFiles", filepath.Join(n.cryptoDir(org), "peer", "tls", "ca.crt"))
	}
	out, err := n.run(n.adminEnv(Brand), "peer", args...)
	if err != nil && !strings.Contains(string(out), "requested sequence is 1, but new definition must be sequence 2") {
		return err
	}
	return nil
}

// ordererArgs points a peer CLI call at org's own orderer.
func (n *Network) ordererArgs(org string) []string {
	return []string{
		"-o", n.ports.at(org, n.ports.OrdererListen(org)),
		"--tls", "--cafile", filepath.Join(n.cryptoDir(org), "orderer", "tls", "ca.crt"),
	}
}

// readPackages checks that every org's package id is known.
func (n *Network) readPackages() error {
	ids := n.snapshot().Packages
	for _, org := range Orgs {
		if ids[org] == "" {
			return n.preparePackages()
		}
	}
	return nil
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, mode)
}
