package consortium

// Membership changes by the consortium's vote.
//
// Adding or removing a member is a channel configuration update: the
// member's organisation enters (or leaves) the application group and, for
// a BFT consenter, the orderer group, the consenter mapping and the
// BlockValidation policy, all in one update, as Fabric 3's SmartBFT
// requires (the orderers check that BlockValidation names exactly a
// quorum of the mapped consenters). The update is computed here from the
// latest config block, the way configtxlator's compute_update does, and
// written to an update file with what it was computed from; each member's
// admin signs the file on its own host; once the channel's rule (a
// MAJORITY of the member admins) is met, anyone submits it to an orderer.
//
// The config math is written here on Fabric's protos because
// fabric-config, Fabric's library for it, has no SmartBFT consenter
// mapping and is built on the retired protobuf API.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/orgca"
)

// Errors of membership changes, to test with errors.Is.
var (
	// ErrExists: the card's MSP id is already in the channel.
	ErrExists = errors.New("already a member")
	// ErrNotMember: the MSP id is not in the channel.
	ErrNotMember = errors.New("not a member")
	// ErrStale: the channel's configuration moved on since the update was
	// computed.
	ErrStale = errors.New("stale update")
	// ErrTooFewSignatures: the update lacks the signatures the channel's
	// rule asks for.
	ErrTooFewSignatures = errors.New("too few signatures")
	// ErrUnhealthy: a consenter change while a consenter is not healthy.
	ErrUnhealthy = errors.New("consenter not healthy")
)

// UpdateVersion is the version of the update file format.
const UpdateVersion = 1

// Kinds of update.
const (
	KindAdd    = "add"
	KindRemove = "remove"
	// KindMSP publishes a member's current MSP: its CRLs (revoked
	// identities) and renewed CA certificates. Its own admin signs it.
	KindMSP = "msp"
)

// Update is a proposed membership change: what `consortium propose-add`
// and `propose-remove` write, `sign` extends and `submit` sends.
type Update struct {
	Version int    `json:"version"`
	Channel string `json:"channel"`
	Kind    string `json:"kind"`
	// MSPID is the member added or removed.
	MSPID string `json:"mspId"`
	// Consenter says whether the member's orderer enters or leaves the
	// BFT consenter set.
	Consenter bool `json:"consenter"`
	// Card is the added member's org card.
	Card *orgca.Card `json:"card,omitempty"`
	// Roles are the added member's roles in trustline: the role table
	// change (Governance:ProposeRoles) that goes with the update.
	Roles []ledger.Role `json:"roles,omitempty"`
	// BaseBlock and BaseSequence are the config block and configuration
	// sequence the update was computed from; once the channel's
	// configuration moves on, the update is stale.
	BaseBlock    uint64    `json:"baseBlock"`
	BaseSequence uint64    `json:"baseSequence"`
	ProposedBy   string    `json:"proposedBy,omitempty"`
	ProposedAt   time.Time `json:"proposedAt"`
	// ConfigUpdate is the marshalled common.ConfigUpdate.
	ConfigUpdate []byte `json:"configUpdate"`
	// Signatures are the member admins' signatures of ConfigUpdate, as
	// Fabric's ConfigSignature holds them.
	Signatures []Signature `json:"signatures,omitempty"`
}

// Signature is one admin's signature of an update.
type Signature struct {
	MSPID string `json:"mspId"`
	// Signer is the signing certificate's subject common name.
	Signer string    `json:"signer"`
	At     time.Time `json:"at"`
	// SignatureHeader (a marshalled common.SignatureHeader naming the
	// signer) and Signature (over SignatureHeader||ConfigUpdate) are
	// the ConfigSignature.
	SignatureHeader []byte `json:"signatureHeader"`
	Signature       []byte `json:"signature"`
}

// Describe says what the update does, in one line.
func (u *Update) Describe() string {
	what := "peer organisation"
	if u.Consenter {
		what = "peer organisation and BFT consenter"
	}
	switch u.Kind {
	case KindRemove:
		return fmt.Sprintf("remove %s (%s) from channel %s", u.MSPID, what, u.Channel)
	case KindMSP:
		crls := 0
		if u.Card != nil {
			crls = len(u.Card.CRLs)
		}
		return fmt.Sprintf("publish %s's MSP (CA certificates, %d CRLs) to channel %s", u.MSPID, crls, u.Channel)
	case KindOrdererCerts:
		return fmt.Sprintf("replace %s's orderer certificates (BFT consenter) in channel %s", u.MSPID, u.Channel)
	}
	return fmt.Sprintf("add %s as %s to channel %s", u.MSPID, what, u.Channel)
}

// WriteFile writes the update file.
func (u *Update) WriteFile(path string) error {
	b, err := json.MarshalIndent(u, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadUpdate reads an update file.
func ReadUpdate(path string) (*Update, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var u Update
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil {
		return nil, fmt.Errorf("%w: update file %s: %v", ErrInvalid, path, err)
	}
	if u.Version != UpdateVersion {
		return nil, fmt.Errorf("%w: update file %s: version %d (this trustline reads version %d)", ErrInvalid, path, u.Version, UpdateVersion)
	}
	if u.Kind != KindAdd && u.Kind != KindRemove && u.Kind != KindMSP && u.Kind != KindOrdererCerts {
		return nil, fmt.Errorf("%w: update file %s: kind %q", ErrInvalid, path, u.Kind)
	}
	var cu common.ConfigUpdate
	if err := proto.Unmarshal(u.ConfigUpdate, &cu); err != nil || cu.ChannelId != u.Channel {
		return nil, fmt.Errorf("%w: update file %s: no config update for channel %s", ErrInvalid, path, u.Channel)
	}
	return &u, nil
}

// AddOptions are the options of ProposeAdd.
type AddOptions struct {
	// Consenter adds the member's orderer to the BFT consenters.
	Consenter bool
	// Roles are the member's roles in trustline.
	Roles []ledger.Role
	// ProposedBy is the proposer's MSP id.
	ProposedBy string
	// Now is the proposal time; zero means time.Now.
	Now time.Time
}

// ProposeAdd computes the update that adds card's organisation to the
// channel configuration cc: its MSP in the application group (with its
// anchor peer) and, with opts.Consenter, in the orderer group with its
// endpoint, a consenter mapping entry and the BlockValidation policy for
// the new consenter set.
func ProposeAdd(cc *ChannelConfig, card orgca.Card, opts AddOptions) (*Update, error) {
	if err := card.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if cc.HasOrg(card.MSPID) {
		return nil, fmt.Errorf("%w: %s is already in channel %s (config block %d)", ErrExists, card.MSPID, cc.Channel, cc.Block)
	}
	for _, r := range opts.Roles {
		if !r.Valid() {
			return nil, fmt.Errorf("%w: role %q: choose from %v", ErrInvalid, r, ledger.KnownRoles())
		}
	}
	next := proto.Clone(cc.Config).(*common.Config)
	app := next.ChannelGroup.Groups[groupApplication]
	if app == nil || len(app.Groups) == 0 {
		return nil, fmt.Errorf("%w: channel %s has no application organisation to take as a template", ErrInvalid, cc.Channel)
	}
	if err := checkNewEndpoints(cc, card); err != nil {
		return nil, err
	}
	org, err := newOrgGroup(app.Groups[sortedKeys(app.Groups)[0]], card)
	if err != nil {
		return nil, err
	}
	host, port := hostPort(card.Peer.Address)
	p, _ := strconv.Atoi(port)
	org.Values["AnchorPeers"] = &common.ConfigValue{
		ModPolicy: "Admins",
		Value:     mustMarshal(&peer.AnchorPeers{AnchorPeers: []*peer.AnchorPeer{{Host: host, Port: int32(p)}}}),
	}
	app.Groups[card.MSPID] = org
	if opts.Consenter {
		ord := next.ChannelGroup.Groups[groupOrderer]
		if ord == nil || len(ord.Groups) == 0 {
			return nil, fmt.Errorf("%w: channel %s has no orderer organisation to take as a template", ErrInvalid, cc.Channel)
		}
		oorg, err := newOrgGroup(ord.Groups[sortedKeys(ord.Groups)[0]], card)
		if err != nil {
			return nil, err
		}
		delete(oorg.Values, "AnchorPeers")
		oorg.Values["Endpoints"] = &common.ConfigValue{
			ModPolicy: "Admins",
			Value:     mustMarshal(&common.OrdererAddresses{Addresses: []string{card.Orderer.Address}}),
		}
		ord.Groups[card.MSPID] = oorg
		cons, err := cc.Consenters()
		if err != nil {
			return nil, err
		}
		var id uint32
		for _, k := range cons {
			id = max(id, k.Id)
		}
		oh, op := hostPort(card.Orderer.Address)
		opn, _ := strconv.Atoi(op)
		cons = append(cons, &common.Consenter{
			Id: id + 1, Host: oh, Port: uint32(opn), MspId: card.MSPID,
			Identity: []byte(card.Orderer.Identity), ClientTlsCert: []byte(card.Orderer.TLSCert), ServerTlsCert: []byte(card.Orderer.TLSCert),
		})
		if err := setConsenters(ord, cons); err != nil {
			return nil, err
		}
	}
	u, err := newUpdate(cc, next, KindAdd, card.MSPID, opts.Consenter, opts.ProposedBy, opts.Now)
	if err != nil {
		return nil, err
	}
	u.Card, u.Roles = &card, slices.Clone(opts.Roles)
	return u, nil
}

// checkNewEndpoints refuses a card whose peer or orderer address is
// already another member's.
func checkNewEndpoints(cc *ChannelConfig, card orgca.Card) error {
	cons, _ := cc.Consenters()
	for _, k := range cons {
		if net.JoinHostPort(k.Host, strconv.Itoa(int(k.Port))) == card.Orderer.Address {
			return fmt.Errorf("%w: orderer address %s is already %s's consenter", ErrExists, card.Orderer.Address, k.MspId)
		}
	}
	return nil
}

// RemoveOptions are the options of ProposeRemove.
type RemoveOptions struct {
	ProposedBy string
	Now        time.Time
}

// ProposeRemove computes the update that removes organisation mspID from
// the channel: from the application group and, when it is one, from the
// orderer group, the consenter mapping and the BlockValidation policy.
func ProposeRemove(cc *ChannelConfig, mspID string, opts RemoveOptions) (*Update, error) {
	if !cc.HasOrg(mspID) {
		return nil, fmt.Errorf("%w: %s is not in channel %s (config block %d)", ErrNotMember, mspID, cc.Channel, cc.Block)
	}
	if members := cc.Members(); len(members) == 1 && members[0] == mspID {
		return nil, fmt.Errorf("%w: %s is the channel's only member", ErrInvalid, mspID)
	}
	next := proto.Clone(cc.Config).(*common.Config)
	delete(next.ChannelGroup.Groups[groupApplication].GetGroups(), mspID)
	ord := next.ChannelGroup.Groups[groupOrderer]
	consenter := false
	if _, ok := ord.GetGroups()[mspID]; ok {
		delete(ord.Groups, mspID)
		consenter = true
	}
	if cons, err := cc.Consenters(); err == nil {
		kept := slices.DeleteFunc(slices.Clone(cons), func(k *common.Consenter) bool { return k.MspId == mspID })
		if len(kept) != len(cons) {
			consenter = true
			if len(kept) == 0 {
				return nil, fmt.Errorf("%w: %s runs the channel's only consenter", ErrInvalid, mspID)
			}
			if err := setConsenters(ord, kept); err != nil {
				return nil, err
			}
		}
	}
	return newUpdate(cc, next, KindRemove, mspID, consenter, opts.ProposedBy, opts.Now)
}

// ProposeMSP computes the update that publishes card's organisation's
// current MSP to the channel: its CRLs replace the channel's (so that the
// identities it revoked are refused from the next block on), and CA
// certificates on the card that the channel lacks (a renewed CA) are added
// beside the old ones, so certificates issued by either stay valid. The
// MSP value's mod_policy is the organisation's own Admins: its admin alone
// signs.
func ProposeMSP(cc *ChannelConfig, card orgca.Card, opts RemoveOptions) (*Update, error) {
	if err := card.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !cc.HasOrg(card.MSPID) {
		return nil, fmt.Errorf("%w: %s is not in channel %s (config block %d)", ErrNotMember, card.MSPID, cc.Channel, cc.Block)
	}
	next := proto.Clone(cc.Config).(*common.Config)
	for _, g := range []string{groupApplication, groupOrderer} {
		org := next.ChannelGroup.Groups[g].GetGroups()[card.MSPID]
		if org == nil {
			continue
		}
		fc, err := orgMSP(org)
		if err != nil {
			return nil, err
		}
		fc.RevocationList = nil
		for _, crl := range card.CRLs {
			fc.RevocationList = append(fc.RevocationList, []byte(crl))
		}
		if !slices.ContainsFunc(fc.RootCerts, func(b []byte) bool { return bytes.Equal(b, []byte(card.RootCert)) }) {
			fc.RootCerts = append(fc.RootCerts, []byte(card.RootCert))
		}
		if !slices.ContainsFunc(fc.TlsRootCerts, func(b []byte) bool { return bytes.Equal(b, []byte(card.TLSRootCert)) }) {
			fc.TlsRootCerts = append(fc.TlsRootCerts, []byte(card.TLSRootCert))
		}
		var mc mspproto.MSPConfig
		if err := proto.Unmarshal(org.Values["MSP"].Value, &mc); err != nil {
			return nil, err
		}
		mc.Config = mustMarshal(fc)
		org.Values["MSP"].Value = mustMarshal(&mc)
	}
	u, err := newUpdate(cc, next, KindMSP, card.MSPID, false, opts.ProposedBy, opts.Now)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return nil, fmt.Errorf("%w: the channel already has %s's MSP as its card describes it (revoke an identity or renew a CA first)", ErrInvalid, card.MSPID)
		}
		return nil, err
	}
	u.Card = &card
	return u, nil
}

func newUpdate(cc *ChannelConfig, next *common.Config, kind, mspID string, consenter bool, by string, now time.Time) (*Update, error) {
	cu, err := ComputeUpdate(cc.Channel, cc.Config, next)
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		now = time.Now()
	}
	return &Update{
		Version: UpdateVersion, Channel: cc.Channel, Kind: kind, MSPID: mspID, Consenter: consenter,
		BaseBlock: cc.Block, BaseSequence: cc.Sequence(), ProposedBy: by, ProposedAt: now.UTC().Truncate(time.Second),
		ConfigUpdate: mustMarshal(cu),
	}, nil
}

// newOrgGroup makes card's organisation group from another member's
// group: the same policies (Readers, Writers, Admins, Endorsement, naming
// card's MSP id instead) and an MSP of card's CAs, CRLs and the same
// NodeOUs, everything at version 0.
func newOrgGroup(template *common.ConfigGroup, card orgca.Card) (*common.ConfigGroup, error) {
	g := &common.ConfigGroup{ModPolicy: template.ModPolicy, Groups: map[string]*common.ConfigGroup{},
		Values: map[string]*common.ConfigValue{}, Policies: map[string]*common.ConfigPolicy{}}
	for name, p := range template.Policies {
		np := proto.Clone(p).(*common.ConfigPolicy)
		np.Version = 0
		if np.Policy.GetType() == int32(common.Policy_SIGNATURE) {
			var env common.SignaturePolicyEnvelope
			if err := proto.Unmarshal(np.Policy.Value, &env); err != nil {
				return nil, fmt.Errorf("%w: policy %s: %v", ErrInvalid, name, err)
			}
			for _, id := range env.Identities {
				if id.PrincipalClassification != mspproto.MSPPrincipal_ROLE {
					return nil, fmt.Errorf("%w: policy %s of the template organisation names a principal of class %v", ErrInvalid, name, id.PrincipalClassification)
				}
				var role mspproto.MSPRole
				if err := proto.Unmarshal(id.Principal, &role); err != nil {
					return nil, fmt.Errorf("%w: policy %s: %v", ErrInvalid, name, err)
				}
				role.MspIdentifier = card.MSPID
				id.Principal = mustMarshal(&role)
			}
			np.Policy.Value = mustMarshal(&env)
		}
		g.Policies[name] = np
	}
	tm, err := orgMSP(template)
	if err != nil {
		return nil, err
	}
	root := []byte(card.RootCert)
	fc := &mspproto.FabricMSPConfig{
		Name:         card.MSPID,
		RootCerts:    [][]byte{root},
		TlsRootCerts: [][]byte{[]byte(card.TLSRootCert)},
		CryptoConfig: tm.CryptoConfig,
	}
	for _, crl := range card.CRLs {
		fc.RevocationList = append(fc.RevocationList, []byte(crl))
	}
	if ous := tm.FabricNodeOus; ous != nil {
		fc.FabricNodeOus = proto.Clone(ous).(*mspproto.FabricNodeOUs)
		for _, ou := range []*mspproto.FabricOUIdentifier{fc.FabricNodeOus.ClientOuIdentifier, fc.FabricNodeOus.PeerOuIdentifier,
			fc.FabricNodeOus.AdminOuIdentifier, fc.FabricNodeOus.OrdererOuIdentifier} {
			if ou != nil && len(ou.Certificate) > 0 {
				ou.Certificate = root
			}
		}
	}
	g.Values["MSP"] = &common.ConfigValue{
		ModPolicy: template.Values["MSP"].GetModPolicy(),
		Value:     mustMarshal(&mspproto.MSPConfig{Type: 0, Config: mustMarshal(fc)}),
	}
	return g, nil
}

// setConsenters writes the consenter mapping into the orderer group and
// the BlockValidation policy SmartBFT checks it against: a quorum
// (ceil((n+f+1)/2), f = (n-1)/3) of signatures by the mapped consenters'
// identities, in mapping order.
func setConsenters(ord *common.ConfigGroup, cons []*common.Consenter) error {
	v := ord.Values["Orderers"]
	if v == nil {
		return fmt.Errorf("%w: the orderer group has no consenter mapping", ErrInvalid)
	}
	v.Value = mustMarshal(&common.Orderers{ConsenterMapping: cons})
	bv := ord.Policies["BlockValidation"]
	if bv == nil {
		return fmt.Errorf("%w: the orderer group has no BlockValidation policy", ErrInvalid)
	}
	bv.Policy = BlockValidationPolicy(cons)
	return nil
}

// BlockValidationPolicy is the BlockValidation policy SmartBFT expects for
// the consenters cons.
func BlockValidationPolicy(cons []*common.Consenter) *common.Policy {
	n := len(cons)
	f := (n - 1) / 3
	quorum := (n + f + 2) / 2 // ceil((n+f+1)/2)
	var ids []*mspproto.MSPPrincipal
	var rules []*common.SignaturePolicy
	for i, k := range cons {
		rules = append(rules, &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)}})
		ids = append(ids, &mspproto.MSPPrincipal{
			PrincipalClassification: mspproto.MSPPrincipal_IDENTITY,
			Principal:               mustMarshal(&mspproto.SerializedIdentity{Mspid: k.MspId, IdBytes: k.Identity}),
		})
	}
	env := &common.SignaturePolicyEnvelope{
		Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{
			N: int32(quorum), Rules: rules,
		}}},
		Identities: ids,
	}
	return &common.Policy{Type: int32(common.Policy_SIGNATURE), Value: mustMarshal(env)}
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic("consortium: marshalling " + string(m.ProtoReflect().Descriptor().FullName()) + ": " + err.Error())
	}
	return b
}
