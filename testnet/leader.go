package testnet

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/orgca"
)

// BFTLeader returns the organisation whose orderer leads the SmartBFT
// consensus now, as the alive orderers report it on their Prometheus
// endpoint (the consensus view_leader_id gauge, a consenter id).
func (n *Network) BFTLeader(ctx context.Context) (string, error) {
	votes := map[string]int{}
	for _, leader := range n.BFTLeaders(ctx) {
		votes[leader]++
	}
	best, bestVotes := "", 0
	for org, v := range votes {
		if v > bestVotes || (v == bestVotes && n.orgIndex(org) < n.orgIndex(best)) {
			best, bestVotes = org, v
		}
	}
	if best == "" {
		return "", fmt.Errorf("no orderer reports a SmartBFT leader")
	}
	return best, nil
}

// BFTLeaders returns, for each alive orderer that answers (founding members
// and candidates), the organisation it believes leads the consensus. A
// restarted orderer may believe in an old leader until it has synchronised
// the current view.
func (n *Network) BFTLeaders(ctx context.Context) map[string]string {
	ids := n.consenterOrgs(ctx)
	seen := map[string]string{}
	for _, org := range allOrgs() {
		if _, ok := n.running(ordererName(org)); !ok {
			continue
		}
		if id, err := n.bftGauge(ctx, org, "view_leader_id"); err == nil && ids[id] != "" {
			seen[org] = ids[id]
		}
	}
	return seen
}

// BFTViews returns the SmartBFT view number each alive orderer is in.
// Orderers in different views cannot form a quorum together.
func (n *Network) BFTViews(ctx context.Context) map[string]int {
	seen := map[string]int{}
	for _, org := range allOrgs() {
		if _, ok := n.running(ordererName(org)); !ok {
			continue
		}
		if v, err := n.bftGauge(ctx, org, "view_number"); err == nil {
			seen[org] = v
		}
	}
	return seen
}

// BFTComplaining returns the alive orderers that have a view change of
// their own pending: SmartBFT's viewchange_next_view above its
// viewchange_current_view. A consenter cut off from the leader complains;
// Fabric 3.1.1's SmartBFT lets a lone complainer go on complaining after
// the network heals (it syncs the blocks it misses instead of taking part),
// so it does not count towards a quorum until a view change happens.
func (n *Network) BFTComplaining(ctx context.Context) []string {
	var out []string
	for _, org := range allOrgs() {
		if _, ok := n.running(ordererName(org)); !ok {
			continue
		}
		next, err1 := n.bftGauge(ctx, org, "viewchange_next_view")
		cur, err2 := n.bftGauge(ctx, org, "viewchange_current_view")
		if err1 == nil && err2 == nil && next > cur {
			out = append(out, org)
		}
	}
	return out
}

// OrdererIngressStreams returns how many consensus streams other orderers
// hold open to org's orderer (the cluster_comm_ingress_stream_count gauge).
// A restarted orderer that has caught up on blocks can still be out of
// reach of a consenter whose dial is backing off; only when every other
// consenter has a stream to it does it count towards a quorum again.
func (n *Network) OrdererIngressStreams(ctx context.Context, org string) (int, error) {
	return n.ordererGauge(ctx, org, "cluster_comm_ingress_stream_count", false)
}

func allOrgs() []string { return append(Orgs[:len(Orgs):len(Orgs)], Candidates...) }

func (n *Network) orgIndex(org string) int {
	for i, o := range allOrgs() {
		if o == org {
			return i
		}
	}
	return len(allOrgs())
}

// consenterOrgs maps the channel's consenter ids to organisations, from
// the consenter set of the channel's latest configuration (membership
// changes add consenters with new ids and remove others). When no orderer
// answers, it is the founding set: ids 1 to 4 in the order of Orgs.
func (n *Network) consenterOrgs(ctx context.Context) map[int]string {
	ids := map[int]string{}
	for i, org := range Orgs {
		ids[i+1] = org
	}
	byMSP := map[string]string{}
	for _, org := range allOrgs() {
		byMSP[MSPID(org)] = org
	}
	for _, org := range Orgs {
		if _, ok := n.running(ordererName(org)); !ok {
			continue
		}
		cs, err := n.consenters(ctx, org)
		if err != nil {
			continue
		}
		ids = map[int]string{}
		for _, c := range cs {
			ids[int(c.GetId())] = byMSP[c.GetMspId()]
		}
		return ids
	}
	return ids
}

// consenters reads the consenter set from org's orderer, as org's admin.
func (n *Network) consenters(ctx context.Context, org string) ([]*common.Consenter, error) {
	oc, err := n.adminOrderer(org)
	if err != nil {
		return nil, err
	}
	defer oc.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	cc, err := oc.Config(ctx, ChannelName)
	if err != nil {
		return nil, err
	}
	return cc.Consenters()
}

// adminOrderer dials org's orderer as org's admin.
func (n *Network) adminOrderer(org string) (*consortium.Orderer, error) {
	o, err := orgca.Open(n.cryptoDir(org))
	if err != nil {
		return nil, err
	}
	s, err := consortium.AdminSigner(o)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(o.TLSCAFile())
	if err != nil {
		return nil, err
	}
	return consortium.DialOrderer(n.OrdererAddress(org), [][]byte{ca}, s)
}

// bftGauge reads one SmartBFT consensus gauge of the channel from org's
// orderer's Prometheus endpoint.
func (n *Network) bftGauge(ctx context.Context, org, gauge string) (int, error) {
	return n.ordererGauge(ctx, org, "_"+gauge, true)
}

// ordererGauge reads the first sample whose metric name ends with suffix
// from org's orderer's Prometheus endpoint, of the trustline channel when
// perChannel is set.
func (n *Network) ordererGauge(ctx context.Context, org, suffix string, perChannel bool) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	url := "http://" + n.ports.at(org, n.ports.OrdererOps(org)) + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		name, _, _ := strings.Cut(line, "{")
		if f := strings.Fields(name); len(f) > 0 {
			name = f[0] // a sample without labels: "name value"
		}
		if strings.HasPrefix(line, "#") || !strings.HasSuffix(name, suffix) || (perChannel && !strings.Contains(line, `channel="`+ChannelName+`"`)) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, err
		}
		return int(v), nil
	}
	return 0, fmt.Errorf("orderer %s reports no %s", org, strings.TrimPrefix(suffix, "_"))
}
