// Package follower feeds a node's index from its own organisation's peer:
// it follows the trustline chaincode events from the index checkpoint and
// applies each to the index, reconnecting with exponential backoff when
// the stream ends.
//
// Events are delivered only for valid transactions, in block order. The
// follower numbers each event by its ordinal within its block; since a
// resumed stream replays the checkpoint's block from its first event, the
// same transaction always gets the same position, and the index skips
// those it already holds.
package follower

import (
	"context"
	"encoding/json"
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

// Event is one chaincode event of a valid transaction.
type Event struct {
	Block     uint64
	TxID      string
	EventName string
	Payload   []byte
}

// Source is where events and the ledger height come from: a gateway
// network in production (see Gateway), a fake in tests.
type Source interface {
	// Events streams the chaincode's events from block start; the channel
	// closes when the stream ends, for whatever reason.
	Events(ctx context.Context, start uint64) (<-chan Event, error)
	// Height is the ledger height (the number of blocks).
	Height(ctx context.Context) (uint64, error)
}

// Gateway is a Source over a fabric-gateway network.
type Gateway struct {
	Network   *client.Network
	Chaincode string // "" means ledger.EventName's chaincode, trustline
}

// Events implements Source with ChaincodeEvents and an explicit start
// block (WithCheckpoint ignores an empty checkpoint).
func (g Gateway) Events(ctx context.Context, start uint64) (<-chan Event, error) {
	cc := g.Chaincode
	if cc == "" {
		cc = "trustline"
	}
	in, err := g.Network.ChaincodeEvents(ctx, cc, client.WithStartBlock(start))
	if err != nil {
		return nil, err
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		for ev := range in {
			select {
			case out <- Event{Block: ev.BlockNumber, TxID: ev.TransactionID, EventName: ev.EventName, Payload: ev.Payload}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
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
	// once an event arrives.
	MinBackoff, MaxBackoff time.Duration
	// HeightInterval is how often the ledger height is polled; 0 means 5s.
	HeightInterval time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// OnApply, if set, is called after each transaction is applied.
	OnApply func(index.Position)
}

// Status is the follower's view of how far behind the index is.
type Status struct {
	// IndexBlock is the block of the last applied transaction; Indexed is
	// false before the first.
	IndexBlock uint64 `json:"indexBlock"`
	Indexed    bool   `json:"indexed"`
	// Height is the ledger height last polled (0: not known yet).
	Height uint64 `json:"ledgerHeight"`
	// Lag is the number of blocks after the index block, by Height. Blocks
	// without trustline events count until a later event is applied.
	Lag        uint64    `json:"lagBlocks"`
	Connected  bool      `json:"connected"`
	Reconnects uint64    `json:"reconnects"`
	Applied    uint64    `json:"applied"`
	Skipped    uint64    `json:"skipped"`
	LastError  string    `json:"lastError,omitempty"`
	LastEvent  time.Time `json:"lastEvent,omitzero"`
}

// Follower applies a Source's events to an Index. It does not own either.
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
	st.IndexBlock, st.Indexed = cp.Block, cp.Valid
	if st.Height > 0 {
		last := st.Height - 1
		if !cp.Valid {
			st.Lag = st.Height
		} else if last > cp.Block {
			st.Lag = last - cp.Block
		}
	}
	return st
}

func (f *Follower) update(fn func(*Status)) {
	f.mu.Lock()
	fn(&f.st)
	f.mu.Unlock()
}

// Run follows until ctx is done, then returns nil; it returns an error
// only when the index fails, which retrying cannot fix.
func (f *Follower) Run(ctx context.Context) error {
	go f.pollHeight(ctx)
	backoff := f.opts.MinBackoff
	for {
		progressed, err := f.stream(ctx)
		var ae *index.ApplyError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &ae):
			// A payload the index cannot take is recorded and skipped: the
			// ledger will not change, so stopping would stop the node for good.
			f.log.Error("skipping a transaction the index rejects", "block", ae.Pos.Block, "tx", ae.Pos.TxID, "err", ae.Err)
			if _, err := f.idx.Apply(ae.Pos, nil); err != nil {
				return err
			}
			f.update(func(s *Status) { s.Skipped++ })
			continue
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
		f.log.Warn("chaincode event stream ended; reconnecting", "in", backoff, "err", err)
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

func (e *streamError) Error() string { return "event stream: " + e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }

func isStreamError(err error) bool {
	var se *streamError
	return errors.As(err, &se)
}

// stream runs one event stream from the checkpoint until it ends. It
// reports whether any event arrived.
func (f *Follower) stream(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := f.idx.Checkpoint().NextBlock()
	events, err := f.src.Events(ctx, start)
	if err != nil {
		return false, &streamError{err}
	}
	f.update(func(s *Status) { s.Connected = true; s.LastError = "" })
	f.log.Info("following chaincode events", "fromBlock", start)
	progressed := false
	var block uint64
	ord := -1
	for ev := range events {
		progressed = true
		if ev.Block != block || ord < 0 {
			block, ord = ev.Block, 0
		} else {
			ord++
		}
		pos := index.Position{Block: ev.Block, Tx: ord, TxID: ev.TxID}
		if ev.EventName != ledger.EventName {
			continue // not ours; it still takes its ordinal
		}
		if cp := f.idx.Checkpoint(); cp.Valid && !cp.Before(pos) {
			continue // replayed: already applied, or skipped as undecodable
		}
		var payload ledger.Event
		if err := json.Unmarshal(ev.Payload, &payload); err != nil {
			return progressed, &index.ApplyError{Pos: pos, Err: fmt.Errorf("decoding the payload: %w", err)}
		}
		applied, err := f.idx.Apply(pos, &payload)
		if err != nil {
			return progressed, err
		}
		f.update(func(s *Status) {
			s.LastEvent = time.Now()
			if applied {
				s.Applied++
			}
		})
		if applied && f.opts.OnApply != nil {
			f.opts.OnApply(pos)
		}
	}
	return progressed, &streamError{errors.New("closed by the peer")}
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
