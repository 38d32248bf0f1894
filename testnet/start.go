package testnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trustline/trustline/consortium"
	"github.com/trustline/trustline/orgca"
)

// FabricTools are the Fabric commands the network runs.
var FabricTools = []string{"peer", "orderer", "osnadmin", "configtxgen"}

// FindBinDir locates the directory holding the network's executables:
// $TRUSTLINE_BIN; else the directory of the running executable when it holds
// them (an installed trustline); else bin/ at the root of the source tree
// that contains the working directory.
func FindBinDir() (string, error) {
	if d := os.Getenv("TRUSTLINE_BIN"); d != "" {
		return d, nil
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		if _, err := os.Stat(filepath.Join(d, "peer")); err == nil {
			return d, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/trustline/trustline\n") {
			return filepath.Join(d, "bin"), nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", errors.New("cannot find the directory with peer, orderer and geth: set TRUSTLINE_BIN, or run from the trustline source tree after `make build`")
}

// MissingBinariesError names executables the network needs but cannot find.
type MissingBinariesError struct {
	Dir     string
	Missing []string
}

func (e *MissingBinariesError) Error() string {
	return fmt.Sprintf("missing in %s: %s; build them with `make build` in the trustline source tree (Fabric and geth are built from the Go module proxy)",
		e.Dir, strings.Join(e.Missing, ", "))
}

// CheckBinaries reports a *MissingBinariesError when an executable is absent.
func (n *Network) CheckBinaries() error {
	need := append([]string{}, FabricTools...)
	if !n.noGeth {
		need = append(need, "geth")
	}
	var missing []string
	for _, b := range need {
		if !executable(filepath.Join(n.bin, b)) {
			missing = append(missing, b)
		}
	}
	if !executable(n.ccBin) {
		missing = append(missing, n.ccBin)
	}
	if len(missing) > 0 {
		return &MissingBinariesError{Dir: n.bin, Missing: missing}
	}
	return nil
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Start brings the network up, or resumes it from its state directory: it
// generates what is missing, starts every process that is not running,
// creates and joins the channel, deploys the chaincode, and returns once a
// transaction submitted through the gateway has been endorsed and committed.
// Processes keep running after Start returns, until Stop.
func (n *Network) Start(ctx context.Context) error {
	t0 := time.Now()
	if err := n.CheckBinaries(); err != nil {
		return err
	}
	step := func(what string, f func() error) error {
		t := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		n.logf("%-28s %s", what, elapsed(t))
		return nil
	}
	if err := step("crypto and channel config", func() error {
		// The placement first: the certificates about to be made name it.
		if err := n.update(func(*state) {}); err != nil {
			return err
		}
		if err := generateCrypto(filepath.Join(n.dir, "crypto"), n.ports); err != nil {
			return err
		}
		if err := n.writeConfig(); err != nil {
			return err
		}
		if err := n.writeBuilder(); err != nil {
			return err
		}
		if err := n.writeGenesis(); err != nil {
			return err
		}
		return n.readPackages()
	}); err != nil {
		return err
	}
	if err := step("processes started", func() error { return n.startAll(ctx) }); err != nil {
		return err
	}
	if !n.snapshot().Channel {
		if err := step("channel created (BFT)", func() error { return n.createChannel(ctx) }); err != nil {
			return err
		}
	}
	if err := step("peers joined", func() error { return n.joinPeers(ctx) }); err != nil {
		return err
	}
	if !n.snapshot().Deployed {
		if err := step("chaincode deployed", func() error {
			if err := n.deployChaincode(); err != nil {
				return err
			}
			return n.update(func(s *state) { s.Deployed = true })
		}); err != nil {
			return err
		}
	}
	if err := step("gateway submit committed", func() error { return n.waitReady(ctx) }); err != nil {
		return err
	}
	if !n.snapshot().Inited {
		if err := step("roles initialised", func() error { return n.initChaincode(ctx) }); err != nil {
			return err
		}
	}
	// A commit is awaited on one peer only: the others may lag a block, and
	// a script's first transaction as another organisation would then meet
	// a ledger without roles.
	if err := step("peers in sync", func() error { return n.waitPeersSynced(ctx) }); err != nil {
		return err
	}
	n.logf("%-28s %s", "network ready", elapsed(t0))
	return nil
}

// startAll starts every process that is not running and waits until each
// listens on its main port.
func (n *Network) startAll(ctx context.Context) error {
	specs := n.specs()
	// Check every port before starting anything, so a taken port fails fast
	// without leaving half a network behind.
	for _, s := range specs {
		if _, ok := n.running(s.Name); ok {
			continue
		}
		for _, p := range s.Ports {
			if err := portFree(s.Host, p); err != nil {
				return fmt.Errorf("cannot start %s: %w", s.Name, err)
			}
		}
	}
	for _, s := range specs {
		if err := n.startProc(s); err != nil {
			return err
		}
	}
	return withTimeout(ctx, 60*time.Second, func(ctx context.Context) error {
		errs := make(chan error, len(specs))
		for _, s := range specs {
			go func(s procSpec) {
				errs <- n.waitListening(ctx, s.Name, net.JoinHostPort(s.Host.Addr, strconv.Itoa(s.Ports[0])))
			}(s)
		}
		var first error
		for range specs {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		return first
	})
}

// specs returns every process's spec in start order.
func (n *Network) specs() []procSpec {
	var specs []procSpec
	for _, name := range n.processNames() {
		specs = append(specs, n.spec(name))
	}
	return specs
}

func (n *Network) spec(name string) procSpec {
	kind, org, _ := strings.Cut(name, ".")
	switch kind {
	case "orderer":
		return n.ordererSpec(org)
	case "peer":
		return n.peerSpec(org)
	case "chaincode":
		return n.chaincodeSpec(org)
	}
	return n.gethSpec()
}

// createChannel joins every orderer to the channel through the channel
// participation API, each with its own organisation's admin.
func (n *Network) createChannel(ctx context.Context) error {
	block, err := os.ReadFile(n.genesisBlock())
	if err != nil {
		return err
	}
	for _, org := range Orgs {
		o, err := orgca.Open(n.cryptoDir(org))
		if err != nil {
			return err
		}
		if err := consortium.JoinOrderer(ctx, o, n.ports.at(org, n.ports.OrdererAdmin(org)), block); err != nil {
			return err
		}
	}
	return n.update(func(s *state) { s.Channel = true })
}

// joinPeers joins each peer not yet joined to the channel.
func (n *Network) joinPeers(ctx context.Context) error {
	for _, org := range Orgs {
		if n.snapshot().Joined[org] {
			continue
		}
		var err error
		for attempt := 0; attempt < 20; attempt++ {
			var out []byte
			out, err = n.run(n.adminEnv(org), "peer", "channel", "join", "-b", n.genesisBlock())
			if err == nil || strings.Contains(string(out), "already exists") {
				err = nil
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
		if err != nil {
			return err
		}
		if err := n.update(func(s *state) {
			if s.Joined == nil {
				s.Joined = map[string]bool{}
			}
			s.Joined[org] = true
		}); err != nil {
			return err
		}
	}
	return nil
}

// Stop ends every process the network started, chaincode and peers first,
// and leaves the state directory in place for a later Start.
func (n *Network) Stop() error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	stop := func(names []string) {
		for _, name := range names {
			wg.Add(1)
			go func(name string) {
				defer wg.Done()
				if err := n.stopProc(name, 10*time.Second); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}(name)
		}
		wg.Wait()
	}
	var cc, peers, rest []string
	for _, name := range append(append(n.processNames(), candidateProcesses()...), nextChaincodeProcesses()...) {
		switch {
		case strings.HasPrefix(name, "chaincode."):
			cc = append(cc, name)
		case strings.HasPrefix(name, "peer."):
			peers = append(peers, name)
		default:
			rest = append(rest, name)
		}
	}
	stop(cc)
	stop(peers)
	stop(rest)
	return errors.Join(errs...)
}

// Purge stops the network and deletes its state directory.
func (n *Network) Purge() error {
	if err := n.Stop(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(n.dir, "network.json")); err != nil {
		// Refuse to delete a directory that is not a network's.
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	return os.RemoveAll(n.dir)
}

// Kill sends SIGKILL to one process (for fault tests); Restart starts it again.
func (n *Network) Kill(name string) error {
	pid, ok := n.running(name)
	if !ok {
		return fmt.Errorf("%s is not running", name)
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	if err := p.Kill(); err != nil {
		return err
	}
	for i := 0; i < 200; i++ {
		if _, ok := n.running(name); !ok {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s (pid %d) still alive after SIGKILL", name, pid)
}

// Restart starts a stopped or killed process and waits until it listens.
func (n *Network) Restart(ctx context.Context, name string) error {
	s := n.spec(name)
	if err := n.startProc(s); err != nil {
		return err
	}
	return withTimeout(ctx, 60*time.Second, func(ctx context.Context) error {
		return n.waitListening(ctx, name, net.JoinHostPort(s.Host.Addr, strconv.Itoa(s.Ports[0])))
	})
}

// waitPeersSynced waits until every organisation's peer has the highest
// block any of them has.
func (n *Network) waitPeersSynced(ctx context.Context) error {
	for {
		var lo, hi uint64
		for i, org := range Orgs {
			info, err := n.ChainInfo(ctx, org)
			if err != nil {
				return fmt.Errorf("chain height of %s's peer: %w", org, err)
			}
			h := info.GetHeight()
			if i == 0 || h < lo {
				lo = h
			}
			hi = max(hi, h)
		}
		if lo == hi {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("peers still at heights %d to %d: %w", lo, hi, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
