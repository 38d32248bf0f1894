// Package retry is the one retry loop of trustline's network clients: the
// ledger client (package client) and the Anchor contract's client (package
// ethanchor). Each keeps its own options and its own idea of a transient
// error; the loop, its counting and its waits are these.
//
// Attempts count calls, the first included (as fabric-gateway's and gRPC's
// retry policies do): Attempts 3 is a call and at most two retries. A
// context that ends during a wait stops the loop; the error returned then
// wraps both the last call's error and the context's, so a caller can tell
// a cancellation (errors.Is(err, context.Canceled)) and still see why the
// calls failed.
//
// It is hand-written rather than taken from a backoff library because it is
// a dozen lines and both callers need a generic result and their own
// transient test, which the libraries on offer shape differently.
package retry

import (
	"context"
	"fmt"
	"time"
)

// Policy says how often and how patiently to call again.
type Policy struct {
	// Attempts is how many calls at most, the first included; less than 1
	// means 1.
	Attempts int
	// Backoff is the wait before the first retry; each further wait is
	// twice the last, up to MaxBackoff (0: no limit).
	Backoff, MaxBackoff time.Duration
	// Transient reports whether an error is worth another call; nil means
	// none is.
	Transient func(error) bool
}

// Do calls f until it succeeds, fails with an error that is not transient,
// has been called p.Attempts times, or ctx ends during a wait. It returns
// f's last result.
func Do[T any](ctx context.Context, p Policy, f func(context.Context) (T, error)) (T, error) {
	wait := p.Backoff
	for attempt := 1; ; attempt++ {
		v, err := f(ctx)
		if err == nil || attempt >= p.Attempts || p.Transient == nil || !p.Transient(err) {
			return v, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, fmt.Errorf("%w (retries stopped: %w)", err, ctx.Err())
		case <-t.C:
		}
		wait *= 2
		if p.MaxBackoff > 0 && wait > p.MaxBackoff {
			wait = p.MaxBackoff
		}
	}
}
