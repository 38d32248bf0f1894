// Package e2eload is the steady load of writes that end-to-end tests keep
// running while they change the network (membership, upgrades,
// certificates, faults), and the figures they report about it: each write
// is retried until it commits, as a careful client does, and afterwards
// counted against the ledger by transaction id (none lost, none recorded
// twice, none left unfinished); the longest time without a commit; the
// machine's load average. Import it from tests only.
package e2eload

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	tlclient "github.com/trustline/trustline/client"
	"github.com/trustline/trustline/testnet"
)

// Load's workers write System:Ping nonces through the given members'
// gateways, round robin; a write whose attempt is refused or invalidated
// is retried with a new transaction until one commits. Every attempt's
// transaction id is kept, to count against the ledger.
type Load struct {
	// Started is when the load began.
	Started time.Time

	orgs     []string
	conns    map[string]*tlclient.GatewayConn
	stopping atomic.Bool
	hardStop context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	commits  []time.Time
	writes   map[string]*write // by nonce
	why      map[string]int
}

type write struct {
	attempts []string // transaction ids, in order
	done     string   // the attempt reported committed
}

// Start starts workers writing through conns (organisation name to its
// gateway connection).
func Start(conns map[string]*tlclient.GatewayConn, workers int) *Load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Load{Started: time.Now(), hardStop: cancel, conns: conns, writes: map[string]*write{}, why: map[string]int{}}
	for _, org := range append(slices.Clone(testnet.Orgs), testnet.Candidates...) {
		if conns[org] != nil {
			l.orgs = append(l.orgs, org)
		}
	}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; !l.stopping.Load(); i++ {
				nonce := fmt.Sprintf("u-%d-%d-%d", w, i, time.Now().UnixNano())
				for try := 0; ctx.Err() == nil; try++ {
					org := l.orgs[(w+i+try)%len(l.orgs)]
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
func (l *Load) attempt(ctx context.Context, conn *tlclient.GatewayConn, nonce string) bool {
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
		why := strings.Join(EndorseDetails(err), "; ")
		if why == "" {
			why = err.Error() // no peer answered: the gateway itself
		}
		l.retry("endorse: " + why)
		return false
	}
	cm, err := tx.SubmitWithContext(sctx)
	if err != nil {
		// The orderer may have it all the same: learn its outcome before
		// writing again, or the write could be recorded twice.
		if l.settled(ctx, conn, tx, "submit: "+err.Error()) {
			return l.committed(wr, prop.TransactionID())
		}
		return false
	}
	st, err := cm.StatusWithContext(sctx)
	if err != nil {
		// Submitted, outcome unknown (the gateway went away): the same.
		if l.settled(ctx, conn, tx, "status: "+err.Error()) {
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
func (l *Load) committed(wr *write, txID string) bool {
	l.mu.Lock()
	wr.done = txID
	l.commits = append(l.commits, time.Now())
	l.mu.Unlock()
	return true
}

// settled learns the outcome of a submitted transaction whose commit
// status the client did not get, as a careful client does: it asks the
// other members' peers (qscc GetTransactionByID) until the transaction is
// on the ledger, and says whether it committed valid (otherwise the write
// is retried). Meanwhile it submits the same signed transaction again
// through another member's gateway every resubmitEvery: a copy that
// reaches the ledger after the first is marked DUPLICATE_TXID, so the
// write is recorded once however many copies are ordered. Writing it
// anew under another transaction id while the first may still be ordered
// could record it twice (seen once in a CI run: a transaction whose
// gateway went away was on no peer for 30 s, was written again, and both
// committed); so that happens only once settleWithin has passed with
// every resubmission refused and the transaction on no ledger: the
// ordering service will not take it (its signer was removed, say).
func (l *Load) settled(ctx context.Context, via *tlclient.GatewayConn, tx *client.Transaction, why string) bool {
	txID := tx.TransactionID()
	raw, err := tx.Bytes()
	if err != nil {
		l.retry("serialising the transaction to resubmit it: " + err.Error())
	}
	accepted := false // a resubmission was taken by a gateway
	next := time.Now().Add(resubmitEvery)
	for deadline := time.Now().Add(settleWithin); ctx.Err() == nil; time.Sleep(500 * time.Millisecond) {
		switch found, valid := l.onLedger(ctx, via, txID); {
		case found && valid:
			l.retry("settled by the ledger after " + why)
			return true
		case found:
			l.retry("invalidated after " + why)
			return false
		}
		if raw != nil && time.Now().After(next) {
			accepted = l.resubmit(ctx, via, raw) || accepted
			next = time.Now().Add(resubmitEvery)
		}
		if !accepted && time.Now().After(deadline) {
			l.retry("refused by every gateway after " + why)
			return false
		}
	}
	l.retry(why)
	return false
}

const (
	resubmitEvery = 5 * time.Second
	settleWithin  = time.Minute
)

// onLedger asks the members' peers other than via's whether txID is on
// the ledger, and whether valid.
func (l *Load) onLedger(ctx context.Context, via *tlclient.GatewayConn, txID string) (found, valid bool) {
	for _, org := range l.orgs {
		conn := l.conns[org]
		if conn == via {
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
		return true, pt.GetValidationCode() == int32(peer.TxValidationCode_VALID)
	}
	return false, false
}

// resubmit submits the signed transaction raw again through the first
// other member's gateway that takes it, and says whether one did.
func (l *Load) resubmit(ctx context.Context, via *tlclient.GatewayConn, raw []byte) bool {
	for _, org := range l.orgs {
		conn := l.conns[org]
		if conn == via {
			continue
		}
		tx, err := conn.NewTransaction(raw)
		if err != nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = tx.SubmitWithContext(sctx)
		cancel()
		if err == nil {
			return true
		}
	}
	return false
}

func (l *Load) retry(reason string) {
	reason, _, _ = strings.Cut(reason, "\n")
	if len(reason) > 240 {
		reason = reason[:240]
	}
	l.mu.Lock()
	l.why[reason]++
	l.mu.Unlock()
}

// Reasons are why attempts were retried, with their counts.
func (l *Load) Reasons() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rs []string
	for r, k := range l.why {
		rs = append(rs, fmt.Sprintf("%d× %s", k, r))
	}
	sort.Strings(rs)
	return rs
}

// Stop lets each worker finish its write (retrying until it commits), for
// at most within, then stops them.
func (l *Load) Stop(within time.Duration) {
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

// Since returns the times of the commits after t.
func (l *Load) Since(t time.Time) []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var cs []time.Time
	for _, at := range l.commits {
		if at.After(t) {
			cs = append(cs, at)
		}
	}
	return cs
}

// WaitCommits waits until k writes committed after t, for at most within.
func (l *Load) WaitCommits(t time.Time, k int, within time.Duration) bool {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if len(l.Since(t)) >= k {
			return true
		}
	}
	return false
}

// LongestGap is the longest time without a commit between from and to.
func (l *Load) LongestGap(from, to time.Time) time.Duration {
	return LongestGap(l.Since(from), from, to)
}

// Count is the load's writes held against the ledger.
type Count struct {
	Writes, Attempts, Retried int
	// Lost: no attempt of the write is valid on the ledger, or the one
	// reported committed is not. Duplicated: more than one attempt is
	// valid. Unfinished: the load stopped before any attempt committed.
	Lost, Duplicated, Unfinished int
}

func (c Count) String() string {
	return fmt.Sprintf("%d writes in %d attempts (%d retried), %d lost, %d duplicated, %d unfinished",
		c.Writes, c.Attempts, c.Retried, c.Lost, c.Duplicated, c.Unfinished)
}

// Exact says every write committed exactly once (and there were writes).
func (c Count) Exact() bool {
	return c.Writes > 0 && c.Lost == 0 && c.Duplicated == 0 && c.Unfinished == 0
}

// CountOnLedger reads blocks from to to-1 from conn's peer and counts the
// load's writes against their valid transactions.
func (l *Load) CountOnLedger(ctx context.Context, conn *tlclient.GatewayConn, from, to uint64) (Count, error) {
	valid, err := ValidTransactions(ctx, conn, from, to)
	if err != nil {
		return Count{}, err
	}
	return l.count(valid), nil
}

// ValidTransactions reads blocks from to to-1 from conn's peer and returns
// how many times each transaction id is valid in them.
func ValidTransactions(ctx context.Context, conn *tlclient.GatewayConn, from, to uint64) (map[string]int, error) {
	valid := map[string]int{}
	if to <= from {
		return valid, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	blocks, err := conn.Network().BlockEvents(ctx, client.WithStartBlock(from))
	if err != nil {
		return nil, err
	}
	for b := range blocks {
		flags := b.GetMetadata().GetMetadata()[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
		for i, data := range b.GetData().GetData() {
			env := &common.Envelope{}
			payload := &common.Payload{}
			ch := &common.ChannelHeader{}
			if proto.Unmarshal(data, env) != nil || proto.Unmarshal(env.GetPayload(), payload) != nil ||
				proto.Unmarshal(payload.GetHeader().GetChannelHeader(), ch) != nil {
				continue
			}
			if i < len(flags) && peer.TxValidationCode(flags[i]) == peer.TxValidationCode_VALID && ch.GetTxId() != "" {
				valid[ch.GetTxId()]++
			}
		}
		if b.GetHeader().GetNumber()+1 >= to {
			return valid, nil
		}
	}
	return nil, fmt.Errorf("the block stream ended before block %d (%v)", to-1, ctx.Err())
}

// count holds the writes against the ledger's valid transactions (by id,
// how many times each is valid).
func (l *Load) count(valid map[string]int) Count {
	l.mu.Lock()
	defer l.mu.Unlock()
	var c Count
	for _, wr := range l.writes {
		c.Writes++
		c.Attempts += len(wr.attempts)
		c.Retried += len(wr.attempts) - 1
		onLedger := 0
		for _, id := range wr.attempts {
			onLedger += valid[id]
		}
		switch {
		case wr.done == "":
			c.Unfinished++
		case valid[wr.done] != 1:
			c.Lost++
		}
		if onLedger > 1 {
			c.Duplicated++
		}
	}
	return c
}

// LongestGap is the longest time without a commit (at) between from and
// to.
func LongestGap(at []time.Time, from, to time.Time) time.Duration {
	var in []time.Time
	for _, t := range at {
		if t.After(from) && t.Before(to) {
			in = append(in, t)
		}
	}
	slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
	prev, worst := from, time.Duration(0)
	for _, t := range append(in, to) {
		worst = max(worst, t.Sub(prev))
		prev = t
	}
	return worst
}

// LoadAverage is the machine's 1, 5 and 15 minute load averages ("?"
// where unknown).
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// EndorseDetails are the peers' messages attached to a gateway error.
func EndorseDetails(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			out = append(out, ed.GetMspId()+" "+ed.GetAddress()+": "+ed.GetMessage())
		}
	}
	return out
}
