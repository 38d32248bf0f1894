package membership_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustline/trustline/testnet"
)

// TestIntegrationMembershipLeaderOrdererRenewal renews the certificates of
// the orderer that leads the SmartBFT consensus, under the same load and
// through the same commands as TestIntegrationMembershipOrdererRenewal
// (its refusals are not repeated). The leader is the one consenter whose
// loss the others notice only by a timeout: once the channel expects its
// new certificates its old process can no longer have a proposal decided,
// and when it restarts the others must move to a view it can follow. The
// test asserts that no write is lost, doubled or left unfinished, that the
// renewed orderer catches up and signs blocks with its new identity, that
// afterwards every orderer is in one view under one leader (a new one, or
// the renewed orderer again), and that every consenter is healthy; it logs
// the longest commit gap and the first commit after each step.
func TestIntegrationMembershipLeaderOrdererRenewal(t *testing.T) {
	r := newRenewal(t)
	ctx := context.Background()
	leader, err := r.n.BFTLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var followers []string
	for _, org := range testnet.Orgs {
		if org != leader {
			followers = append(followers, org)
		}
	}
	t.Logf("renewing the SmartBFT leader %s's orderer; views %v", leader, r.n.BFTViews(ctx))
	r.target(leader)
	r.startLoad()
	r.renew()
	r.sign(followers[0])
	r.sign(followers[1])
	r.submit()
	t.Logf("after the submit: leaders %v, views %v", r.n.BFTLeaders(ctx), r.n.BFTViews(ctx))
	r.restart()
	// One view, one leader: the renewed orderer follows the others' view
	// (or leads it again), none is left in a view of its own.
	var leaders map[string]string
	var views map[string]int
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(250 * time.Millisecond) {
		leaders, views = r.n.BFTLeaders(ctx), r.n.BFTViews(ctx)
		if len(leaders) == len(testnet.Orgs) && len(views) == len(testnet.Orgs) && len(distinct(leaders)) == 1 && len(distinct(views)) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the orderers are not in one view under one leader a minute after %s's renewed orderer restarted: leaders %v, views %v", leader, leaders, views)
		}
	}
	next := leaders[testnet.Brand]
	if next == leader {
		t.Logf("after the restart: %s's renewed orderer leads again (view %d)", leader, views[testnet.Brand])
	} else {
		t.Logf("after the restart: %s leads (view %d); %s's renewed orderer follows", next, views[testnet.Brand], leader)
	}
	r.figures = append(r.figures, "leader afterwards "+next)
	r.finish()
}

// distinct is the set of values of m.
func distinct[K, V comparable](m map[K]V) map[V]bool {
	set := map[V]bool{}
	for _, v := range m {
		set[v] = true
	}
	return set
}
