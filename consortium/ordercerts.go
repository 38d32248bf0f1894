package consortium

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/orgca"
)

// KindOrdererCerts replaces a BFT consenter's certificates (after `org
// renew --name orderer`): its identity and TLS certificates in the
// consenter mapping, the BlockValidation policy built from the consenters'
// identities, and its orderer endpoint. The orderer group's Admins
// (a majority of the consenting members' admins) sign it. Once it is
// committed, the member restarts its orderer with the new certificates;
// meanwhile the other consenters keep a quorum, so ordering goes on.
const KindOrdererCerts = "orderer-certs"

// ProposeOrdererCerts computes the update that gives card's consenter the
// certificates and address of its orderer as the card describes them.
func ProposeOrdererCerts(cc *ChannelConfig, card orgca.Card, opts RemoveOptions) (*Update, error) {
	if err := card.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !cc.HasOrg(card.MSPID) {
		return nil, fmt.Errorf("%w: %s is not in channel %s (config block %d)", ErrNotMember, card.MSPID, cc.Channel, cc.Block)
	}
	next := proto.Clone(cc.Config).(*common.Config)
	ord := next.ChannelGroup.Groups[groupOrderer]
	oorg := ord.GetGroups()[card.MSPID]
	cons, err := cc.Consenters()
	if err != nil {
		return nil, err
	}
	host, port := hostPort(card.Orderer.Address)
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("%w: orderer address %q", ErrInvalid, card.Orderer.Address)
	}
	found := false
	renewed := make([]*common.Consenter, len(cons))
	for i, k := range cons {
		k = proto.Clone(k).(*common.Consenter)
		if k.MspId == card.MSPID {
			found = true
			k.Host, k.Port = host, uint32(p)
			k.Identity, k.ClientTlsCert, k.ServerTlsCert = []byte(card.Orderer.Identity), []byte(card.Orderer.TLSCert), []byte(card.Orderer.TLSCert)
		}
		renewed[i] = k
	}
	if !found || oorg == nil {
		return nil, fmt.Errorf("%w: %s runs no consenter of channel %s", ErrInvalid, card.MSPID, cc.Channel)
	}
	if err := setConsenters(ord, renewed); err != nil {
		return nil, err
	}
	if ep := oorg.Values["Endpoints"]; ep != nil {
		ep.Value = mustMarshal(&common.OrdererAddresses{Addresses: []string{card.Orderer.Address}})
	}
	u, err := newUpdate(cc, next, KindOrdererCerts, card.MSPID, true, opts.ProposedBy, opts.Now)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return nil, fmt.Errorf("%w: the channel already has %s's orderer certificates as its card describes them (renew them first: trustline org renew --name orderer)", ErrInvalid, card.MSPID)
		}
		return nil, err
	}
	u.Card = &card
	return u, nil
}
