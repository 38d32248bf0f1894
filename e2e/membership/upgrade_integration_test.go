package membership_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/e2e/e2ecli"
	"github.com/trustline/trustline/internal/cli/consortiumcmd"
	"github.com/trustline/trustline/node/follower"
	"github.com/trustline/trustline/testnet"
	"github.com/trustline/trustline/testnet/testkit"
)

// TestIntegrationMembershipUpgrade: the chaincode is upgraded by the
// members' vote while workers keep writing, each write retried until it
// commits; afterwards the ledger holds every write exactly once (counted
// by transaction id), and a member's node indexed across the change.
func TestIntegrationMembershipUpgrade(t *testing.T) {
	n := testkit.Network(t)
	c, tmp := buildCLI(t, n)
	ctx := context.Background()
	dir := func(org string) string { return n.OrgDir(org) }
	chaincodeStatus := func() *consortiumcmd.ChaincodeStatus {
		t.Helper()
		var st consortiumcmd.Status
		out := c.Must("consortium", "status", "--org-dir", dir(testnet.Brand), "--profile", testnet.Brand, "-o", "json")
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status: %v\n%s", err, out)
		}
		return st.Chaincode
	}
	before := chaincodeStatus()
	if before == nil || before.Err != "" {
		t.Fatalf("chaincode status before: %+v", before)
	}
	version := fmt.Sprintf("%s.1", before.Version)
	t.Logf("before: chaincode %s version %s sequence %d", before.Name, before.Version, before.Sequence)

	// Brand's node follows the ledger through the change.
	nd := startNode(t, c, n, testnet.Brand, filepath.Join(tmp, "node-brand"), 27482)
	waitIndexed(t, nd, peerHeight(t, n, testnet.Brand), 3*time.Minute)

	conns := map[string]*tlclient.GatewayConn{}
	for _, org := range testnet.Orgs {
		conns[org] = dial(t, n, org)
	}
	startHeight := peerHeight(t, n, testnet.Brand)
	l := startExactLoad(conns, 4)
	defer l.stop(time.Minute)
	if !l.waitCommits(time.Now(), 5, time.Minute) {
		t.Fatalf("the load commits nothing")
	}

	refused := func(want string, args ...string) {
		t.Helper()
		out, errOut, code := c.Run(args...)
		if code != 3 || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("trustline %s: exit %d, want 3 and one line naming %q\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		if st := chaincodeStatus(); st.Version != before.Version || st.Sequence != before.Sequence {
			t.Errorf("after a refused %s the chaincode is %s sequence %d", args[1], st.Version, st.Sequence)
		}
	}
	// approve starts org's chaincode server of the new version next to the
	// old one, then installs org's package of it and approves it.
	ids := map[string]string{}
	tStart := time.Now()
	step := func(what string) {
		t.Logf("%6.1fs %s (%d commits so far)", time.Since(tStart).Seconds(), what, len(l.since(time.Time{})))
	}
	approve := func(org, cmd string) {
		t.Helper()
		defer step(org + " " + cmd)
		args := []string{"chaincode", cmd, "--org-dir", dir(org), "--version", version, "--address", n.NextChaincodeAddress(org)}
		ids[org] = strings.TrimSpace(c.Must(append(args, "--print-package-id")...))
		if err := n.StartNextChaincode(ctx, org, ids[org]); err != nil {
			t.Fatal(err)
		}
		if id := strings.TrimSpace(c.Must(args...)); id != ids[org] {
			t.Fatalf("%s installed package %s, its server runs %s", org, id, ids[org])
		}
	}

	t0 := time.Now()
	refused("no member approved trustline version "+version+" sequence "+fmt.Sprint(before.Sequence+1)+" yet",
		"chaincode", "approve-upgrade", "--org-dir", dir(testnet.Supplier), "--version", version, "--address", n.NextChaincodeAddress(testnet.Supplier))
	approve(testnet.Brand, "propose-upgrade")
	refused("too few approvals: 1 of 4 members approved trustline version "+version,
		"chaincode", "commit-upgrade", "--org-dir", dir(testnet.Lab), "--version", version)
	approve(testnet.Supplier, "approve-upgrade")
	refused("too few approvals: 2 of 4 members approved", "chaincode", "commit-upgrade", "--org-dir", dir(testnet.Lab), "--version", version)
	approve(testnet.Lab, "approve-upgrade")
	tc := time.Now()
	out := c.Must("chaincode", "commit-upgrade", "--org-dir", dir(testnet.Lab), "--version", version)
	if strings.TrimSpace(out) != fmt.Sprint(before.Sequence+1) {
		t.Errorf("commit-upgrade printed %q, want the new sequence %d", out, before.Sequence+1)
	}
	step("committed")
	// The fourth member approves after the commit, as a late member does.
	approve(testnet.Logistics, "approve-upgrade")
	// The old servers stop once every peer has the new definition.
	for _, org := range testnet.Orgs {
		waitDefinition(t, conns[org], before.Sequence+1, time.Minute)
	}
	step("every peer has the new definition")
	for _, org := range testnet.Orgs {
		if err := n.RetireChaincode(org, ids[org]); err != nil {
			t.Fatal(err)
		}
	}
	step("old servers stopped")
	tEnd := time.Now()
	if after := chaincodeStatus(); after.Version != version || after.Sequence != before.Sequence+1 {
		t.Errorf("chaincode after the upgrade: %+v", after)
	}
	// Only the new servers run now: the load must go on on them.
	if !l.waitCommits(time.Now(), 20, time.Minute) {
		t.Fatalf("commits stalled after the old chaincode servers stopped")
	}
	gap := longestGap(l.since(tc), tc, tEnd)
	t.Logf("FIGURE chaincode upgrade by vote (first proposal to the old servers stopped, with 3 refusal checks): %s; commit to old servers stopped %s; longest commit gap from the commit on: %s",
		tEnd.Sub(t0).Round(100*time.Millisecond), tEnd.Sub(tc).Round(100*time.Millisecond), gap.Round(10*time.Millisecond))

	step("load goes on on the new servers")
	l.stop(2 * time.Minute)
	step("load stopped")
	endHeight := ledgerTop(t, n)

	// Count: every write the load made is on the ledger exactly once.
	writes, attempts, retried, lost, duplicated, unfinished := l.countOnLedger(t, conns[testnet.Brand], startHeight, endHeight)
	loadAvg, _ := os.ReadFile("/proc/loadavg")
	t.Logf("FIGURE upgrade under load: %d writes in %d attempts (%d retried: refused or invalidated, none on the ledger as valid), %d lost, %d duplicated, %d unfinished, blocks %d to %d (load average %s)",
		writes, attempts, retried, lost, duplicated, unfinished, startHeight, endHeight-1, strings.Join(strings.Fields(string(loadAvg))[:3], " "))
	for _, r := range l.reasons() {
		t.Logf("retry reason: %s", r)
	}
	if lost != 0 || duplicated != 0 || unfinished != 0 || writes == 0 {
		t.Errorf("writes %d: %d lost, %d duplicated, %d unfinished; want none", writes, lost, duplicated, unfinished)
	}

	// The node indexed across the version change.
	waitIndexed(t, nd, endHeight, 2*time.Minute)
}

// buildCLI builds the trustline command once per package run, into the
// network's state directory.
func buildCLI(t testing.TB, n *testnet.Network) (*e2ecli.CLI, string) {
	t.Helper()
	cliOnce.Do(func() {
		cliBin = filepath.Join(n.Dir(), "trustline-under-test")
		if b, err := exec.Command("go", "build", "-o", cliBin, "github.com/trustline/trustline/cmd/trustline").CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("building trustline: %v\n%s", err, b)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	tmp := t.TempDir()
	return &e2ecli.CLI{T: t, Bin: cliBin, Dir: n.Dir(), Tmp: tmp}, tmp
}

var (
	cliOnce sync.Once
	cliBin  string
	cliErr  error
)

// waitDefinition waits until the peer behind conn has committed sequence
// of the chaincode definition.
func waitDefinition(t *testing.T, conn *tlclient.GatewayConn, sequence int64, within time.Duration) {
	t.Helper()
	arg, _ := proto.Marshal(&lifecycle.QueryChaincodeDefinitionArgs{Name: testnet.ChaincodeName})
	for deadline := time.Now().Add(within); ; time.Sleep(200 * time.Millisecond) {
		var seq int64
		b, err := conn.Network().GetContract("_lifecycle").Evaluate("QueryChaincodeDefinition", client.WithBytesArguments(arg))
		if err == nil {
			var r lifecycle.QueryChaincodeDefinitionResult
			if err = proto.Unmarshal(b, &r); err == nil {
				seq = r.Sequence
			}
		}
		if err == nil && seq >= sequence {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's peer has not committed sequence %d within %s (at %d, %v)", conn.Config().MSPID, sequence, within, seq, err)
		}
	}
}

// --- a load that writes each value exactly once -------------------------------

// exactLoad's workers write System:Ping nonces through the founding
// members' gateways, round robin; a write whose attempt is refused or
// invalidated is retried with a new transaction until one commits, as a
// careful client does. Every attempt's transaction id is kept, to count
// against the ledger.
type exactLoad struct {
	started  time.Time
	stopping atomic.Bool
	hardStop context.CancelFunc
	ctx      context.Context
	wg       sync.WaitGroup
	mu       sync.Mutex
	commits  []commit
	writes   map[string]*write // by nonce
	why      map[string]int
	conns    map[string]*tlclient.GatewayConn
}

type write struct {
	attempts []string // transaction ids, in order
	done     string   // the attempt reported committed
}

func startExactLoad(conns map[string]*tlclient.GatewayConn, workers int) *exactLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &exactLoad{started: time.Now(), hardStop: cancel, ctx: ctx, writes: map[string]*write{}, why: map[string]int{}, conns: conns}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; !l.stopping.Load(); i++ {
				nonce := fmt.Sprintf("u-%d-%d-%d", w, i, time.Now().UnixNano())
				for try := 0; ctx.Err() == nil; try++ {
					org := testnet.Orgs[(w+i+try)%len(testnet.Orgs)]
					if l.attempt(ctx, conns[org], nonce) {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

// attempt makes one attempt at writing nonce and says whether it committed.
func (l *exactLoad) attempt(ctx context.Context, conn *tlclient.GatewayConn, nonce string) bool {
	prop, err := conn.Contract().NewProposal("System:Ping", client.WithArguments(nonce))
	if err != nil {
		l.retry("proposal: " + err.Error())
		return false
	}
	l.mu.Lock()
	wr := l.writes[nonce]
	if wr == nil {
		wr = &write{}
		l.writes[nonce] = wr
	}
	wr.attempts = append(wr.attempts, prop.TransactionID())
	l.mu.Unlock()
	sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	tx, err := prop.EndorseWithContext(sctx)
	if err != nil {
		why := strings.Join(endorseDetails(err), "; ")
		if why == "" {
			why = err.Error() // no peer answered: the gateway itself
		}
		l.retry("endorse: " + why)
		return false
	}
	cm, err := tx.SubmitWithContext(sctx)
	if err != nil {
		// The orderer may have it all the same: ask the ledger before
		// writing again, or the write could be recorded twice.
		if l.settled(ctx, conn, prop.TransactionID(), "submit: "+err.Error()) {
			return l.committed(wr, prop.TransactionID())
		}
		return false
	}
	st, err := cm.StatusWithContext(sctx)
	if err != nil {
		// Submitted, outcome unknown (the gateway went away): the same.
		if l.settled(ctx, conn, prop.TransactionID(), "status: "+err.Error()) {
			return l.committed(wr, prop.TransactionID())
		}
		return false
	}
	if !st.Successful {
		l.retry("invalidated: " + st.Code.String())
		return false
	}
	return l.committed(wr, prop.TransactionID())
}

// committed notes that wr's attempt txID committed.
func (l *exactLoad) committed(wr *write, txID string) bool {
	l.mu.Lock()
	wr.done = txID
	l.commits = append(l.commits, commit{at: time.Now()})
	l.mu.Unlock()
	return true
}

// settled learns the outcome of a submitted transaction whose commit
// status the client did not get, as a careful client does: it asks
// another member's peer (qscc GetTransactionByID) until the transaction is
// on the ledger or 30 s have passed with it nowhere. It says whether the
// transaction committed valid; otherwise the write is retried (why).
func (l *exactLoad) settled(ctx context.Context, via *tlclient.GatewayConn, txID, why string) bool {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(500 * time.Millisecond) {
		for _, org := range testnet.Orgs {
			conn := l.conns[org]
			if conn == nil || conn == via {
				continue
			}
			qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			b, err := conn.Network().GetContract("qscc").EvaluateWithContext(qctx, "GetTransactionByID", client.WithArguments(conn.Network().Name(), txID))
			cancel()
			if err != nil {
				continue // not (yet) on this peer's ledger, or the peer is away
			}
			var pt peer.ProcessedTransaction
			if proto.Unmarshal(b, &pt) != nil {
				continue
			}
			if pt.GetValidationCode() == int32(peer.TxValidationCode_VALID) {
				l.retry("settled by the ledger after " + why)
				return true
			}
			l.retry("invalidated after " + why)
			return false
		}
	}
	l.retry(why)
	return false
}

func (l *exactLoad) retry(reason string) {
	reason, _, _ = strings.Cut(reason, "\n")
	if len(reason) > 240 {
		reason = reason[:240]
	}
	l.mu.Lock()
	l.why[reason]++
	l.mu.Unlock()
}

func (l *exactLoad) reasons() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rs []string
	for r, k := range l.why {
		rs = append(rs, fmt.Sprintf("%d× %s", k, r))
	}
	return rs
}

// stop lets each worker finish its write (retrying until it commits), for
// at most within, then stops them.
func (l *exactLoad) stop(within time.Duration) {
	l.stopping.Store(true)
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(within):
		l.hardStop()
		<-done
	}
	l.hardStop()
}

func (l *exactLoad) since(t time.Time) []commit {
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

func (l *exactLoad) waitCommits(t time.Time, k int, within time.Duration) bool {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if len(l.since(t)) >= k {
			return true
		}
	}
	return false
}

// countOnLedger reads blocks from to to-1 from conn's peer and counts the
// load's writes against their valid transactions (see count).
func (l *exactLoad) countOnLedger(t *testing.T, conn *tlclient.GatewayConn, from, to uint64) (writes, attempts, retried, lost, duplicated, unfinished int) {
	t.Helper()
	valid := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	blocks, err := follower.Gateway{Network: conn.Network()}.Blocks(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	for b := range blocks {
		if b.Err != nil {
			t.Fatal(b.Err)
		}
		for _, tx := range b.Txs {
			if tx.Valid {
				valid[tx.ID]++
			}
		}
		if b.Number+1 >= to {
			break
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("reading blocks %d to %d: %v", from, to-1, ctx.Err())
	}
	return l.count(valid)
}

// count holds the writes against the ledger's valid transactions: a write
// is lost when no attempt of it is valid on the ledger (or the one
// reported committed is not), duplicated when more than one is, and
// unfinished when the load stopped before any attempt committed.
func (l *exactLoad) count(valid map[string]int) (writes, attempts, retried, lost, duplicated, unfinished int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, wr := range l.writes {
		writes++
		attempts += len(wr.attempts)
		retried += len(wr.attempts) - 1
		onLedger := 0
		for _, id := range wr.attempts {
			onLedger += valid[id]
		}
		switch {
		case wr.done == "":
			unfinished++
		case valid[wr.done] != 1:
			lost++
		}
		if onLedger > 1 {
			duplicated++
		}
	}
	return
}
