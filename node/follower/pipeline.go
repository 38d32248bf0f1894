package follower

import (
	"context"
	"runtime"
)

// orderedMap applies fn to the values of in on workers goroutines and
// sends the results in the order of in: decoding blocks is independent
// per block, applying them is not. Up to 4×workers values are decoded
// ahead, and up to outBuffer results wait in the output, so that a
// consumer busy with a commit finds every block decoded meanwhile waiting
// for it, rather than one at a time.
// The output closes when in closes, when ctx is done, or right after a
// result for which last returns true.
const outBuffer = 64

func orderedMap[A, B any](ctx context.Context, in <-chan A, workers int, fn func(A) B, last func(B) bool) <-chan B {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		a   A
		res chan B
	}
	jobs := make(chan job)
	order := make(chan chan B, 4*workers)
	for range workers {
		go func() {
			for j := range jobs {
				j.res <- fn(j.a) // buffered: never blocks
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		for {
			var a A
			select {
			case v, ok := <-in:
				if !ok {
					return
				}
				a = v
			case <-ctx.Done():
				return
			}
			res := make(chan B, 1)
			select {
			case order <- res:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{a, res}:
			case <-ctx.Done():
				return
			}
		}
	}()
	out := make(chan B, outBuffer)
	go func() {
		defer close(out)
		for res := range order {
			var b B
			select {
			case b = <-res:
			case <-ctx.Done():
				return
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
			if last != nil && last(b) {
				return
			}
		}
	}()
	return out
}
