//go:build cgo && linux

package index

import (
	"runtime"
	"sync"
	"testing"

	"github.com/trustline/trustline/internal/testenv"
)

// TestOneMallocArena allocates C memory on eight threads at once, each
// of which glibc would give an arena of its own: they share one.
func TestOneMallocArena(t *testing.T) {
	if mallocArenas() < 0 {
		testenv.Missing(t, "glibc", "the C library whose arenas this test counts", nil)
	}
	if !oneArenaSet() {
		testenv.Missing(t, "the index's one malloc arena", "MALLOC_ARENA_MAX or glibc.malloc.arena_max in GLIBC_TUNABLES leaves the operator's limit instead: unset them", nil)
	}
	const threads = 8
	var locked, done sync.WaitGroup
	locked.Add(threads)
	done.Add(threads)
	release := make(chan struct{})
	for range threads {
		go func() {
			defer done.Done()
			runtime.LockOSThread() // a thread of its own while the others hold theirs
			defer runtime.UnlockOSThread()
			locked.Done()
			<-release
			cAllocFree(64 << 10)
		}()
	}
	locked.Wait()
	close(release)
	done.Wait()
	if n := mallocArenas(); n != 1 {
		t.Fatalf("%d malloc arenas after allocating on %d threads, want 1", n, threads)
	}
}
