package testnet

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// OrdererDecidedNewest says whether org's orderer took part in deciding
// the newest block it holds. SmartBFT writes into each deciding node's
// copy of a block the signatures of the quorum it collected, its own
// among them; a block an orderer pulled from the others (its synchroniser
// catching up) carries only theirs.
//
// Height alone does not tell a restarted orderer that is back in the
// consensus from one that is still catching up: under a steady load, a
// sync takes longer than the others take to decide the next blocks (about
// a second against a block every 200-300 ms on a busy machine), so the
// restarted orderer lands a few blocks behind, sees the others' votes for
// a later block, and syncs again, for up to a minute. Between syncs its
// height is within a block or two of the others', but it decides nothing:
// the channel then runs on three consenters out of four, and the loss of
// another leaves no quorum.
func (n *Network) OrdererDecidedNewest(ctx context.Context, org string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	oc, err := n.adminOrderer(org)
	if err != nil {
		return false, err
	}
	defer oc.Close()
	cc, err := oc.Config(ctx, ChannelName)
	if err != nil {
		return false, err
	}
	cs, err := cc.Consenters()
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(cs, func(c *common.Consenter) bool { return c.GetMspId() == MSPID(org) })
	if i < 0 {
		return false, fmt.Errorf("%s runs no consenter of channel %s", org, ChannelName)
	}
	h, err := oc.Height(ctx, ChannelName)
	if err != nil {
		return false, err
	}
	b, err := oc.Block(ctx, ChannelName, h-1)
	if err != nil {
		return false, err
	}
	signers, err := BlockSigners(b)
	if err != nil {
		return false, err
	}
	return slices.Contains(signers, cs[i].GetId()), nil
}

// BlockSigners returns the consenter ids whose SmartBFT signatures block b
// carries (read, not verified).
func BlockSigners(b *common.Block) ([]uint32, error) {
	mds := b.GetMetadata().GetMetadata()
	if len(mds) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return nil, fmt.Errorf("block %d has no signatures metadata", b.GetHeader().GetNumber())
	}
	var md common.Metadata
	if err := proto.Unmarshal(mds[common.BlockMetadataIndex_SIGNATURES], &md); err != nil {
		return nil, fmt.Errorf("block %d: signatures metadata: %w", b.GetHeader().GetNumber(), err)
	}
	var ids []uint32
	for _, sig := range md.GetSignatures() {
		var ih common.IdentifierHeader
		if len(sig.GetIdentifierHeader()) == 0 || proto.Unmarshal(sig.GetIdentifierHeader(), &ih) != nil {
			continue
		}
		ids = append(ids, ih.GetIdentifier())
	}
	return ids, nil
}
