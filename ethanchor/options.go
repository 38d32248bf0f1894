package ethanchor

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	retrypkg "github.com/trustline/trustline/internal/retry"
)

// Options tune a Client or an Anchorer. The zero value of each field selects
// its default.
type Options struct {
	// GasMargin is added to eth_estimateGas's figure, as a fraction: 0.25
	// sends 125% of the estimate. Default 0.25; negative means no margin.
	GasMargin float64
	// GasAttempts is how many times an anchor is sent, each with twice the
	// gas of the last, while its receipt shows it ran out of gas (estimates
	// can fall short when state changes between estimate and inclusion).
	// Default 3.
	GasAttempts int
	// Retries is how many times a failed RPC call is retried when its error
	// is transient (see Transient). Default 5; negative means none.
	Retries int
	// Backoff is the first wait before a retry; it doubles on each retry up
	// to MaxBackoff. Defaults 500ms and 30s.
	Backoff, MaxBackoff time.Duration
	// Confirmations is how many blocks must follow the block of an anchor
	// before Anchor reports it and VerifyAnchor accepts it. 0 (the default)
	// suits instant-finality dev chains; use a reorg-safe depth on public
	// chains.
	Confirmations uint64
	// PollInterval is the longest wait between two looks at the chain while
	// waiting for inclusion or confirmations (polling starts faster). Default
	// 2s.
	PollInterval time.Duration
	// Transient decides whether an RPC error is worth a retry. Default
	// Transient.
	Transient func(error) bool
}

func (o Options) withDefaults() Options {
	if o.GasMargin == 0 {
		o.GasMargin = 0.25
	} else if o.GasMargin < 0 {
		o.GasMargin = 0
	}
	if o.GasAttempts <= 0 {
		o.GasAttempts = 3
	}
	if o.Retries == 0 {
		o.Retries = 5
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.Transient == nil {
		o.Transient = Transient
	}
	return o
}

// Transient reports whether err looks like a passing failure of the
// endpoint or the network rather than an answer: connection and timeout
// errors, HTTP 429 and 5xx, JSON-RPC rate limiting, and geth's "transaction
// indexing is in progress" (its index of receipts lags its head).
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var httpErr rpc.HTTPError
	if errors.As(err, &httpErr) {
		return httpErr.StatusCode == 429 || httpErr.StatusCode >= 500
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"rate limit", "too many requests", "connection reset", "connection refused", "timeout", indexingInProgress} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

const indexingInProgress = "transaction indexing is in progress"

// retry calls f until it succeeds, fails with an error that is not
// transient, or has been retried o.Retries times (package retry's loop).
func retry[T any](ctx context.Context, o *Options, f func(context.Context) (T, error)) (T, error) {
	return retrypkg.Do(ctx, retrypkg.Policy{Attempts: o.Retries + 1, Backoff: o.Backoff, MaxBackoff: o.MaxBackoff, Transient: o.Transient}, f)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
