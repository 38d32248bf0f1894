// Package follower feeds a node's index from its own organisation's peer:
// it follows the channel's blocks from the index checkpoint and applies
// each block's trustline chaincode events to the index, reconnecting with
// exponential backoff when the stream ends.
//
// Every block advances the checkpoint, with or without trustline
// transactions, so the ledger height gives the exact lag and a rebuild
// knows when it has reached a given height. A transaction is numbered by
// its index among all of its block's transactions, so a block resent on
// resume numbers the same transaction the same way, and the index skips
// the ones it already holds. Transactions the block's TRANSACTIONS_FILTER
// does not mark VALID are skipped, and so are valid ones whose payload
// cannot be decoded (the ledger will not change). A chaincode event of a
// form this version does not know (ledger.CheckForm) is not skipped: the
// follower stops before its block (UnknownFormError), to be upgraded.
//
// # Catching up
//
// A member joining a consortium with years of history reads millions of
// blocks. Blocks are unmarshalled, parsed and their payloads decoded and
// prepared (index.Prepare: EPCIS decoding, content hashes) on every core,
// in order (orderedMap); the index then commits every block already
// decoded, up to a bound, in one batch with one sync and the checkpoint
// (index.ApplyBlocks), so the disk is waited for once per batch, not once
// per block. A crash loses a whole batch or nothing, and the follower
// resumes from the checkpoint. Up to date, a batch is the one block that
// arrived. BenchmarkRebuild measures it against the delivery of the same
// blocks alone.
package follower

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index"
)

// Block is one block of the channel, reduced to what the index needs.
type Block struct {
	Number uint64
	Txs    []Tx // every transaction, in block order
	// Err is why the block could not be read (a *BlockError): a Source
	// sends such a block last, and the follower logs and counts it and
	// reconnects from it.
	Err error
}

// Tx is one transaction of a block.
type Tx struct {
	ID string
	// Valid is the block's validation verdict (TRANSACTIONS_FILTER).
	Valid bool
	// Event is the transaction's chaincode event if it was set by the
	// followed chaincode; nil otherwise.
	Event *ChaincodeEvent
	// Err is why the transaction's envelope could not be decoded.
	Err error
}

// ChaincodeEvent is a chaincode event as recorded in a transaction.
type ChaincodeEvent struct {
	Name    string
	Payload []byte
	// Chaincode is the chaincode that set it, whose namespace of Results
	// holds its writes.
	Chaincode string
	// Results is the transaction's read-write set as recorded (a
	// serialised rwset.TxReadWriteSet), where the records of a slim event
	// are (CompletePayload); nil in blocks built by tests with complete
	// events.
	Results []byte
}

// Source is where blocks and the ledger height come from: a gateway
// network in production (see Gateway), a fake in tests.
type Source interface {
	// Blocks streams the channel's blocks from block start, in order; the
	// channel closes when the stream ends, for whatever reason.
	Blocks(ctx context.Context, start uint64) (<-chan Block, error)
	// Height is the ledger height (the number of blocks).
	Height(ctx context.Context) (uint64, error)
}

// Gateway is a Source over a fabric-gateway network.
type Gateway struct {
	Network   *client.Network
	Chaincode string // "" means trustline
}

func (g Gateway) chaincode() string {
	if g.Chaincode == "" {
		return "trustline"
	}
	return g.Chaincode
}

// Blocks implements Source with full block events (filtered blocks carry
// no event payloads) from an explicit start block.
func (g Gateway) Blocks(ctx context.Context, start uint64) (<-chan Block, error) {
	in, err := g.Network.BlockEvents(ctx, client.WithStartBlock(start))
	if err != nil {
		return nil, err
	}
	return parseBlocks(ctx, in, g.chaincode()), nil
}

// parseBlocks parses a stream of blocks. A block it cannot read ends the
// stream, sent with its Err for the follower to report: the follower
// reconnects from it, so a block a peer sent damaged is read again.
func parseBlocks(ctx context.Context, in <-chan *common.Block, chaincode string) <-chan Block {
	// Blocks are parsed on every core, in order: a node catching up reads
	// them faster than one core unmarshals them.
	return orderedMap(ctx, in, 0, func(b *common.Block) Block {
		pb, err := ParseBlock(b, chaincode)
		if err != nil {
			return Block{Number: b.GetHeader().GetNumber(), Err: err}
		}
		return pb
	}, func(b Block) bool { return b.Err != nil })
}

// Height implements Source with qscc GetChainInfo.
func (g Gateway) Height(ctx context.Context) (uint64, error) {
	b, err := g.Network.GetContract("qscc").EvaluateWithContext(ctx, "GetChainInfo", client.WithArguments(g.Network.Name()))
	if err != nil {
		return 0, err
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(b, &info); err != nil {
		return 0, fmt.Errorf("decoding qscc GetChainInfo: %w", err)
	}
	return info.GetHeight(), nil
}

// Options configure a Follower. The zero value is the default.
type Options struct {
	// MinBackoff and MaxBackoff bound the wait before reconnecting; 0 means
	// 500ms and 30s. The wait doubles after each failed attempt and resets
	// once a block arrives.
	MinBackoff, MaxBackoff time.Duration
	// HeightInterval is how often the ledger height is polled; 0 means 5s.
	HeightInterval time.Duration
	// StopAt, if not 0, makes Run return nil once every block before it is
	// applied (a rebuild to a known height).
	StopAt uint64
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// OnBlock, if set, is called after each block is applied with the
	// number of its transactions newly applied.
	OnBlock func(block uint64, applied int)
}

// Status is the follower's view of how far behind the index is.
type Status struct {
	// IndexBlock is the last block completely applied; Indexed is false
	// before the first.
	IndexBlock uint64 `json:"indexBlock"`
	Indexed    bool   `json:"indexed"`
	// Height is the ledger height last polled (0: not known yet).
	Height uint64 `json:"ledgerHeight"`
	// Lag is the number of blocks of Height not yet applied.
	Lag        uint64 `json:"lagBlocks"`
	Connected  bool   `json:"connected"`
	Reconnects uint64 `json:"reconnects"`
	// Applied counts trustline transactions applied by this follower,
	// Skipped those whose payload could not be decoded or indexed, and
	// Invalid the transactions the peer marked invalid.
	Applied uint64 `json:"applied"`
	Skipped uint64 `json:"skipped"`
	Invalid uint64 `json:"invalid"`
	// ParseErrors counts the blocks, and the valid transactions, whose
	// structure could not be read.
	ParseErrors uint64    `json:"parseErrors"`
	LastError   string    `json:"lastError,omitempty"`
	LastEvent   time.Time `json:"lastEvent,omitzero"`
}

// Follower applies a Source's blocks to an Index. It does not own either.
type Follower struct {
	src  Source
	idx  *index.Index
	opts Options
	log  *slog.Logger

	mu sync.Mutex
	st Status
}

// New returns a follower of src into idx; Run starts it.
func New(src Source, idx *index.Index, opts *Options) *Follower {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.HeightInterval == 0 {
		o.HeightInterval = 5 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Follower{src: src, idx: idx, opts: o, log: log}
}

// Status returns the follower's current status.
func (f *Follower) Status() Status {
	f.mu.Lock()
	st := f.st
	f.mu.Unlock()
	cp := f.idx.Checkpoint()
	next := cp.NextBlock()
	st.Indexed = cp.Valid && next > 0
	if st.Indexed {
		st.IndexBlock = next - 1
	}
	if st.Height > next {
		st.Lag = st.Height - next
	}
	return st
}

func (f *Follower) update(fn func(*Status)) {
	f.mu.Lock()
	fn(&f.st)
	f.mu.Unlock()
}

func (f *Follower) done() bool {
	return f.opts.StopAt > 0 && f.idx.Checkpoint().NextBlock() >= f.opts.StopAt
}

// Run follows until ctx is done (or Options.StopAt is reached), then
// returns nil; it returns an error only when retrying cannot help: the
// index fails, or a block holds an event of a form this version does not
// know (*UnknownFormError).
func (f *Follower) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go f.pollHeight(ctx)
	backoff := f.opts.MinBackoff
	for {
		if f.done() {
			return nil
		}
		progressed, err := f.stream(ctx)
		switch {
		case ctx.Err() != nil || f.done():
			return nil
		case err != nil && !isStreamError(err):
			return err
		}
		if progressed {
			backoff = f.opts.MinBackoff
		}
		f.update(func(s *Status) {
			s.Connected = false
			s.Reconnects++
			if err != nil {
				s.LastError = err.Error()
			}
		})
		f.log.Warn("block stream ended; reconnecting", "in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, f.opts.MaxBackoff)
	}
}

// streamError is a failure of the peer connection, retried with backoff.
type streamError struct{ err error }

func (e *streamError) Error() string { return "block stream: " + e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

func isStreamError(err error) bool {
	var se *streamError
	return errors.As(err, &se)
}

// Batches: a commit takes every decoded block already waiting, up to
// these bounds, so that a node catching up waits for the disk once per
// batch rather than once per block, and a node that is up to date still
// commits each block as it arrives.
const (
	maxBatchBlocks = 1024
	maxBatchTxs    = 1024
)

// stream runs one block stream from the checkpoint until it ends. It
// reports whether any block arrived.
func (f *Follower) stream(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := f.idx.Checkpoint().NextBlock()
	blocks, err := f.src.Blocks(ctx, next)
	if err != nil {
		return false, &streamError{err}
	}
	f.update(func(s *Status) { s.Connected = true; s.LastError = "" })
	f.log.Info("following blocks", "fromBlock", next)
	in := orderedMap(ctx, blocks, 0, f.decode, func(d decoded) bool { return d.Err != nil || d.stop != nil })
	progressed := false
	var batch []decoded
	for {
		// Wait for one block, then take those already decoded behind it.
		d, ok := <-in
		txs := 0
		for ok {
			if d.Err != nil {
				if err := f.apply(batch); err != nil {
					return progressed, err
				}
				f.log.Error("cannot read a block; reconnecting from it", "block", d.Number, "err", d.Err)
				f.update(func(s *Status) { s.ParseErrors++ })
				return progressed, &streamError{d.Err}
			}
			progressed = true
			switch {
			case d.Number < next: // resent: already applied
			case d.Number > next:
				if err := f.apply(batch); err != nil {
					return progressed, err
				}
				return progressed, &streamError{fmt.Errorf("block %d arrived, expected %d", d.Number, next)}
			case f.opts.StopAt > 0 && d.Number >= f.opts.StopAt:
				ok = false
				continue
			case d.stop != nil && d.Number == next:
				if err := f.apply(batch); err != nil {
					return progressed, err
				}
				f.log.Error("stopping: a chaincode event of a form this version does not know; upgrade the node", "block", d.Number, "err", d.stop)
				f.update(func(s *Status) { s.LastError = d.stop.Error() })
				return progressed, d.stop
			default:
				batch = append(batch, d)
				txs += len(d.txs)
				next = d.Number + 1
			}
			if len(batch) >= maxBatchBlocks || txs >= maxBatchTxs {
				break
			}
			select {
			case d, ok = <-in:
				continue
			default:
			}
			break
		}
		if err := f.apply(batch); err != nil {
			return progressed, err
		}
		batch = batch[:0]
		if f.done() {
			return progressed, nil
		}
		if !ok {
			return progressed, &streamError{errors.New("closed by the peer")}
		}
	}
}

// decoded is a block with its trustline payloads decoded, ready for the
// index.
type decoded struct {
	Block
	txs []index.Tx
	// Counts of the block's transactions: marked invalid by the peer,
	// with a payload that is not JSON, with an unreadable envelope.
	invalid, skipped, unreadable int
	// stop is why the follower must stop at this block (an *UnknownFormError):
	// the blocks before it are applied, this one is not.
	stop error
}

// UnknownFormError is a valid transaction whose chaincode event has a form
// this version does not know (ledger.ErrUnknownForm). Skipping it would
// index the transaction as one that wrote nothing, for good, so the
// follower stops before its block and Run returns this error: the node is
// to be upgraded, and then resumes from that block.
type UnknownFormError struct {
	Block uint64
	Tx    int // the transaction's index in its block
	TxID  string
	Err   error
}

func (e *UnknownFormError) Error() string {
	return fmt.Sprintf("block %d, transaction %d (%s): %v", e.Block, e.Tx, e.TxID, e.Err)
}
func (e *UnknownFormError) Unwrap() error { return e.Err }

// decode decodes the payloads of b's valid trustline transactions (on a
// worker of the pipeline), skipping invalid transactions and payloads that
// are not JSON: the ledger will not change, so stopping on them would stop
// the node for good. An event of a form this version does not know is
// different: an upgrade reads it, so the follower stops on it (d.stop).
func (f *Follower) decode(b Block) decoded {
	d := decoded{Block: b}
	if b.Err != nil {
		return d
	}
	for i, t := range b.Txs {
		if !t.Valid {
			d.invalid++
			continue
		}
		pos := index.Position{Block: b.Number, Tx: i, TxID: t.ID}
		if t.Err != nil {
			f.log.Error("skipping a transaction that cannot be decoded", "block", b.Number, "tx", i, "err", t.Err)
			d.unreadable++
			continue
		}
		if t.Event == nil || t.Event.Name != ledger.EventName {
			continue
		}
		payload, ev, err := t.Event.CompletePayload()
		if errors.Is(err, ledger.ErrUnknownForm) {
			d.stop = &UnknownFormError{Block: b.Number, Tx: i, TxID: t.ID, Err: err}
			return d
		}
		if err != nil {
			f.log.Error("skipping an undecodable payload", "block", b.Number, "tx", t.ID, "err", err)
			d.txs = append(d.txs, index.Tx{Pos: pos})
			d.skipped++
			continue
		}
		d.txs = append(d.txs, index.Tx{Pos: pos, Event: ev, Prepared: index.PreparePayload(ev, payload)})
	}
	return d
}

// apply indexes a batch of consecutive decoded blocks in one commit,
// skipping the payloads the index rejects (as decode skips those it cannot
// read).
func (f *Follower) apply(batch []decoded) error {
	if len(batch) == 0 {
		return nil
	}
	blocks := make([]index.Block, len(batch))
	for i, d := range batch {
		blocks[i] = index.Block{Number: d.Number, Txs: d.txs}
	}
	rejected := 0
	for {
		n, err := f.idx.ApplyBlocks(blocks)
		var ae *index.ApplyError
		if errors.As(err, &ae) {
			f.log.Error("skipping a transaction the index rejects", "block", ae.Pos.Block, "tx", ae.Pos.TxID, "err", ae.Err)
			found := false
			for i := range blocks {
				for j := range blocks[i].Txs {
					if t := &blocks[i].Txs[j]; t.Pos == ae.Pos && t.Event != nil {
						t.Event, t.Prepared, found = nil, nil, true
					}
				}
			}
			if !found {
				return err // not one of ours: retrying cannot help
			}
			rejected++
			continue
		}
		if err != nil {
			return err
		}
		applied, skipped, invalid, unreadable := 0, rejected, 0, 0
		for i, d := range batch {
			applied += n[i]
			skipped += d.skipped
			invalid += d.invalid
			unreadable += d.unreadable
		}
		f.update(func(s *Status) {
			s.Applied += uint64(applied)
			s.Skipped += uint64(skipped)
			s.Invalid += uint64(invalid)
			s.ParseErrors += uint64(unreadable)
			if applied > 0 {
				s.LastEvent = time.Now()
			}
		})
		if f.opts.OnBlock != nil {
			for i, d := range batch {
				f.opts.OnBlock(d.Number, n[i])
			}
		}
		return nil
	}
}

func (f *Follower) pollHeight(ctx context.Context) {
	t := time.NewTicker(f.opts.HeightInterval)
	defer t.Stop()
	for {
		h, err := f.src.Height(ctx)
		if err == nil {
			f.update(func(s *Status) { s.Height = h })
		} else if ctx.Err() == nil {
			f.log.Debug("polling the ledger height", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
