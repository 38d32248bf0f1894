package consortium

import (
	"bytes"
	"os"
	"path/filepath"
	"text/template"
)

// Profile is the configtx.yaml profile of the channel.
const Profile = "TrustlineChannel"

// configtxTemplate describes the channel: the members, each with a peer
// (anchor) and an orderer, ordered by SmartBFT with one consenter per member,
// so that no single member controls ordering (f = 1 with four members).
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
      - {{ .OrdererAddress }}
    AnchorPeers:
      - Host: {{ .PeerHost }}
        Port: {{ .PeerPort }}
{{- end }}

Profiles:
  {{ .Profile }}:
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
          Host: {{ $o.OrdererHost }}
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
	PeerHost, PeerPort              string
	OrdererAddress                  string
	OrdererHost, OrdererPort        string
	OrdererSignCert, OrdererTLSCert string
}

// WriteConfigtx writes dir/configtx.yaml and, under dir/orgs/<MSP id>/, each
// member's verifying MSP and its orderer's certificates, from the cards.
func (c *Consortium) WriteConfigtx(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	var orgs []configtxOrg
	for i, m := range c.Members {
		od := filepath.Join(dir, "orgs", m.Card.MSPID)
		if err := m.Card.WriteMSP(filepath.Join(od, "msp")); err != nil {
			return err
		}
		o := configtxOrg{
			MSPID:           m.Card.MSPID,
			MSPDir:          filepath.Join(od, "msp"),
			ConsenterID:     i + 1,
			OrdererAddress:  m.Card.Orderer.Address,
			OrdererSignCert: filepath.Join(od, "orderer-identity.pem"),
			OrdererTLSCert:  filepath.Join(od, "orderer-tls.pem"),
		}
		o.PeerHost, o.PeerPort = hostPort(m.Card.Peer.Address)
		o.OrdererHost, o.OrdererPort = hostPort(m.Card.Orderer.Address)
		if err := os.WriteFile(o.OrdererSignCert, []byte(m.Card.Orderer.Identity), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(o.OrdererTLSCert, []byte(m.Card.Orderer.TLSCert), 0o644); err != nil {
			return err
		}
		orgs = append(orgs, o)
	}
	var buf bytes.Buffer
	if err := configtxTemplate.Execute(&buf, struct {
		Profile string
		Orgs    []configtxOrg
	}{Profile, orgs}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "configtx.yaml"), buf.Bytes(), 0o644)
}
