package multihost_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/rs/zerolog"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/e2e/e2ecli"
	"github.com/trustline/trustline/internal/demo"
	"github.com/trustline/trustline/internal/testenv"
	"github.com/trustline/trustline/orgca"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/netns"
	"github.com/trustline/trustline/testnet/testkit"
)

// nodePort is where each organisation's node listens, on its host's address.
const nodePort = 8480

// newLab checks that this machine can make hosts (root, iproute2), builds
// the chaincode server and the trustline command from the tree under
// test, and opens a network on a lab of one host per founding member,
// named with prefix. It starts nothing. When the test ends every process
// and host of the lab is removed; its state and logs are kept if the test
// failed. The CLI runs the trustline command built, with scratch files in
// its Tmp.
func newLab(t *testing.T, prefix string) (*testnet.HostLab, *e2ecli.CLI) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: hosts in network namespaces; skipped with -short")
	}
	err := netns.Available()
	testenv.Require(t, "root and iproute2 for network namespaces", "run as root with the ip command, as CI does", err == nil, err)
	bin, err := testnet.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "trustline-multihost-")
	if err != nil {
		t.Fatal(err)
	}
	cc, err := testkit.BuildChaincode(tmp)
	if err != nil {
		t.Fatal(err)
	}
	trustline := filepath.Join(tmp, "trustline")
	if b, err := exec.Command("go", "build", "-o", trustline, "github.com/trustline/trustline/cmd/trustline").CombinedOutput(); err != nil {
		t.Fatalf("building trustline: %v\n%s", err, b)
	}
	lab, err := testnet.NewHostLab(context.Background(), testnet.Config{
		Dir: filepath.Join(tmp, "net"), BinDir: bin, ChaincodeBin: cc, NoGeth: true,
		Logf: func(format string, args ...any) { t.Logf(format, args...) },
	}, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := lab.Close(cctx); err != nil {
			t.Errorf("cleaning up the lab: %v", err)
		}
		if t.Failed() {
			t.Logf("state and logs kept in %s", tmp)
		} else {
			os.RemoveAll(tmp)
		}
	})
	return lab, &e2ecli.CLI{T: t, Bin: trustline, Dir: lab.Dir(), Tmp: tmp}
}

// playStory plays the demo story, each step typed on its organisation's
// own host (the lab signs its report with a key of its own through the
// CLI).
func playStory(t *testing.T, c *e2ecli.CLI, lab *testnet.HostLab) *demo.Scenario {
	t.Helper()
	key, err := ethcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := c.File("lab.key", hex.EncodeToString(ethcrypto.FromECDSA(key)))
	sc, err := demo.New(time.Now(), time.Now().UTC().Format("060102150405"), demo.KeySigner{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for _, s := range sc.Steps {
		on := c.On(lab.Host(s.Org).Netns)
		on.Must(on.Command(s, keyFile)...)
	}
	t.Logf("demo story: %d steps, each through its organisation's CLI on its own host, in %s", len(sc.Steps), time.Since(t0).Round(10*time.Millisecond))
	return sc
}

// node is one organisation's trustline node, run in its host's namespace.
type node struct {
	org, url, dataDir string
	cmd               *exec.Cmd
	done              chan struct{}
}

func startNode(t *testing.T, c *e2ecli.CLI, lab *testnet.HostLab, org, dataDir string) *node {
	t.Helper()
	h := lab.Host(org)
	url := "http://" + net.JoinHostPort(h.Addr, strconv.Itoa(nodePort))
	cmd := c.On(h.Netns).Cmd("node", "start", "--testnet-org", org, "--testnet-dir", lab.Dir(),
		"--listen", net.JoinHostPort(h.Addr, strconv.Itoa(nodePort)), "--base-url", url, "--data-dir", dataDir)
	log, err := os.OpenFile(filepath.Join(lab.Dir(), "logs", "node."+org+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	nd := &node{org: org, url: url, dataDir: dataDir, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); log.Close(); close(nd.done) }()
	return nd
}

// stop ends the node: SIGINT, SIGKILL after 10 s (kill: SIGKILL at once).
func (nd *node) stop(kill bool) {
	select {
	case <-nd.done:
		return
	default:
	}
	if kill {
		_ = nd.cmd.Process.Kill()
	} else {
		_ = nd.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case <-nd.done:
	case <-time.After(10 * time.Second):
		_ = nd.cmd.Process.Kill()
		<-nd.done
	}
}

// health is the part of a node's /healthz the test reads.
type health struct {
	Index struct {
		IndexBlock uint64 `json:"indexBlock"`
		Indexed    bool   `json:"indexed"`
		Applied    uint64 `json:"applied"`
	} `json:"index"`
}

func (nd *node) health() (health, error) {
	var h health
	hc := http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get(nd.url + "/healthz")
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return h, json.Unmarshal(b, &h)
}

// waitIndexed waits until every node has applied the block below height.
func waitIndexed(t *testing.T, nodes map[string]*node, height uint64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, nd := range nodes {
		for {
			h, err := nd.health()
			if err == nil && h.Index.Indexed && h.Index.IndexBlock+1 >= height {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node of %s has not indexed block %d within %s: %+v %v", nd.org, height-1, within, h, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// verified is what `trustline index verify -o json` reports.
type verified struct {
	Blocks     uint64 `json:"blocks"`
	Events     int64  `json:"events"`
	Digest     string `json:"digest"`
	LiveDigest string `json:"liveDigest"`
	Match      *bool  `json:"match"`
}

// keysStayHome checks that every private key under the network's directory
// lies in the directory of one of orgs and belongs to a certificate that
// organisation's own CA issued: nobody holds another member's key.
func keysStayHome(t *testing.T, dir string, orgs ...string) {
	t.Helper()
	cryptoDir := filepath.Join(dir, "crypto")
	type orgKeys struct {
		roots []*x509.Certificate
		pubs  map[string]bool // public keys of certificates its CAs issued
	}
	byOrg := map[string]*orgKeys{}
	for _, org := range orgs {
		o, err := orgca.Open(filepath.Join(cryptoDir, org))
		if err != nil {
			t.Fatal(err)
		}
		ok := &orgKeys{pubs: map[string]bool{}}
		for _, p := range []string{o.Card().RootCert, o.Card().TLSRootCert} {
			b, _ := pem.Decode([]byte(p))
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			ok.roots = append(ok.roots, c)
		}
		byOrg[org] = ok
	}
	type keyFile struct{ path, org, pub string }
	var keys []keyFile
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(cryptoDir, path)
		org, _, _ := strings.Cut(rel, string(filepath.Separator))
		for rest := b; ; {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			switch {
			case strings.Contains(blk.Type, "PRIVATE KEY"):
				k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				pub, _ := x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
				keys = append(keys, keyFile{path, org, string(pub)})
			case blk.Type == "CERTIFICATE" && byOrg[org] != nil:
				c, err := x509.ParseCertificate(blk.Bytes)
				if err != nil {
					continue
				}
				for _, root := range byOrg[org].roots {
					if c.Equal(root) || c.CheckSignatureFrom(root) == nil {
						pub, _ := x509.MarshalPKIXPublicKey(c.PublicKey)
						byOrg[org].pubs[string(pub)] = true
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, k := range keys {
		if byOrg[k.org] == nil {
			t.Errorf("private key outside any organisation's directory: %s", k.path)
			continue
		}
		if !byOrg[k.org].pubs[k.pub] {
			t.Errorf("%s holds a private key of no certificate its own CAs issued", k.path)
		}
		if other, ok := seen[k.pub]; ok && other != k.org {
			t.Errorf("the same private key is in %s's and %s's directories (%s)", other, k.org, k.path)
		}
		seen[k.pub] = k.org
	}
	if len(keys) < len(orgs)*5 {
		t.Errorf("found only %d private keys: the walk missed the organisations' keys", len(keys))
	}
	t.Logf("%d private keys of %d organisations, each in its own organisation's directory, of a certificate its own CA issued", len(keys), len(orgs))
}

// --- load -------------------------------------------------------------------

// load submits System:Ping transactions from several workers through the
// gateways of the organisations not avoided, recording each commit's
// latency and transaction id.
type load struct {
	conns   map[string]*tlclient.GatewayConn
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	avoid   map[string]bool
	commits []commit
	failed  int
}

type commit struct {
	at      time.Time
	latency time.Duration
	txID    string
}

func dialAll(t *testing.T, n *testnet.HostLab) map[string]*tlclient.GatewayConn {
	t.Helper()
	conns := map[string]*tlclient.GatewayConn{}
	for _, org := range testnet.Orgs {
		cfg, err := n.ClientConfig(org, false)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tlclient.Dial(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		conns[org] = c
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

func startLoad(conns map[string]*tlclient.GatewayConn, workers int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{conns: conns, cancel: cancel, avoid: map[string]bool{}}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				org := testnet.Orgs[(w+i)%len(testnet.Orgs)]
				l.mu.Lock()
				skip := l.avoid[org]
				l.mu.Unlock()
				if skip {
					continue
				}
				t0 := time.Now()
				sctx, scancel := context.WithTimeout(ctx, 45*time.Second)
				_, c, err := l.conns[org].Contract().SubmitAsync("System:Ping",
					client.WithArguments(fmt.Sprintf("load-%d-%d-%d", w, i, t0.UnixNano())))
				var st *client.Status
				if err == nil {
					st, err = c.StatusWithContext(sctx)
				}
				scancel()
				if err != nil || !st.Successful {
					if ctx.Err() == nil {
						l.mu.Lock()
						l.failed++
						l.mu.Unlock()
						time.Sleep(100 * time.Millisecond)
					}
					continue
				}
				l.mu.Lock()
				l.commits = append(l.commits, commit{at: time.Now(), latency: time.Since(t0), txID: st.TransactionID})
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *load) setAvoid(org string, avoid bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.avoid[org] = avoid
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// since returns the commits completed after t.
func (l *load) since(t time.Time) []commit {
	l.mu.Lock()
	defer l.mu.Unlock()
	var cs []commit
	for _, c := range l.commits {
		if c.at.After(t) {
			cs = append(cs, c)
		}
	}
	return cs
}

func (l *load) waitCommits(t time.Time, k int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if len(l.since(t)) >= k {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// figures are a load run's throughput and commit latency.
type figures struct {
	commits    int
	failed     int
	tps        float64
	p50, p99   time.Duration
	loadAvg    string
	windowSecs float64
}

func (f figures) String() string {
	return fmt.Sprintf("%5.1f tx/s, p50 %s, p99 %s (%d commits, %d failed submits in %.0fs; load average %s)",
		f.tps, f.p50.Round(time.Millisecond), f.p99.Round(time.Millisecond), f.commits, f.failed, f.windowSecs, f.loadAvg)
}

// measure runs the load through every organisation for d after a warm-up
// and returns its figures.
func measure(conns map[string]*tlclient.GatewayConn, workers int, warm, d time.Duration) figures {
	l := startLoad(conns, workers)
	time.Sleep(warm)
	l.mu.Lock()
	failed0 := l.failed
	l.mu.Unlock()
	t0 := time.Now()
	time.Sleep(d)
	t1 := time.Now()
	cs := l.since(t0)
	l.mu.Lock()
	failed := l.failed - failed0
	l.mu.Unlock()
	loadAvg, _ := os.ReadFile("/proc/loadavg")
	l.stop()
	var lat []time.Duration
	for _, c := range cs {
		if c.at.Before(t1) {
			lat = append(lat, c.latency)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	f := figures{commits: len(lat), failed: failed, windowSecs: t1.Sub(t0).Seconds(), loadAvg: strings.Join(strings.Fields(string(loadAvg))[:3], " ")}
	f.tps = float64(len(lat)) / f.windowSecs
	if len(lat) > 0 {
		f.p50 = lat[len(lat)/2]
		f.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return f
}

// --- links: delay through toxiproxy, loss and partitions with nftables ------

// links routes every connection from one organisation's host to another's
// peer or orderer through a toxiproxy proxy on the bridge (nftables DNAT in
// each host's namespace), so latency can be added to every member's
// traffic; and drops packets at random with nftables.
type links struct {
	lab     *testnet.HostLab
	proxies []*toxiproxy.Proxy
}

const natTable = "tlmh_delay"
const lossTable = "tlmh_loss"

func nft(ctx context.Context, netns, script string) error {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", netns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft in %s: %v: %s", netns, err, out)
	}
	return nil
}

// newLinks starts one proxy per member endpoint (peer and orderer ports) on
// the bridge's address and points every other host's connections to it at
// the proxy. It must run before the processes start: a rule applies to new
// connections only.
//
// Each proxy listens on a port the kernel picks. Fixed ports (41000 and
// up) lay in the ephemeral range, and a CI run failed to listen on one
// ("address already in use").
func newLinks(ctx context.Context, lab *testnet.HostLab) (*links, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	ln := &links{lab: lab}
	rules := map[string][]string{}
	for _, dst := range testnet.Orgs {
		for _, upstream := range []string{lab.PeerAddress(dst), lab.OrdererAddress(dst)} {
			host, port, _ := net.SplitHostPort(upstream)
			p := toxiproxy.NewProxy(srv, dst+"-"+port, net.JoinHostPort(lab.Lab.BridgeIP(), "0"), upstream)
			if err := p.Start(); err != nil {
				ln.close()
				return nil, err
			}
			ln.proxies = append(ln.proxies, p)
			for _, src := range testnet.Orgs {
				if src != dst {
					rules[src] = append(rules[src], fmt.Sprintf("ip daddr %s tcp dport %s dnat to %s", host, port, p.Listen)) // the port picked
				}
			}
		}
	}
	for _, src := range testnet.Orgs {
		script := fmt.Sprintf("table ip %s { chain out { type nat hook output priority -100; policy accept; %s; }; }", natTable, strings.Join(rules[src], "; "))
		if err := nft(ctx, lab.Host(src).Netns, script); err != nil {
			ln.close()
			return nil, err
		}
	}
	return ln, nil
}

// delay adds latency each way on every proxied connection (0 removes it).
func (ln *links) delay(ctx context.Context, each time.Duration) error {
	for _, p := range ln.proxies {
		for _, stream := range []string{"upstream", "downstream"} {
			name := "latency_" + stream
			if p.Toxics.GetToxic(name) != nil {
				if err := p.Toxics.RemoveToxic(ctx, name); err != nil {
					return err
				}
			}
			if each == 0 {
				continue
			}
			body := fmt.Sprintf(`{"name":%q,"type":"latency","stream":%q,"attributes":{"latency":%d}}`, name, stream, each.Milliseconds())
			if _, err := p.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
				return err
			}
		}
	}
	return nil
}

// loss drops percent of the packets every host sends on its link (0
// removes the rule).
func (ln *links) loss(ctx context.Context, percent int) error {
	for _, org := range testnet.Orgs {
		ns := ln.lab.Host(org).Netns
		script := fmt.Sprintf("table inet %s; delete table inet %s;", lossTable, lossTable)
		if percent > 0 {
			script += fmt.Sprintf(" table inet %s { chain out { type filter hook output priority 0; policy accept; oifname \"eth0\" numgen random mod 100 < %d drop; }; }", lossTable, percent)
		}
		if err := nft(ctx, ns, script); err != nil {
			return err
		}
	}
	return nil
}

func (ln *links) close() {
	for _, p := range ln.proxies {
		p.Stop()
	}
}

func indexOf(org string) int {
	for i, o := range testnet.Orgs {
		if o == org {
			return i
		}
	}
	return -1
}
