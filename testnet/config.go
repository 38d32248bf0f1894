package testnet

import (
	"context"
	_ "embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/orgca"
)

//go:embed config/core.yaml
var coreYAML []byte

//go:embed config/orderer.yaml
var ordererYAML []byte

// consortiumFile is where the testnet keeps its consortium's definition.
func (n *Network) consortiumFile() string { return filepath.Join(n.dir, "channel", "consortium.json") }

// consortium defines the testnet's consortium the way real members do: from
// each organisation's public card (crypto/<org>/card.json) and the role
// table, nothing else.
func (n *Network) consortium() (*consortium.Consortium, error) {
	var cards []orgca.Card
	for _, org := range Orgs {
		c, err := orgca.ReadCard(filepath.Join(n.cryptoDir(org), "card.json"))
		if err != nil {
			return nil, err
		}
		cards = append(cards, c)
	}
	members, err := consortium.Assemble(cards, Roles())
	if err != nil {
		return nil, err
	}
	return consortium.New(ChannelName, members)
}

// writeConfig writes core.yaml and orderer.yaml for the processes, and the
// consortium's definition (consortium.json, configtx.yaml) from the cards.
func (n *Network) writeConfig() error {
	dir := n.configDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "core.yaml"), coreYAML, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "orderer.yaml"), ordererYAML, 0o644); err != nil {
		return err
	}
	c, err := n.consortium()
	if err != nil {
		return err
	}
	if err := c.Write(n.consortiumFile()); err != nil {
		return err
	}
	return c.WriteConfigtx(dir)
}

// writeGenesis makes the channel's genesis block from the cards, as
// `trustline consortium create` does.
func (n *Network) writeGenesis() error {
	if _, err := os.Stat(n.genesisBlock()); err == nil {
		return nil
	}
	c, err := consortium.Read(n.consortiumFile())
	if err != nil {
		return err
	}
	return c.Genesis(context.Background(), filepath.Join(n.bin, "configtxgen"), n.configDir(), n.genesisBlock())
}

// run runs one of the Fabric tools and returns its combined output; a
// failure carries that output.
func (n *Network) run(env []string, tool string, args ...string) ([]byte, error) {
	return n.runOn(LocalHost, env, tool, args...)
}

// runOn runs a Fabric tool on host h (inside its namespace, if it has one),
// as run does.
func (n *Network) runOn(h Host, env []string, tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(n.bin, tool), args...)
	if h.Netns != "" {
		cmd = exec.Command("ip", append([]string{"netns", "exec", h.Netns, filepath.Join(n.bin, tool)}, args...)...)
	}
	cmd.Env = append(append(baseEnv(), "FABRIC_CFG_PATH="+n.configDir()), env...)
	cmd.Dir = n.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s", tool, strings.Join(args[:min(2, len(args))], " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

func (n *Network) ordererSpec(org string) procSpec {
	c := n.cryptoDir(org)
	tls := filepath.Join(c, "orderer", "tls")
	data := n.dataDir(ordererName(org))
	return procSpec{
		Name: ordererName(org),
		Bin:  filepath.Join(n.bin, "orderer"),
		Dir:  n.dir,
		Env: []string{
			"FABRIC_CFG_PATH=" + n.configDir(),
			"FABRIC_LOGGING_SPEC=" + ordererLogging(),
			"ORDERER_GENERAL_LISTENADDRESS=" + n.ports.host(org).Addr,
			fmt.Sprintf("ORDERER_GENERAL_LISTENPORT=%d", n.ports.OrdererListen(org)),
			"ORDERER_GENERAL_LOCALMSPID=" + MSPID(org),
			"ORDERER_GENERAL_LOCALMSPDIR=" + filepath.Join(c, "orderer", "msp"),
			"ORDERER_GENERAL_BOOTSTRAPMETHOD=none",
			"ORDERER_GENERAL_TLS_ENABLED=true",
			"ORDERER_GENERAL_TLS_CERTIFICATE=" + filepath.Join(tls, "server.crt"),
			"ORDERER_GENERAL_TLS_PRIVATEKEY=" + filepath.Join(tls, "server.key"),
			"ORDERER_GENERAL_TLS_ROOTCAS=[" + filepath.Join(tls, "ca.crt") + "]",
			"ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE=" + filepath.Join(tls, "server.crt"),
			"ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY=" + filepath.Join(tls, "server.key"),
			"ORDERER_FILELEDGER_LOCATION=" + data,
			"ORDERER_CONSENSUS_WALDIR=" + filepath.Join(data, "wal"),
			"ORDERER_CONSENSUS_SNAPDIR=" + filepath.Join(data, "snapshot"),
			"ORDERER_OPERATIONS_LISTENADDRESS=" + n.ports.at(org, n.ports.OrdererOps(org)),
			"ORDERER_METRICS_PROVIDER=prometheus",
			"ORDERER_ADMIN_LISTENADDRESS=" + n.ports.at(org, n.ports.OrdererAdmin(org)),
			"ORDERER_ADMIN_TLS_ENABLED=true",
			"ORDERER_ADMIN_TLS_CERTIFICATE=" + filepath.Join(tls, "server.crt"),
			"ORDERER_ADMIN_TLS_PRIVATEKEY=" + filepath.Join(tls, "server.key"),
			"ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true",
			"ORDERER_ADMIN_TLS_CLIENTROOTCAS=[" + filepath.Join(tls, "ca.crt") + "]",
			"ORDERER_CHANNELPARTICIPATION_ENABLED=true",
		},
		Host:  n.ports.host(org),
		Ports: []int{n.ports.OrdererListen(org), n.ports.OrdererAdmin(org), n.ports.OrdererOps(org)},
	}
}

func (n *Network) peerSpec(org string) procSpec {
	c := n.cryptoDir(org)
	tls := filepath.Join(c, "peer", "tls")
	addr := n.ports.at(org, n.ports.PeerListen(org))
	cc := n.ports.at(org, n.ports.PeerChaincode(org))
	data := n.dataDir(peerName(org))
	return procSpec{
		Name: peerName(org),
		Bin:  filepath.Join(n.bin, "peer"),
		Args: []string{"node", "start"},
		Dir:  n.dir,
		Env: append([]string{
			"FABRIC_CFG_PATH=" + n.configDir(),
			"FABRIC_LOGGING_SPEC=INFO",
			"CORE_PEER_ID=" + peerName(org),
			"CORE_PEER_ADDRESS=" + addr,
			"CORE_PEER_LISTENADDRESS=" + addr,
			"CORE_PEER_CHAINCODEADDRESS=" + cc,
			"CORE_PEER_CHAINCODELISTENADDRESS=" + cc,
			"CORE_PEER_LOCALMSPID=" + MSPID(org),
			"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(c, "peer", "msp"),
			"CORE_PEER_FILESYSTEMPATH=" + data,
			"CORE_LEDGER_SNAPSHOTS_ROOTDIR=" + filepath.Join(data, "snapshots"),
			"CORE_PEER_TLS_ENABLED=true",
			"CORE_PEER_TLS_CERT_FILE=" + filepath.Join(tls, "server.crt"),
			"CORE_PEER_TLS_KEY_FILE=" + filepath.Join(tls, "server.key"),
			"CORE_PEER_TLS_ROOTCERT_FILE=" + filepath.Join(tls, "ca.crt"),
			// Gossip tuned so that peers of different organisations find each
			// other within seconds of joining, not after the 25 s default
			// reconnect interval.
			"CORE_PEER_GOSSIP_BOOTSTRAP=" + addr,
			"CORE_PEER_GOSSIP_EXTERNALENDPOINT=" + addr,
			"CORE_PEER_GOSSIP_RECONNECTINTERVAL=2s",
			"CORE_PEER_GOSSIP_PUBLISHSTATEINFOINTERVAL=1s",
			"CORE_PEER_GOSSIP_REQUESTSTATEINFOINTERVAL=1s",
			// A member cut off without a word (a partition, not a refused
			// connection) drops out of gossip membership after this long, and
			// gateways stop choosing its peer to endorse; the 25 s default
			// stalled every submit that long. An endorsement that hangs is
			// given up (and another endorser tried) after the timeout.
			"CORE_PEER_GOSSIP_ALIVETIMEINTERVAL=2s",
			"CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT=10s",
			"CORE_PEER_GATEWAY_ENDORSEMENTTIMEOUT=10s",
			"CORE_PEER_GATEWAY_ENABLED=true",
			// A peer pulls blocks from one orderer and headers from the
			// others; when its block source falls behind (or dies) it switches
			// after this long. The 30 s default made a lost BFT leader stall
			// commits for 30 s.
			"CORE_PEER_DELIVERYCLIENT_BLOCKCENSORSHIPTIMEOUTKEY=3s",
			"CORE_OPERATIONS_LISTENADDRESS=" + n.ports.at(org, n.ports.PeerOps(org)),
			"CORE_METRICS_PROVIDER=prometheus",
			"CORE_CHAINCODE_EXTERNALBUILDERS=[{name: trustline_ccaas, path: " + n.builderDir() + "}]",
		}, n.pprofEnv(peerName(org))...),
		Host:  n.ports.host(org),
		Ports: []int{n.ports.PeerListen(org), n.ports.PeerChaincode(org), n.ports.PeerOps(org)},
	}
}

// adminEnv is the environment for peer CLI calls as org's admin.
func (n *Network) adminEnv(org string) []string {
	c := n.cryptoDir(org)
	return []string{
		"CORE_PEER_LOCALMSPID=" + MSPID(org),
		"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(c, "admin", "msp"),
		"CORE_PEER_ADDRESS=" + n.ports.at(org, n.ports.PeerListen(org)),
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_ROOTCERT_FILE=" + filepath.Join(c, "peer", "tls", "ca.crt"),
		"CORE_PEER_TLS_CLIENTCERT_FILE=" + filepath.Join(c, "admin", "tls", "server.crt"),
		"CORE_PEER_TLS_CLIENTKEY_FILE=" + filepath.Join(c, "admin", "tls", "server.key"),
		"FABRIC_LOGGING_SPEC=WARNING",
	}
}

func (n *Network) gethSpec() procSpec {
	return procSpec{
		Name: gethName,
		Bin:  filepath.Join(n.bin, "geth"),
		Dir:  n.dir,
		Args: []string{
			"--dev",
			"--datadir", n.dataDir(gethName),
			"--http", "--http.addr", n.gethAddr(), fmt.Sprintf("--http.port=%d", n.ports.GethHTTP()),
			"--http.api", "eth,net,web3,txpool",
			"--authrpc.addr", "127.0.0.1", fmt.Sprintf("--authrpc.port=%d", n.ports.GethAuth()),
			fmt.Sprintf("--port=%d", n.ports.GethP2P()),
			"--nodiscover", "--maxpeers=0", "--ipcdisable",
			"--verbosity=2",
		},
		Host:  Host{Addr: n.gethAddr()},
		Ports: []int{n.ports.GethHTTP(), n.ports.GethAuth(), n.ports.GethP2P()},
	}
}

// GethURL is the geth dev chain's HTTP JSON-RPC endpoint ("" without geth).
func (n *Network) GethURL() string {
	if n.noGeth {
		return ""
	}
	return "http://" + net.JoinHostPort(n.gethAddr(), fmt.Sprint(n.ports.GethHTTP()))
}

// gethAddr is where geth's HTTP RPC listens (its auth RPC and p2p ports
// stay on loopback).
func (n *Network) gethAddr() string { return n.snapshot().GethAddr }

// ordererLogging is the orderers' log spec: INFO, or TRUSTLINE_ORDERER_LOGGING
// when set (e.g. "orderer.consensus.smartbft=debug:INFO" to follow a
// consenter's views and syncs when a fault test fails).
func ordererLogging() string {
	if s := os.Getenv("TRUSTLINE_ORDERER_LOGGING"); s != "" {
		return s
	}
	return "INFO"
}
