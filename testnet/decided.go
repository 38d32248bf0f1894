package testnet

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/trustline/trustline/consortium"
)

// OrdererDecidedNewest says whether org's orderer took part in deciding
// the newest block it holds: whether the block carries its own SmartBFT
// signature (see consortium.Consenters for why height alone does not tell
// a restarted orderer back in the consensus from one still catching up).
// On this machine a sync took about a second against a block every 200 to
// 300 ms under the fault test's load, and restarted orderers chased the
// chain so for 6 to 51 s.
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
	signers, err := consortium.BlockSigners(b)
	if err != nil {
		return false, err
	}
	return slices.Contains(signers, cs[i].GetId()), nil
}
