package testnet

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
)

//go:embed config/core.yaml
var coreYAML []byte

//go:embed config/orderer.yaml
var ordererYAML []byte

// configtxTemplate describes the channel: four organisations, each with a
// peer (anchor) and an orderer, ordered by SmartBFT with one consenter per
// organisation, so that no single member controls ordering (f = 1).
//
// SmartBFT timeouts are tuned down from the defaults so that losing the
// leader stalls commits for seconds, not tens of seconds.
var configtxTemplate = template.Must(template.New("configtx").Parse(`---
Organizations:
{{- range .Orgs }}
  - &{{ .MSPID }}
    Name: {{ .MSPID }}
    ID: {{ .MSPID }}
    MSPDir: {{ .MSPDir }}
    Policies:
      Readers:
        Type: Signature
        Rule: "OR('{{ .MSPID }}.admin', '{{ .MSPID }}.peer', '{{ .MSPID }}.client', '{{ .MSPID }}.orderer')"
      Writers:
        Type: Signature
        Rule: "OR('{{ .MSPID }}.admin', '{{ .MSPID }}.client', '{{ .MSPID }}.orderer')"
      Admins:
        Type: Signature
        Rule: "OR('{{ .MSPID }}.admin')"
      Endorsement:
        Type: Signature
        Rule: "OR('{{ .MSPID }}.peer')"
    OrdererEndpoints:
      - 127.0.0.1:{{ .OrdererPort }}
    AnchorPeers:
      - Host: 127.0.0.1
        Port: {{ .PeerPort }}
{{- end }}

Profiles:
  TrustlineChannel:
    Capabilities:
      V3_0: true
    Policies: &StandardPolicies
      Readers:
        Type: ImplicitMeta
        Rule: "ANY Readers"
      Writers:
        Type: ImplicitMeta
        Rule: "ANY Writers"
      Admins:
        Type: ImplicitMeta
        Rule: "MAJORITY Admins"
    Orderer:
      OrdererType: BFT
      BatchTimeout: 2s
      BatchSize:
        MaxMessageCount: 500
        AbsoluteMaxBytes: 10 MB
        PreferredMaxBytes: 2 MB
      SmartBFT:
        RequestBatchMaxCount: 500
        RequestBatchMaxBytes: 10485760
        RequestBatchMaxInterval: 200ms
        IncomingMessageBufferSize: 200
        RequestPoolSize: 1000
        RequestForwardTimeout: 1s
        RequestComplainTimeout: 4s
        RequestAutoRemoveTimeout: 3m
        ViewChangeResendInterval: 2s
        ViewChangeTimeout: 8s
        LeaderHeartbeatTimeout: 10s
        LeaderHeartbeatCount: 10
        CollectTimeout: 1s
        SyncOnStart: false
        SpeedUpViewChange: false
      ConsenterMapping:
{{- range $i, $o := .Orgs }}
        - ID: {{ $o.ConsenterID }}
          Host: 127.0.0.1
          Port: {{ $o.OrdererPort }}
          MSPID: {{ $o.MSPID }}
          Identity: {{ $o.OrdererSignCert }}
          ClientTLSCert: {{ $o.OrdererTLSCert }}
          ServerTLSCert: {{ $o.OrdererTLSCert }}
{{- end }}
      Organizations:
{{- range .Orgs }}
        - *{{ .MSPID }}
{{- end }}
      Capabilities:
        V2_0: true
      Policies:
        <<: *StandardPolicies
        BlockValidation:
          Type: ImplicitMeta
          Rule: "ANY Writers"
    Application:
      Organizations:
{{- range .Orgs }}
        - *{{ .MSPID }}
{{- end }}
      Capabilities:
        V2_5: true
      Policies:
        <<: *StandardPolicies
        LifecycleEndorsement:
          Type: ImplicitMeta
          Rule: "MAJORITY Endorsement"
        Endorsement:
          Type: ImplicitMeta
          Rule: "MAJORITY Endorsement"
`))

type configtxOrg struct {
	MSPID, MSPDir                   string
	ConsenterID                     int
	PeerPort, OrdererPort           int
	OrdererSignCert, OrdererTLSCert string
}

// writeConfig writes core.yaml, orderer.yaml and configtx.yaml into the
// config directory.
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
	var orgs []configtxOrg
	for i, org := range Orgs {
		c := n.cryptoDir(org)
		orgs = append(orgs, configtxOrg{
			MSPID:           MSPID(org),
			MSPDir:          filepath.Join(c, "msp"),
			ConsenterID:     i + 1,
			PeerPort:        n.ports.PeerListen(org),
			OrdererPort:     n.ports.OrdererListen(org),
			OrdererSignCert: filepath.Join(c, "orderer", "msp", "signcerts", "cert.pem"),
			OrdererTLSCert:  filepath.Join(c, "orderer", "tls", "server.crt"),
		})
	}
	var buf bytes.Buffer
	if err := configtxTemplate.Execute(&buf, struct{ Orgs []configtxOrg }{orgs}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "configtx.yaml"), buf.Bytes(), 0o644)
}

// writeGenesis makes the channel's genesis block with configtxgen.
func (n *Network) writeGenesis() error {
	if _, err := os.Stat(n.genesisBlock()); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(n.genesisBlock()), 0o755); err != nil {
		return err
	}
	_, err := n.run(nil, "configtxgen",
		"-configPath", n.configDir(),
		"-profile", "TrustlineChannel",
		"-channelID", ChannelName,
		"-outputBlock", n.genesisBlock())
	return err
}

// run runs one of the Fabric tools and returns its combined output; a
// failure carries that output.
func (n *Network) run(env []string, tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(n.bin, tool), args...)
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
			"FABRIC_LOGGING_SPEC=INFO",
			"ORDERER_GENERAL_LISTENADDRESS=127.0.0.1",
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
			fmt.Sprintf("ORDERER_OPERATIONS_LISTENADDRESS=127.0.0.1:%d", n.ports.OrdererOps(org)),
			"ORDERER_METRICS_PROVIDER=prometheus",
			fmt.Sprintf("ORDERER_ADMIN_LISTENADDRESS=127.0.0.1:%d", n.ports.OrdererAdmin(org)),
			"ORDERER_ADMIN_TLS_ENABLED=true",
			"ORDERER_ADMIN_TLS_CERTIFICATE=" + filepath.Join(tls, "server.crt"),
			"ORDERER_ADMIN_TLS_PRIVATEKEY=" + filepath.Join(tls, "server.key"),
			"ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true",
			"ORDERER_ADMIN_TLS_CLIENTROOTCAS=[" + filepath.Join(tls, "ca.crt") + "]",
			"ORDERER_CHANNELPARTICIPATION_ENABLED=true",
		},
		Ports: []int{n.ports.OrdererListen(org), n.ports.OrdererAdmin(org), n.ports.OrdererOps(org)},
	}
}

func (n *Network) peerSpec(org string) procSpec {
	c := n.cryptoDir(org)
	tls := filepath.Join(c, "peer", "tls")
	addr := fmt.Sprintf("127.0.0.1:%d", n.ports.PeerListen(org))
	cc := fmt.Sprintf("127.0.0.1:%d", n.ports.PeerChaincode(org))
	data := n.dataDir(peerName(org))
	return procSpec{
		Name: peerName(org),
		Bin:  filepath.Join(n.bin, "peer"),
		Args: []string{"node", "start"},
		Dir:  n.dir,
		Env: []string{
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
			"CORE_PEER_GATEWAY_ENABLED=true",
			// A peer pulls blocks from one orderer and headers from the
			// others; when its block source falls behind (or dies) it switches
			// after this long. The 30 s default made a lost BFT leader stall
			// commits for 30 s.
			"CORE_PEER_DELIVERYCLIENT_BLOCKCENSORSHIPTIMEOUTKEY=3s",
			fmt.Sprintf("CORE_OPERATIONS_LISTENADDRESS=127.0.0.1:%d", n.ports.PeerOps(org)),
			"CORE_METRICS_PROVIDER=prometheus",
			"CORE_CHAINCODE_EXTERNALBUILDERS=[{name: trustline_ccaas, path: " + n.builderDir() + "}]",
		},
		Ports: []int{n.ports.PeerListen(org), n.ports.PeerChaincode(org), n.ports.PeerOps(org)},
	}
}

// adminEnv is the environment for peer CLI calls as org's admin.
func (n *Network) adminEnv(org string) []string {
	c := n.cryptoDir(org)
	return []string{
		"CORE_PEER_LOCALMSPID=" + MSPID(org),
		"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(c, "admin", "msp"),
		fmt.Sprintf("CORE_PEER_ADDRESS=127.0.0.1:%d", n.ports.PeerListen(org)),
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
			"--http", "--http.addr", "127.0.0.1", fmt.Sprintf("--http.port=%d", n.ports.GethHTTP()),
			"--http.api", "eth,net,web3,txpool",
			"--authrpc.addr", "127.0.0.1", fmt.Sprintf("--authrpc.port=%d", n.ports.GethAuth()),
			fmt.Sprintf("--port=%d", n.ports.GethP2P()),
			"--nodiscover", "--maxpeers=0", "--ipcdisable",
			"--verbosity=2",
		},
		Ports: []int{n.ports.GethHTTP(), n.ports.GethAuth(), n.ports.GethP2P()},
	}
}

// GethURL is the geth dev chain's HTTP JSON-RPC endpoint ("" without geth).
func (n *Network) GethURL() string {
	if n.noGeth {
		return ""
	}
	return fmt.Sprintf("http://127.0.0.1:%d", n.ports.GethHTTP())
}
