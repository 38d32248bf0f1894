package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

var (
	errDown    = errors.New("down")
	errRefused = errors.New("refused")
)

func transient(err error) bool { return errors.Is(err, errDown) }

func TestDo(t *testing.T) {
	tests := []struct {
		name      string
		attempts  int
		failures  int   // calls that fail before one succeeds
		err       error // their error
		wantCalls int
		wantErr   error
	}{
		{"first call succeeds", 3, 0, nil, 1, nil},
		{"transient then success", 3, 2, errDown, 3, nil},
		{"attempts spent", 3, 5, errDown, 3, errDown},
		{"not transient", 3, 5, errRefused, 1, errRefused},
		{"one attempt", 1, 5, errDown, 1, errDown},
		{"zero attempts is one", 0, 5, errDown, 1, errDown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			v, err := Do(context.Background(), Policy{Attempts: tc.attempts, Backoff: time.Microsecond, Transient: transient},
				func(context.Context) (int, error) {
					calls++
					if calls <= tc.failures {
						return 0, tc.err
					}
					return 7, nil
				})
			if calls != tc.wantCalls || !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) || err == nil && v != 7 {
				t.Fatalf("%d calls, %v, %v; want %d calls, error %v", calls, v, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}

// A context that ends during a wait stops the loop; the error says both
// why the call failed and that the context ended.
func TestDoContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := Do(ctx, Policy{Attempts: 10, Backoff: time.Hour, Transient: transient}, func(context.Context) (int, error) {
		calls++
		cancel()
		return 0, errDown
	})
	if calls != 1 || !errors.Is(err, errDown) || !errors.Is(err, context.Canceled) {
		t.Fatalf("%d calls, err %v; want 1 call, an error wrapping both causes", calls, err)
	}
}
