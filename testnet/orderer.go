package testnet

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// OrdererHeight asks org's orderer for the channel's height through the
// channel participation API (mutual TLS as org's admin).
func (n *Network) OrdererHeight(ctx context.Context, org string) (uint64, error) {
	c := n.cryptoDir(org)
	cert, err := tls.LoadX509KeyPair(filepath.Join(c, "admin", "tls", "server.crt"), filepath.Join(c, "admin", "tls", "server.key"))
	if err != nil {
		return 0, err
	}
	caPEM, err := os.ReadFile(filepath.Join(c, "orderer", "tls", "ca.crt"))
	if err != nil {
		return 0, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	hc := &http.Client{
		Timeout:   3 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: tlsName(n.ports.host(org).Addr)}},
	}
	defer hc.CloseIdleConnections()
	url := fmt.Sprintf("https://%s/participation/v1/channels/%s", n.ports.at(org, n.ports.OrdererAdmin(org)), ChannelName)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("orderer %s: channel info: %s", org, resp.Status)
	}
	var info struct {
		Height uint64 `json:"height"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return 0, err
	}
	return info.Height, nil
}

// OrdererBlockHash fetches block number from org's orderer and returns the
// hash of its header, as Fabric computes it (SHA-256 over the ASN.1 encoding
// of number, previous hash and data hash). Equal hashes at the same number
// mean equal chains, since each header holds its predecessor's hash.
func (n *Network) OrdererBlockHash(ctx context.Context, org string, number uint64) ([]byte, error) {
	out := filepath.Join(n.dir, "run", fmt.Sprintf("fetch-%s-%d.block", org, number))
	defer os.Remove(out)
	args := append([]string{"channel", "fetch", fmt.Sprint(number), out, "-c", ChannelName}, n.ordererArgs(org)...)
	if _, err := n.run(n.adminEnv(org), "peer", args...); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	block := &common.Block{}
	if err := proto.Unmarshal(b, block); err != nil {
		return nil, err
	}
	return BlockHeaderHash(block.GetHeader())
}

// BlockHeaderHash is Fabric's block hash.
func BlockHeaderHash(h *common.BlockHeader) ([]byte, error) {
	der, err := asn1.Marshal(struct {
		Number       *big.Int
		PreviousHash []byte
		DataHash     []byte
	}{new(big.Int).SetUint64(h.GetNumber()), h.GetPreviousHash(), h.GetDataHash()})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:], nil
}
