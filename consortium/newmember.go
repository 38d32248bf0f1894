package consortium

import (
	"context"
	"fmt"
)

// ApproveAsNewMember installs pkg on a joining member's peer and approves
// for mspID the committed definition of chaincode name as it stands: its
// version and sequence after however many upgrades, not the first
// deployment's, so that the member's peer endorses under it (Fabric takes
// an approval at the committed sequence from an organisation that did not
// approve it). A member that approved it already approves nothing.
//
// lc is the member's own peer, which must have caught up with the
// channel: on a peer that has not yet seen the latest upgrade, the
// approval of the older sequence is invalidated at commit and returned as
// an error; asking again once the peer has caught up approves the current
// one.
func ApproveAsNewMember(ctx context.Context, lc Lifecycle, channel, name, mspID string, pkg []byte) (Upgrade, error) {
	cur, err := lc.Committed(ctx, channel, name)
	if err != nil {
		return Upgrade{}, err
	}
	if cur.Approvals[mspID] {
		return Upgrade{Definition: cur, Approvals: cur.Approvals}, nil
	}
	d := cur
	d.Approvals = nil
	id, err := lc.Install(ctx, pkg)
	if err != nil {
		return Upgrade{}, fmt.Errorf("installing the package: %w", err)
	}
	if err := lc.Approve(ctx, channel, d, id); err != nil {
		return Upgrade{}, fmt.Errorf("approving the committed %s: %w", d, err)
	}
	now, err := lc.Committed(ctx, channel, name)
	return Upgrade{Definition: d, PackageID: id, Approvals: now.Approvals}, err
}
