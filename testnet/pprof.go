package testnet

import (
	"os"
	"strings"
)

// EnvPprof, set to "1" in the environment of the process that starts the
// network's processes, makes each organisation's peer and chaincode server
// serve Go's profiles (/debug/pprof/) on two more of its ports, for
// benchmarks (see PprofAddress). The listeners have no authentication;
// the testnet binds them to the organisation's host address like its other
// ports.
const EnvPprof = "TRUSTLINE_TESTNET_PPROF"

func (p ports) ChaincodePprof(org string) int { return p.org(org) + 8 }
func (p ports) PeerPprof(org string) int      { return p.org(org) + 9 }

func pprofOn() bool { return os.Getenv(EnvPprof) == "1" }

// PprofAddress is where the named process ("peer.<org>" or
// "chaincode.<org>") serves its profiles, "" when it does not: EnvPprof
// was not set when it started, or it is another kind of process.
func (n *Network) PprofAddress(name string) string {
	kind, org, _ := strings.Cut(name, ".")
	if !pprofOn() || MSPID(org) == "" {
		return ""
	}
	switch kind {
	case "peer":
		return n.ports.at(org, n.ports.PeerPprof(org))
	case "chaincode":
		return n.ports.at(org, n.ports.ChaincodePprof(org))
	}
	return ""
}

// pprofEnv is the environment that turns on the named process's profile
// listener under EnvPprof.
func (n *Network) pprofEnv(name string) []string {
	addr := n.PprofAddress(name)
	if addr == "" {
		return nil
	}
	if strings.HasPrefix(name, "peer.") {
		return []string{"CORE_PEER_PROFILE_ENABLED=true", "CORE_PEER_PROFILE_LISTENADDRESS=" + addr}
	}
	return []string{"CHAINCODE_PPROF_ADDRESS=" + addr}
}
