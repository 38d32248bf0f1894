package consortium

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Group names of a channel configuration.
const (
	groupApplication = "Application"
	groupOrderer     = "Orderer"
)

// ChannelConfig is a channel's configuration as a config block holds it:
// what a membership change is computed from and checked against.
type ChannelConfig struct {
	Channel string
	// Block is the number of the config block it was read from.
	Block  uint64
	Config *common.Config
}

// ParseConfigBlock reads the channel configuration from a config block
// (the genesis block or a later one).
func ParseConfigBlock(b []byte) (*ChannelConfig, error) {
	var block common.Block
	if err := proto.Unmarshal(b, &block); err != nil {
		return nil, fmt.Errorf("%w: not a block: %v", ErrInvalid, err)
	}
	return configFromBlock(&block)
}

func configFromBlock(block *common.Block) (*ChannelConfig, error) {
	if len(block.GetData().GetData()) != 1 {
		return nil, fmt.Errorf("%w: block %d is not a config block", ErrInvalid, block.GetHeader().GetNumber())
	}
	var env common.Envelope
	if err := proto.Unmarshal(block.Data.Data[0], &env); err != nil {
		return nil, fmt.Errorf("%w: block %d: %v", ErrInvalid, block.GetHeader().GetNumber(), err)
	}
	var payload common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
		return nil, fmt.Errorf("%w: block %d: %v", ErrInvalid, block.GetHeader().GetNumber(), err)
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch); err != nil {
		return nil, fmt.Errorf("%w: block %d: %v", ErrInvalid, block.GetHeader().GetNumber(), err)
	}
	if ch.Type != int32(common.HeaderType_CONFIG) {
		return nil, fmt.Errorf("%w: block %d is not a config block (header type %d)", ErrInvalid, block.GetHeader().GetNumber(), ch.Type)
	}
	var ce common.ConfigEnvelope
	if err := proto.Unmarshal(payload.Data, &ce); err != nil || ce.Config.GetChannelGroup() == nil {
		return nil, fmt.Errorf("%w: block %d: no channel configuration", ErrInvalid, block.GetHeader().GetNumber())
	}
	return &ChannelConfig{Channel: ch.ChannelId, Block: block.GetHeader().GetNumber(), Config: ce.Config}, nil
}

// LastConfigIndex returns the number of the latest config block as of
// block (from its signatures metadata, where Fabric 3 keeps it).
func LastConfigIndex(block *common.Block) (uint64, error) {
	if block.GetHeader().GetNumber() == 0 {
		return 0, nil // the genesis block is the first config block
	}
	md := block.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return 0, fmt.Errorf("block %d has no signatures metadata", block.GetHeader().GetNumber())
	}
	var m common.Metadata
	if err := proto.Unmarshal(md[common.BlockMetadataIndex_SIGNATURES], &m); err != nil {
		return 0, fmt.Errorf("block %d: signatures metadata: %w", block.GetHeader().GetNumber(), err)
	}
	var obm common.OrdererBlockMetadata
	if err := proto.Unmarshal(m.Value, &obm); err != nil {
		return 0, fmt.Errorf("block %d: orderer metadata: %w", block.GetHeader().GetNumber(), err)
	}
	if obm.LastConfig == nil {
		return 0, fmt.Errorf("block %d names no last config block", block.GetHeader().GetNumber())
	}
	return obm.LastConfig.Index, nil
}

// Sequence is the configuration's sequence number: it grows by one with
// every config update.
func (c *ChannelConfig) Sequence() uint64 { return c.Config.GetSequence() }

func (c *ChannelConfig) group(name string) *common.ConfigGroup {
	return c.Config.GetChannelGroup().GetGroups()[name]
}

// Members returns the MSP ids of the application organisations, sorted.
func (c *ChannelConfig) Members() []string { return sortedKeys(c.group(groupApplication).GetGroups()) }

// OrdererOrgs returns the MSP ids of the orderer organisations, sorted.
func (c *ChannelConfig) OrdererOrgs() []string { return sortedKeys(c.group(groupOrderer).GetGroups()) }

// HasOrg reports whether mspID is an application or orderer organisation.
func (c *ChannelConfig) HasOrg(mspID string) bool {
	return slices.Contains(c.Members(), mspID) || slices.Contains(c.OrdererOrgs(), mspID)
}

// Consenters returns the BFT consenters, in the order of the mapping.
func (c *ChannelConfig) Consenters() ([]*common.Consenter, error) {
	v := c.group(groupOrderer).GetValues()["Orderers"]
	if v == nil {
		return nil, fmt.Errorf("%w: the channel has no consenter mapping (not a BFT channel)", ErrInvalid)
	}
	var o common.Orderers
	if err := proto.Unmarshal(v.Value, &o); err != nil {
		return nil, fmt.Errorf("%w: consenter mapping: %v", ErrInvalid, err)
	}
	return o.ConsenterMapping, nil
}

// MSP returns the verifying MSP of organisation mspID (application group
// first, then orderer group).
func (c *ChannelConfig) MSP(mspID string) (*mspproto.FabricMSPConfig, error) {
	for _, g := range []string{groupApplication, groupOrderer} {
		org := c.group(g).GetGroups()[mspID]
		if org == nil {
			continue
		}
		return orgMSP(org)
	}
	return nil, fmt.Errorf("%w: %s is not a member of channel %s", ErrNotMember, mspID, c.Channel)
}

func orgMSP(org *common.ConfigGroup) (*mspproto.FabricMSPConfig, error) {
	v := org.GetValues()["MSP"]
	if v == nil {
		return nil, fmt.Errorf("%w: organisation group without an MSP", ErrInvalid)
	}
	var mc mspproto.MSPConfig
	if err := proto.Unmarshal(v.Value, &mc); err != nil {
		return nil, fmt.Errorf("%w: MSP: %v", ErrInvalid, err)
	}
	var fc mspproto.FabricMSPConfig
	if err := proto.Unmarshal(mc.Config, &fc); err != nil {
		return nil, fmt.Errorf("%w: MSP: %v", ErrInvalid, err)
	}
	return &fc, nil
}

// CertExpiry is when one certificate of the channel configuration expires.
type CertExpiry struct {
	MSPID    string    `json:"mspId"`
	What     string    `json:"what"` // "root CA", "TLS root CA", "consenter identity", "consenter TLS"
	Subject  string    `json:"subject"`
	NotAfter time.Time `json:"notAfter"`
}

// Expiries lists the expiry dates of the certificates the channel
// configuration holds: each organisation's root and TLS root CAs and each
// consenter's identity and TLS certificates, soonest first.
func (c *ChannelConfig) Expiries() ([]CertExpiry, error) {
	var out []CertExpiry
	add := func(msp, what string, pemBytes []byte) {
		for rest := pemBytes; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				return
			}
			if cert, err := x509.ParseCertificate(b.Bytes); err == nil {
				out = append(out, CertExpiry{MSPID: msp, What: what, Subject: cert.Subject.CommonName, NotAfter: cert.NotAfter})
			}
		}
	}
	seen := map[string]bool{}
	for _, id := range append(c.Members(), c.OrdererOrgs()...) {
		if seen[id] {
			continue
		}
		seen[id] = true
		m, err := c.MSP(id)
		if err != nil {
			return nil, err
		}
		for _, r := range m.RootCerts {
			add(id, "root CA", r)
		}
		for _, r := range m.TlsRootCerts {
			add(id, "TLS root CA", r)
		}
	}
	cons, err := c.Consenters()
	if err != nil && !errors.Is(err, ErrInvalid) {
		return nil, err
	}
	for _, k := range cons {
		add(k.MspId, fmt.Sprintf("consenter %d identity", k.Id), k.Identity)
		add(k.MspId, fmt.Sprintf("consenter %d TLS", k.Id), k.ServerTlsCert)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].NotAfter.Before(out[j].NotAfter) })
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
