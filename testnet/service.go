package testnet

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/trustline/trustline/consortium"
)

// DeployService deploys another chaincode, name (version 1.0, sequence 1,
// the default endorsement policy), as a service: one chaincode server at
// addr, which every org's peer dials, started by the caller with the
// returned package id as its CHAINCODE_ID (benchmarks run a trivial
// contract next to trustline this way). The server may start after the
// deployment; a transaction needs it. Each step tolerates having been done
// before. addr must be reachable from every peer (one host: loopback).
func (n *Network) DeployService(name, addr string) (string, error) {
	pkg, id, err := consortium.CCaaSPackage(name, addr)
	if err != nil {
		return "", err
	}
	file := filepath.Join(n.dir, "chaincode", name+".service.tar.gz")
	if err := writeFile(file, pkg, 0o644); err != nil {
		return "", err
	}
	for _, org := range Orgs {
		out, err := n.run(n.adminEnv(org), "peer", "lifecycle", "chaincode", "install", file)
		if err != nil && !strings.Contains(string(out), "already successfully installed") {
			return "", err
		}
	}
	common := []string{"--channelID", ChannelName, "--name", name, "--version", "1.0", "--sequence", "1"}
	for _, org := range Orgs {
		args := append([]string{"lifecycle", "chaincode", "approveformyorg", "--package-id", id}, common...)
		args = append(args, n.ordererArgs(org)...)
		out, err := n.run(n.adminEnv(org), "peer", args...)
		if err != nil && !strings.Contains(string(out), "attempted to redefine uncommitted") && !strings.Contains(string(out), "unchanged content") {
			return "", err
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
	if err != nil && !strings.Contains(string(out), "new definition must be sequence 2") {
		return "", fmt.Errorf("committing %s: %w", name, err)
	}
	return id, nil
}
