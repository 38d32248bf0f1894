package testnet

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"
)

// Status describes a network at one moment.
type Status struct {
	Dir       string          `json:"dir"`
	BasePort  int             `json:"basePort"`
	Processes []ProcessStatus `json:"processes"`
	Channel   ChannelStatus   `json:"channel"`
	Chaincode ChaincodeStatus `json:"chaincode"`
	Ethereum  *EthereumStatus `json:"ethereum,omitempty"`
}

// ProcessStatus describes one process of the network.
type ProcessStatus struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"` // peer, orderer, chaincode, geth
	Org   string `json:"org,omitempty"`
	PID   int    `json:"pid,omitempty"`
	Port  int    `json:"port"`
	Alive bool   `json:"alive"`
	Log   string `json:"log"`
}

// ChannelStatus describes the channel as each peer sees it.
type ChannelStatus struct {
	Name    string       `json:"name"`
	Created bool         `json:"created"`
	Peers   []PeerHeight `json:"peers"`
}

// PeerHeight is a peer's view of the channel.
type PeerHeight struct {
	Org         string `json:"org"`
	Height      uint64 `json:"height"`
	CurrentHash string `json:"currentBlockHash,omitempty"`
	Error       string `json:"error,omitempty"`
}

// ChaincodeStatus describes the committed chaincode definition.
type ChaincodeStatus struct {
	Name      string          `json:"name"`
	Version   string          `json:"version,omitempty"`
	Sequence  int64           `json:"sequence,omitempty"`
	Committed bool            `json:"committed"`
	Approvals map[string]bool `json:"approvals,omitempty"`
	Error     string          `json:"error,omitempty"`
}

// EthereumStatus describes the geth dev chain.
type EthereumStatus struct {
	URL         string `json:"url"`
	ChainID     uint64 `json:"chainId,omitempty"`
	BlockNumber uint64 `json:"blockNumber"`
	Error       string `json:"error,omitempty"`
}

// Status reports every process, the channel height at each peer, the
// committed chaincode and the Ethereum chain. Parts that cannot be reached
// carry an error instead of failing the whole report.
func (n *Network) Status(ctx context.Context) *Status {
	s := &Status{Dir: n.dir, BasePort: n.ports.base}
	for _, name := range n.processNames() {
		spec := n.spec(name)
		kind, org, _ := strings.Cut(name, ".")
		pid, alive := n.running(name)
		s.Processes = append(s.Processes, ProcessStatus{
			Name: name, Kind: kind, Org: org, PID: pid, Port: spec.Ports[0], Alive: alive, Log: n.LogFile(name),
		})
	}
	st := n.snapshot()
	s.Channel = ChannelStatus{Name: ChannelName, Created: st.Channel}
	s.Chaincode = ChaincodeStatus{Name: ChaincodeName}
	if !st.Channel {
		return s
	}
	var wg sync.WaitGroup
	heights := make([]PeerHeight, len(Orgs))
	for i, org := range Orgs {
		wg.Add(1)
		go func(i int, org string) {
			defer wg.Done()
			heights[i] = n.peerHeight(ctx, org)
		}(i, org)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Chaincode = n.chaincodeStatus(ctx)
	}()
	if !n.noGeth {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Ethereum = n.ethereumStatus(ctx)
		}()
	}
	wg.Wait()
	s.Channel.Peers = heights
	return s
}

// PeerHeight asks org's own peer for the channel's height and newest block
// hash (qscc GetChainInfo).
func (n *Network) peerHeight(ctx context.Context, org string) PeerHeight {
	h := PeerHeight{Org: org}
	info, err := n.ChainInfo(ctx, org)
	if err != nil {
		h.Error = err.Error()
		return h
	}
	h.Height = info.GetHeight()
	h.CurrentHash = hex.EncodeToString(info.GetCurrentBlockHash())
	return h
}

// ChainInfo returns the channel's height and hashes as org's peer sees them.
func (n *Network) ChainInfo(ctx context.Context, org string) (*common.BlockchainInfo, error) {
	conn, err := n.dial(org, client.WithEvaluateTimeout(5*time.Second))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	qscc := conn.GetNetwork(ChannelName).GetContract("qscc")
	res, err := qscc.EvaluateWithContext(ctx, "GetChainInfo",
		client.WithArguments(ChannelName), client.WithEndorsingOrganizations(MSPID(org)))
	if err != nil {
		return nil, err
	}
	info := &common.BlockchainInfo{}
	if err := proto.Unmarshal(res, info); err != nil {
		return nil, err
	}
	return info, nil
}

func (n *Network) chaincodeStatus(ctx context.Context) ChaincodeStatus {
	cs := ChaincodeStatus{Name: ChaincodeName}
	conn, err := n.dial(Brand, client.WithEvaluateTimeout(5*time.Second))
	if err != nil {
		cs.Error = err.Error()
		return cs
	}
	defer conn.Close()
	args, _ := proto.Marshal(&lifecycle.QueryChaincodeDefinitionArgs{Name: ChaincodeName})
	res, err := conn.GetNetwork(ChannelName).GetContract("_lifecycle").EvaluateWithContext(ctx,
		"QueryChaincodeDefinition", client.WithBytesArguments(args))
	if err != nil {
		cs.Error = err.Error()
		return cs
	}
	def := &lifecycle.QueryChaincodeDefinitionResult{}
	if err := proto.Unmarshal(res, def); err != nil {
		cs.Error = err.Error()
		return cs
	}
	cs.Committed, cs.Version, cs.Sequence, cs.Approvals = true, def.GetVersion(), def.GetSequence(), def.GetApprovals()
	return cs
}

func (n *Network) ethereumStatus(ctx context.Context) *EthereumStatus {
	es := &EthereumStatus{URL: n.GethURL()}
	var block, chain string
	if err := ethCall(ctx, es.URL, "eth_blockNumber", &block); err != nil {
		es.Error = err.Error()
		return es
	}
	if err := ethCall(ctx, es.URL, "eth_chainId", &chain); err != nil {
		es.Error = err.Error()
		return es
	}
	es.BlockNumber, _ = strconv.ParseUint(strings.TrimPrefix(block, "0x"), 16, 64)
	es.ChainID, _ = strconv.ParseUint(strings.TrimPrefix(chain, "0x"), 16, 64)
	return es
}

// ethCall makes a parameterless JSON-RPC call.
func ethCall(ctx context.Context, url, method string, result any) error {
	return ethRPC(ctx, url, method, []any{}, result)
}

// ethRPC makes one JSON-RPC call; a null result leaves result untouched.
func ethRPC(ctx context.Context, url, method string, params []any, result any) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if out.Error != nil {
		return fmt.Errorf("%s: %s", method, out.Error.Message)
	}
	if string(out.Result) == "null" {
		return nil
	}
	return json.Unmarshal(out.Result, result)
}

// Healthy reports whether every process is alive, every peer answers, the
// chaincode is committed and the Ethereum chain answers.
func (s *Status) Healthy() bool {
	for _, p := range s.Processes {
		if !p.Alive {
			return false
		}
	}
	if !s.Channel.Created || !s.Chaincode.Committed {
		return false
	}
	for _, p := range s.Channel.Peers {
		if p.Error != "" {
			return false
		}
	}
	return s.Ethereum == nil || s.Ethereum.Error == ""
}
