package testnet

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// BFTLeader returns the organisation whose orderer leads the SmartBFT
// consensus now, as the alive orderers report it on their Prometheus
// endpoint (the consensus view_leader_id gauge). Consenter ids are 1-based in
// the order of Orgs.
func (n *Network) BFTLeader(ctx context.Context) (string, error) {
	votes := map[int]int{}
	for _, leader := range n.BFTLeaders(ctx) {
		for i, org := range Orgs {
			if org == leader {
				votes[i+1]++
			}
		}
	}
	best, bestVotes := 0, 0
	for id, v := range votes {
		if v > bestVotes || (v == bestVotes && id < best) {
			best, bestVotes = id, v
		}
	}
	if best < 1 || best > len(Orgs) {
		return "", fmt.Errorf("no orderer reports a SmartBFT leader")
	}
	return Orgs[best-1], nil
}

// BFTLeaders returns, for each alive orderer that answers, the organisation
// it believes leads the consensus. A restarted orderer may believe in an old
// leader until it has synchronised the current view.
func (n *Network) BFTLeaders(ctx context.Context) map[string]string {
	seen := map[string]string{}
	for _, org := range Orgs {
		if _, ok := n.running(ordererName(org)); !ok {
			continue
		}
		if id, err := n.bftGauge(ctx, org, "view_leader_id"); err == nil && id >= 1 && id <= len(Orgs) {
			seen[org] = Orgs[id-1]
		}
	}
	return seen
}

// BFTViews returns the SmartBFT view number each alive orderer is in.
// Orderers in different views cannot form a quorum together.
func (n *Network) BFTViews(ctx context.Context) map[string]int {
	seen := map[string]int{}
	for _, org := range Orgs {
		if _, ok := n.running(ordererName(org)); !ok {
			continue
		}
		if v, err := n.bftGauge(ctx, org, "view_number"); err == nil {
			seen[org] = v
		}
	}
	return seen
}

// bftGauge reads one SmartBFT consensus gauge of the channel from org's
// orderer's Prometheus endpoint.
func (n *Network) bftGauge(ctx context.Context, org, gauge string) (int, error) {
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
		if strings.HasPrefix(line, "#") || !strings.HasSuffix(name, "_"+gauge) || !strings.Contains(line, `channel="`+ChannelName+`"`) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, err
		}
		return int(v), nil
	}
	return 0, fmt.Errorf("orderer %s reports no %s", org, gauge)
}
