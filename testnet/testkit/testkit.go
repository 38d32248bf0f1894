// Package testkit gives integration tests in any package one shared, real
// trustline testnet per `go test` package run, started on first use, and
// ready-made fabric-gateway connections for each organisation.
//
//	func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }
//
//	func TestIntegrationX(t *testing.T) {
//		c := testkit.Contract(t, testnet.Brand)
//		...
//	}
//
// Tests that use it are skipped under -short. The network runs the chaincode
// built from the source tree being tested, never a stale binary. Its state
// directory is deleted after a passing run and kept, with its path printed,
// after a failing one (or always, with TRUSTLINE_TESTKIT_KEEP=1).
package testkit

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/testnet"
)

var shared struct {
	once  sync.Once
	net   *testnet.Network
	err   error
	start time.Duration

	mu    sync.Mutex
	conns map[string]*tlclient.GatewayConn
}

// Main runs the package's tests and stops the shared network afterwards.
func Main(m *testing.M) int {
	code := m.Run()
	if n := shared.net; n != nil {
		shared.mu.Lock()
		for _, c := range shared.conns {
			c.Close()
		}
		shared.mu.Unlock()
		if err := n.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testkit: stopping the testnet:", err)
		}
		if code == 0 && os.Getenv("TRUSTLINE_TESTKIT_KEEP") == "" {
			os.RemoveAll(n.Dir())
		} else {
			fmt.Fprintf(os.Stderr, "testkit: testnet state and logs kept in %s\n", n.Dir())
		}
	}
	return code
}

// Network returns the package's shared network, starting it on first use.
// It skips the test under -short and fails it when the network cannot start.
func Network(t testing.TB) *testnet.Network {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs a real testnet; skipped with -short")
	}
	shared.once.Do(func() {
		t0 := time.Now()
		shared.net, shared.err = start()
		shared.start = time.Since(t0)
	})
	if shared.err != nil {
		t.Fatalf("starting the testnet: %v", shared.err)
	}
	return shared.net
}

// StartupTime is how long the shared network took to start (zero if it has
// not been started).
func StartupTime() time.Duration { return shared.start }

func start() (*testnet.Network, error) {
	bin, err := testnet.FindBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "trustline-testnet-")
	if err != nil {
		return nil, err
	}
	cc, err := BuildChaincode(dir)
	if err != nil {
		return nil, err
	}
	base, err := FreeBasePort()
	if err != nil {
		return nil, err
	}
	n, err := testnet.New(testnet.Config{
		Dir: dir, BasePort: base, BinDir: bin, ChaincodeBin: cc,
		Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "testkit: "+format+"\n", args...)
		},
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := n.Start(ctx); err != nil {
		_ = n.Stop()
		return nil, fmt.Errorf("%w (state and logs in %s)", err, dir)
	}
	return n, nil
}

// BuildChaincode compiles the chaincode server from the source tree under
// test into dir and returns its path, so integration tests never run a stale
// bin/trustline-chaincode.
func BuildChaincode(dir string) (string, error) {
	out := filepath.Join(dir, "trustline-chaincode")
	cmd := exec.Command("go", "build", "-o", out, "github.com/trustline/trustline/cmd/trustline-chaincode")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the chaincode: %v\n%s", err, b)
	}
	return out, nil
}

// FreeBasePort finds a block of 100 free loopback ports below the kernel's
// ephemeral port range (outgoing connections take local ports from that
// range, and one could take a port the network is about to listen on),
// avoiding the default testnet's block, and starting from a place that
// depends on the process id so that packages tested in parallel rarely probe
// the same blocks.
func FreeBasePort() (int, error) {
	lo, hi := 20000, ephemeralLow()
	var bases []int
	for b := lo; b+100 <= hi; b += 100 {
		if b+100 <= testnet.DefaultBasePort || b >= testnet.DefaultBasePort+100 {
			bases = append(bases, b)
		}
	}
	if len(bases) == 0 {
		return 0, fmt.Errorf("no room for 100 ports between %d and the ephemeral range at %d", lo, hi)
	}
	first := os.Getpid() % len(bases)
	for i := range bases {
		if base := bases[(first+i)%len(bases)]; blockFree(base) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no block of 100 free ports between %d and %d", lo, hi)
}

// ephemeralLow is the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 32768
	}
	lo, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return lo
}

func blockFree(base int) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for p := base; p < base+100; p++ {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		ls = append(ls, l)
	}
	return true
}

// Gateway returns a gateway connection as org's user, through org's own peer.
// It is shared by the package's tests and closed when they end.
func Gateway(t testing.TB, org string) *client.Gateway {
	t.Helper()
	n := Network(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if c, ok := shared.conns[org]; ok {
		return c.Gateway
	}
	cfg, err := n.ClientConfig(org, false)
	if err != nil {
		t.Fatalf("connecting as %s: %v", org, err)
	}
	c, err := tlclient.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connecting as %s: %v", org, err)
	}
	if shared.conns == nil {
		shared.conns = map[string]*tlclient.GatewayConn{}
	}
	shared.conns[org] = c
	return c.Gateway
}

// Contract returns the trustline chaincode on the trustline channel as org.
func Contract(t testing.TB, org string) *client.Contract {
	t.Helper()
	return Gateway(t, org).GetNetwork(testnet.ChannelName).GetContract(testnet.ChaincodeName)
}

// WaitForBlock waits until every organisation's peer has committed block
// number. A submit's commit is awaited on the submitting organisation's peer
// only; the other peers may commit the same block moments later, and a
// following transaction endorsed there would not yet see its writes.
func WaitForBlock(t testing.TB, block uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, org := range testnet.Orgs {
		qscc := Gateway(t, org).GetNetwork(testnet.ChannelName).GetContract("qscc")
		for {
			res, err := qscc.Evaluate("GetChainInfo", client.WithArguments(testnet.ChannelName),
				client.WithEndorsingOrganizations(testnet.MSPID(org)))
			if err == nil {
				info := &common.BlockchainInfo{}
				if err := proto.Unmarshal(res, info); err == nil && info.GetHeight() > block {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("peer of %s has not committed block %d within 30s (last error: %v)", org, block, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Submit submits a transaction as org, requires it to commit successfully,
// and waits until every peer has committed it. It returns the result and
// the transaction id.
func Submit(t testing.TB, org, name string, args ...string) ([]byte, string) {
	t.Helper()
	res, commit, err := Contract(t, org).SubmitAsync(name, client.WithArguments(args...))
	if err != nil {
		t.Fatalf("%s as %s: %v", name, org, err)
	}
	status, err := commit.Status()
	if err != nil {
		t.Fatalf("%s as %s: commit status: %v", name, org, err)
	}
	if !status.Successful {
		t.Fatalf("%s as %s: transaction %s invalid: %s", name, org, status.TransactionID, status.Code)
	}
	WaitForBlock(t, status.BlockNumber)
	return res, status.TransactionID
}

// WaitForSync waits until every peer has committed the highest block any
// peer has, for tests that submit through a path that does not report the
// block (the CLI binary, say) and then act through another organisation.
func WaitForSync(t testing.TB) {
	t.Helper()
	var top uint64
	for _, org := range testnet.Orgs {
		info, err := Network(t).ChainInfo(context.Background(), org)
		if err != nil {
			t.Fatalf("chain info of %s: %v", org, err)
		}
		top = max(top, info.GetHeight())
	}
	if top > 0 {
		WaitForBlock(t, top-1)
	}
}

// AllEqual reports whether every value of m is the same (true for an empty
// or one-entry map): peers' heights, block hashes, index digests.
func AllEqual[V comparable](m map[string]V) bool {
	var first V
	i := 0
	for _, v := range m {
		if i > 0 && v != first {
			return false
		}
		first = v
		i++
	}
	return true
}
