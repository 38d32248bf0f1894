package ethanchor

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/trustline/trustline/ethanchor/anchortest"
	"github.com/trustline/trustline/merkle"
)

type simChain struct {
	chain *anchortest.Chain
	sim   *simulated.Backend
	b     Backend
	keys  []*ecdsa.PrivateKey
}

// newSim starts an in-process chain with n funded keys.
func newSim(t testing.TB, n int) *simChain {
	t.Helper()
	c := anchortest.New(t, anchortest.Options{Keys: n})
	return &simChain{chain: c, sim: c.Sim, b: c.Client(), keys: c.Keys}
}

// autoCommit mines blocks all the time, as a dev chain does, until stop is
// called or the test ends.
func (s *simChain) autoCommit(t testing.TB) (stop func()) { return s.chain.AutoMine(t) }

var fast = Options{Backoff: time.Millisecond, PollInterval: 5 * time.Millisecond}

func (s *simChain) deploy(t testing.TB) common.Address {
	t.Helper()
	addr, err := Deploy(context.Background(), s.b, s.keys[0])
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func testWindow(seed string, from, to uint64) Window {
	ids := []string{"ni:///sha-256;" + seed + "1?ver=CBV2.0", "ni:///sha-256;" + seed + "2?ver=CBV2.0"}
	return Window{Channel: "trustline", FromBlock: from, ToBlock: to, Root: merkle.NewWindow(ids).Tree().Root()}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAnchorReadBackVerify(t *testing.T) {
	s := newSim(t, 1)
	s.autoCommit(t)
	ctx := ctxT(t)
	contract := s.deploy(t)
	a, err := NewAnchorer(ctx, s.b, contract, s.keys[0], fast)
	if err != nil {
		t.Fatal(err)
	}
	w := testWindow("aa", 10, 19)
	r, err := a.Anchor(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if r.Window != w || r.Submitter != a.Address() || r.Contract != contract || r.ChainID.Int64() != 1337 || r.GasUsed == 0 || r.BlockNumber == 0 {
		t.Fatalf("receipt %+v", r)
	}
	t.Logf("gas per anchor (Osaka rules, channel %q): %d", w.Channel, r.GasUsed)

	got, err := a.Anchors(ctx, Filter{Root: &w.Root})
	if err != nil {
		t.Fatal(err)
	}
	want := r
	want.GasUsed = 0
	if len(got) != 1 || got[0].TxHash != want.TxHash || got[0].Window != want.Window || got[0].BlockHash != want.BlockHash || got[0].LogIndex != want.LogIndex || got[0].Submitter != want.Submitter {
		t.Fatalf("Anchors = %+v, want [%+v]", got, want)
	}

	reader, err := NewClient(ctx, s.b, contract, fast)
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.VerifyAnchor(ctx, r, w.Root); err != nil {
		t.Fatalf("VerifyAnchor: %v", err)
	}
	other := testWindow("bb", 0, 0).Root
	for _, tc := range []struct {
		name   string
		modify func(*Receipt)
		root   merkle.Hash
		want   error
	}{
		{"recomputed root differs", func(*Receipt) {}, other, ErrMismatch},
		{"receipt root forged", func(r *Receipt) { r.Root = other }, other, ErrMismatch},
		{"channel", func(r *Receipt) { r.Channel = "other" }, w.Root, ErrMismatch},
		{"from block", func(r *Receipt) { r.FromBlock = 9 }, w.Root, ErrMismatch},
		{"to block", func(r *Receipt) { r.ToBlock = 20 }, w.Root, ErrMismatch},
		{"submitter", func(r *Receipt) { r.Submitter = common.Address{1} }, w.Root, ErrMismatch},
		{"block hash", func(r *Receipt) { r.BlockHash = common.Hash{1} }, w.Root, ErrMismatch},
		{"contract", func(r *Receipt) { r.Contract = common.Address{2} }, w.Root, ErrMismatch},
		{"log index", func(r *Receipt) { r.LogIndex = 7 }, w.Root, ErrNotFound},
		{"tx hash", func(r *Receipt) { r.TxHash = common.Hash{3} }, w.Root, ErrNotFound},
		{"chain", func(r *Receipt) { r.ChainID = big.NewInt(1) }, w.Root, ErrWrongChain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := r
			tc.modify(&bad)
			if err := reader.VerifyAnchor(ctx, bad, tc.root); !errors.Is(err, tc.want) {
				t.Fatalf("VerifyAnchor = %v, want %v", err, tc.want)
			}
		})
	}
	deep, _ := NewClient(ctx, s.b, contract, Options{Confirmations: 5})
	if err := deep.VerifyAnchor(ctx, r, w.Root); !errors.Is(err, ErrNotConfirmed) {
		t.Fatalf("VerifyAnchor at depth 5 = %v, want ErrNotConfirmed", err)
	}
}

func TestCoAttestation(t *testing.T) {
	s := newSim(t, 3)
	s.autoCommit(t)
	ctx := ctxT(t)
	contract := s.deploy(t)
	var as []*Anchorer
	for _, k := range s.keys {
		a, err := NewAnchorer(ctx, s.b, contract, k, fast)
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, a)
	}
	w := testWindow("cc", 100, 149)
	next := testWindow("dd", 150, 199)
	otherChannel := w
	otherChannel.Channel = "recall"
	for _, step := range []struct {
		a *Anchorer
		w Window
	}{{as[0], w}, {as[1], w}, {as[2], next}, {as[0], otherChannel}} {
		if _, err := step.a.Anchor(ctx, step.w); err != nil {
			t.Fatal(err)
		}
	}
	block := uint64(120)
	for _, tc := range []struct {
		name string
		f    Filter
		want []common.Address
	}{
		{"root", Filter{Root: &w.Root}, []common.Address{as[0].Address(), as[1].Address(), as[0].Address()}},
		{"root and channel", Filter{Root: &w.Root, Channel: "trustline"}, []common.Address{as[0].Address(), as[1].Address()}},
		{"submitter", Filter{Submitters: []common.Address{as[1].Address(), as[2].Address()}}, []common.Address{as[1].Address(), as[2].Address()}},
		{"block", Filter{Block: &block, Channel: "trustline"}, []common.Address{as[0].Address(), as[1].Address()}},
		{"all", Filter{}, []common.Address{as[0].Address(), as[1].Address(), as[2].Address(), as[0].Address()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := as[2].Anchors(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var subs []common.Address
			for _, r := range got {
				subs = append(subs, r.Submitter)
			}
			if len(subs) != len(tc.want) {
				t.Fatalf("submitters %v, want %v", subs, tc.want)
			}
			for i := range subs {
				if subs[i] != tc.want[i] {
					t.Fatalf("submitters %v, want %v", subs, tc.want)
				}
			}
		})
	}
}

func TestInvalidWindow(t *testing.T) {
	s := newSim(t, 1)
	s.autoCommit(t)
	ctx := ctxT(t)
	a, err := NewAnchorer(ctx, s.b, s.deploy(t), s.keys[0], fast)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []Window{{Channel: "c", FromBlock: 2, ToBlock: 1}, {FromBlock: 1, ToBlock: 1}} {
		if _, err := a.Anchor(ctx, w); !errors.Is(err, ErrInvalidWindow) {
			t.Errorf("Anchor(%+v) = %v, want ErrInvalidWindow", w, err)
		}
		// The contract refuses it too.
		data := a.abi.PackAnchor(w.Root, w.FromBlock, w.ToBlock, w.Channel)
		if _, err := s.b.EstimateGas(ctx, ethereum.CallMsg{From: a.from, To: &a.contract, Data: data}); err == nil {
			t.Errorf("contract accepted %+v", w)
		}
	}
	if _, err := NewClient(ctx, s.b, common.Address{9}, fast); !errors.Is(err, ErrNoCode) {
		t.Errorf("NewClient without code = %v, want ErrNoCode", err)
	}
}

// faulty wraps a Backend: it fails the first calls of chosen methods, sends
// a transaction and then loses the answer, or under-estimates gas.
type faulty struct {
	Backend
	mu        sync.Mutex
	failures  map[string]int // method -> calls left to fail
	err       error          // what they fail with
	calls     map[string]int
	sendLost  int                 // sends that reach the chain but answer with an error
	estimate  func(uint64) uint64 // rewrites gas estimates
	estimated []uint64
}

func newFaulty(b Backend, err error, failures map[string]int) *faulty {
	return &faulty{Backend: b, err: err, failures: failures, calls: map[string]int{}}
}

func (f *faulty) fail(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	if f.failures[method] > 0 {
		f.failures[method]--
		return f.err
	}
	return nil
}

func (f *faulty) ChainID(ctx context.Context) (*big.Int, error) {
	if err := f.fail("ChainID"); err != nil {
		return nil, err
	}
	return f.Backend.ChainID(ctx)
}

func (f *faulty) EstimateGas(ctx context.Context, msg ethereum.CallMsg) (uint64, error) {
	if err := f.fail("EstimateGas"); err != nil {
		return 0, err
	}
	g, err := f.Backend.EstimateGas(ctx, msg)
	if err == nil && f.estimate != nil {
		g = f.estimate(g)
	}
	f.mu.Lock()
	f.estimated = append(f.estimated, g)
	f.mu.Unlock()
	return g, err
}

func (f *faulty) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := f.fail("SendTransaction"); err != nil {
		return err
	}
	f.mu.Lock()
	lose := f.sendLost > 0
	if lose {
		f.sendLost--
	}
	f.mu.Unlock()
	if err := f.Backend.SendTransaction(ctx, tx); err != nil || !lose {
		return err
	}
	return syscall.ECONNRESET
}

func (f *faulty) TransactionReceipt(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	if err := f.fail("TransactionReceipt"); err != nil {
		return nil, err
	}
	return f.Backend.TransactionReceipt(ctx, h)
}

func (f *faulty) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	if err := f.fail("FilterLogs"); err != nil {
		return nil, err
	}
	return f.Backend.FilterLogs(ctx, q)
}

// A query to the latest block is made again when geth answers that its
// start is past the head (its log view lags the head a moment after a
// block); one with an end is not.
func TestAnchorsLatestLag(t *testing.T) {
	s := newSim(t, 1)
	s.autoCommit(t)
	ctx := ctxT(t)
	contract := s.deploy(t)
	lag := errors.New(invalidBlockRange)
	for _, tc := range []struct {
		name    string
		end     *uint64
		calls   int
		wantErr bool
	}{
		{"to the latest block", nil, 2, false},
		{"to a given block", new(uint64), 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFaulty(s.b, lag, map[string]int{"FilterLogs": 1})
			c, err := NewClient(ctx, f, contract, fast)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Anchors(ctx, Filter{End: tc.end})
			if gotErr := err != nil; gotErr != tc.wantErr || f.calls["FilterLogs"] != tc.calls {
				t.Errorf("Anchors: %v after %d calls; want error %v after %d", err, f.calls["FilterLogs"], tc.wantErr, tc.calls)
			}
		})
	}
}

func (s *simChain) nonce(t testing.TB, i int) uint64 { return s.nonceAt(t, i, nil) }

// nonceAt is key i's nonce in the state of block (nil: the latest). After an
// anchor, read it at the anchor's block: with AutoMine committing in the
// background, the receipt can be served before "latest" moves to its block.
func (s *simChain) nonceAt(t testing.TB, i int, block *big.Int) uint64 {
	n, err := s.sim.Client().NonceAt(context.Background(), crypto.PubkeyToAddress(s.keys[i].PublicKey), block)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRetryTransient(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		failures int
		retries  int
		wantErr  bool
	}{
		{"http 503 retried", rpc.HTTPError{StatusCode: 503, Status: "503 Service Unavailable"}, 2, 0, false},
		{"connection reset retried", syscall.ECONNRESET, 3, 0, false},
		{"rate limit retried", errors.New("429 Too Many Requests"), 1, 0, false},
		{"retries exhausted", syscall.ECONNREFUSED, 3, 2, true},
		{"not transient", errors.New("invalid sender"), 1, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, 1)
			s.autoCommit(t)
			ctx := ctxT(t)
			contract := s.deploy(t)
			f := newFaulty(s.b, tc.err, map[string]int{
				"ChainID": tc.failures, "EstimateGas": tc.failures, "SendTransaction": tc.failures, "TransactionReceipt": tc.failures,
			})
			opts := fast
			opts.Retries = tc.retries
			a, err := NewAnchorer(ctx, f, contract, s.keys[0], opts)
			var r Receipt
			if err == nil {
				r, err = a.Anchor(ctx, testWindow("ee", 1, 2))
			}
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				if !errors.Is(err, tc.err) {
					t.Errorf("error %v does not wrap the injected %v", err, tc.err)
				}
				return
			}
			for _, m := range []string{"ChainID", "EstimateGas", "SendTransaction"} {
				if f.calls[m] != tc.failures+1 {
					t.Errorf("%s called %d times, want %d", m, f.calls[m], tc.failures+1)
				}
			}
			if n := s.nonceAt(t, 0, new(big.Int).SetUint64(r.BlockNumber)); n != 2 { // deployment + one anchor
				t.Errorf("nonce %d: want 2 (one anchor transaction)", n)
			}
		})
	}
}

// A send whose answer is lost must be resent as the same transaction: one
// anchor, not two.
func TestLostSendAnswer(t *testing.T) {
	s := newSim(t, 1)
	s.autoCommit(t)
	ctx := ctxT(t)
	contract := s.deploy(t)
	f := newFaulty(s.b, nil, nil)
	f.sendLost = 1
	a, err := NewAnchorer(ctx, f, contract, s.keys[0], fast)
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.Anchor(ctx, testWindow("ff", 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if f.calls["SendTransaction"] != 2 {
		t.Errorf("SendTransaction called %d times, want 2", f.calls["SendTransaction"])
	}
	if n := s.nonceAt(t, 0, new(big.Int).SetUint64(r.BlockNumber)); n != 2 {
		t.Errorf("nonce %d: want 2 (deployment and one anchor)", n)
	}
}

func TestGasUnderEstimate(t *testing.T) {
	s := newSim(t, 1)
	s.autoCommit(t)
	ctx := ctxT(t)
	contract := s.deploy(t)
	a, err := NewAnchorer(ctx, s.b, contract, s.keys[0], fast)
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.Anchor(ctx, testWindow("gg", 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	need := first.GasUsed
	// An estimate that the 25% margin lifts to just under the need: above
	// the intrinsic gas, so the chain includes it and it runs out of gas.
	short := func(uint64) uint64 { return uint64(float64(need-600) / 1.25) }

	t.Run("retried with more gas", func(t *testing.T) {
		f := newFaulty(s.b, nil, nil)
		f.estimate = short
		a, err := NewAnchorer(ctx, f, contract, s.keys[0], fast)
		if err != nil {
			t.Fatal(err)
		}
		before := s.nonce(t, 0)
		r, err := a.Anchor(ctx, testWindow("hh", 3, 4))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.nonceAt(t, 0, new(big.Int).SetUint64(r.BlockNumber)) - before; got != 2 {
			t.Errorf("%d transactions, want 2 (out of gas, then retried)", got)
		}
		if err := a.VerifyAnchor(ctx, r, r.Root); err != nil {
			t.Error(err)
		}
	})
	t.Run("gives up", func(t *testing.T) {
		f := newFaulty(s.b, nil, nil)
		f.estimate = short
		opts := fast
		opts.GasAttempts = 1
		a, err := NewAnchorer(ctx, f, contract, s.keys[0], opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Anchor(ctx, testWindow("ii", 5, 6)); !errors.Is(err, ErrOutOfGas) {
			t.Fatalf("Anchor = %v, want ErrOutOfGas", err)
		}
	})
}

// TestConfirmations mines blocks one at a time and checks that Anchor
// reports only once the anchor's block is Confirmations deep.
func TestConfirmations(t *testing.T) {
	const depth = 3
	s := newSim(t, 1)
	ctx := ctxT(t)
	stop := s.autoCommit(t)
	contract := s.deploy(t)
	stop()
	opts := fast
	opts.Confirmations = depth
	a, err := NewAnchorer(ctx, s.b, contract, s.keys[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		r   Receipt
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := a.Anchor(ctx, testWindow("jj", 7, 8))
		done <- result{r, err}
	}()
	// Wait until the anchor is in the pool.
	before := s.nonce(t, 0)
	for {
		n, err := s.sim.Client().PendingNonceAt(ctx, a.Address())
		if err != nil {
			t.Fatal(err)
		}
		if n > before {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	var included uint64
	for d := uint64(0); d <= depth; d++ {
		s.sim.Commit()
		head, err := s.b.BlockNumber(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d == 0 {
			included = head
		}
		// Long enough for several polls at 5ms; longer when it must come.
		wait := 150 * time.Millisecond
		if d == depth {
			wait = 10 * time.Second
		}
		select {
		case res := <-done:
			if res.err != nil {
				t.Fatal(res.err)
			}
			if d < depth {
				t.Fatalf("Anchor reported at depth %d, want %d", d, depth)
			}
			if res.r.BlockNumber != included {
				t.Fatalf("receipt block %d, anchor included in %d", res.r.BlockNumber, included)
			}
			if err := a.VerifyAnchor(ctx, res.r, res.r.Root); err != nil {
				t.Fatal(err)
			}
			return
		case <-time.After(wait):
			if d == depth {
				t.Fatalf("Anchor not reported at depth %d", depth)
			}
			if got, err := a.Depth(ctx, included); err != nil || got != d {
				t.Fatalf("Depth = %d, %v; want %d", got, err, d)
			}
		}
	}
}

// TestGasPerAnchor measures an anchor's gas under mainnet rules for channel
// names of several lengths (the name is calldata and log data).
func TestGasPerAnchor(t *testing.T) {
	s := newSim(t, 1)
	s.autoCommit(t)
	ctx := ctxT(t)
	a, err := NewAnchorer(ctx, s.b, s.deploy(t), s.keys[0], fast)
	if err != nil {
		t.Fatal(err)
	}
	for i, ch := range []string{"trustline", "trustline-eu-fresh-produce-recalls"} {
		w := testWindow("kk", uint64(i*100), uint64(i*100+99))
		w.Channel = ch
		r, err := a.Anchor(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		// A log costs 375 + 375 per topic + 8 per data byte; a storage
		// write would be 20000 more. Keep anchors log-only and cheap.
		if r.GasUsed > 40_000 {
			t.Errorf("channel %q: %d gas per anchor, budget 40000", ch, r.GasUsed)
		}
		t.Logf("channel %q (%d bytes): %d gas per anchor", ch, len(ch), r.GasUsed)
	}
}

func BenchmarkAnchor(b *testing.B) {
	s := newSim(b, 1)
	s.autoCommit(b)
	ctx := context.Background()
	a, err := NewAnchorer(ctx, s.b, s.deploy(b), s.keys[0], fast)
	if err != nil {
		b.Fatal(err)
	}
	var gas uint64
	i := uint64(0)
	for b.Loop() {
		r, err := a.Anchor(ctx, testWindow("ll", i, i+9))
		if err != nil {
			b.Fatal(err)
		}
		gas += r.GasUsed
		i += 10
	}
	b.ReportMetric(float64(gas)/float64(b.N), "gas/anchor")
}

// With a confirmation depth, Anchors of Confirmed lists an anchor only
// once that many blocks follow it, so a receipt never points at one a
// reorg may undo.
func TestAnchorsOnlyConfirmed(t *testing.T) {
	s := newSim(t, 1)
	stop := s.autoCommit(t)
	ctx := ctxT(t)
	contract := s.deploy(t)
	a, err := NewAnchorer(ctx, s.b, contract, s.keys[0], fast)
	if err != nil {
		t.Fatal(err)
	}
	w := testWindow("cc", 0, 9)
	r, err := a.Anchor(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	deep, err := NewClient(ctx, s.b, contract, Options{Confirmations: 5, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for {
		head, err := s.b.BlockNumber(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := deep.Anchors(ctx, Filter{Root: &w.Root, Confirmed: true})
		if err != nil {
			t.Fatal(err)
		}
		// Its own anchor a node finds at any depth, so as not to send it again.
		if all, err := deep.Anchors(ctx, Filter{Root: &w.Root}); err != nil || len(all) != 1 {
			t.Fatalf("unconfirmed lookup: %d anchors, %v", len(all), err)
		}
		confirmed := head-r.BlockNumber >= 5
		if confirmed != (len(got) == 1) {
			t.Fatalf("anchor in block %d, head %d: Anchors = %d anchors", r.BlockNumber, head, len(got))
		}
		if confirmed {
			break
		}
		s.sim.Commit()
	}
}
