// Package layers holds trustline's import rules, which its test checks on
// the whole module with go list: every package belongs to one layer, and a
// package may import (directly or not) only packages of its own layer and
// of the layers its layer lists; go list also fails on an import cycle. The README's "Repository" section shows the same list.
//
//	support   internal/retry, internal/iostreams, internal/testenv, internal/jsonyaml,
//	          internal/jsondec: nothing of trustline
//	leaves    epcis, gs1, merkle, inspection, ledger, claims, nodeapi, ethanchor,
//	          receipt, report, orgca, consortium, deploy: support and leaves
//	chaincode chaincode: support, leaves
//	client    client: support, leaves
//	node      node: support, leaves, client
//	testnet   testnet: support, leaves, client, chaincode
//	app       internal/cli, internal/demo: all of the above
//	cmd       cmd: all of the above and app
//	tests     e2e (end-to-end tests and their helpers), internal/layers: anything
//
// So no production package imports testnet but the app; leaf libraries (a
// verifier's receipt among them) import no node, client or chaincode code;
// the node and the chaincode never import each other. Tests may import
// more (testnet/testkit starts real networks for integration tests).
package layers

// module is trustline's module path.
const module = "github.com/trustline/trustline"

// A layer is a set of packages (paths relative to the module, each with
// everything under it) and the layers they may import.
type layer struct {
	name     string
	packages []string
	imports  []string
}

// rules are the layers, bottom up.
var rules = []layer{
	{"support", []string{"internal/retry", "internal/iostreams", "internal/testenv", "internal/jsonyaml", "internal/jsondec"}, nil},
	{"leaves", []string{"epcis", "gs1", "merkle", "inspection", "ledger", "claims", "nodeapi", "ethanchor", "receipt",
		"report", "orgca", "consortium", "deploy"}, []string{"support", "leaves"}},
	{"chaincode", []string{"chaincode"}, []string{"support", "leaves"}},
	{"client", []string{"client"}, []string{"support", "leaves"}},
	{"node", []string{"node"}, []string{"support", "leaves", "client"}},
	{"testnet", []string{"testnet"}, []string{"support", "leaves", "client", "chaincode"}},
	{"app", []string{"internal/cli", "internal/demo"}, []string{"support", "leaves", "chaincode", "client", "node", "testnet", "app"}},
	{"cmd", []string{"cmd"}, []string{"support", "leaves", "chaincode", "client", "node", "testnet", "app", "cmd"}},
	// Packages of tests only: the end-to-end tests, their helpers and this
	// one; they may import anything.
	{"tests", []string{"e2e", "internal/layers"}, []string{"support", "leaves", "chaincode", "client", "node", "testnet", "app", "cmd", "tests"}},
}
