//go:build cgo && linux

package index

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#include <stdio.h>
#include <string.h>

// tl_one_arena runs when the program is loaded, before Go's runtime
// starts any thread (see the comment below the preamble); tl_arena_set
// says whether it set the limit.
static int tl_arena_set;
__attribute__((constructor)) static void tl_one_arena(void) {
	if (getenv("MALLOC_ARENA_MAX") != NULL) return;
	const char *t = getenv("GLIBC_TUNABLES");
	if (t != NULL && strstr(t, "arena_max") != NULL) return;
	tl_arena_set = mallopt(M_ARENA_MAX, 1);
}
static int tl_one_arena_set(void) { return tl_arena_set; }

// tl_arenas counts the heaps malloc_info reports: one per arena.
static int tl_arenas(void) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) return -1;
	if (malloc_info(0, f) != 0) { fclose(f); free(buf); return -1; }
	fclose(f);
	int n = 0;
	for (const char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++) n++;
	free(buf);
	return n;
}
#else
static int tl_arenas(void) { return -1; }
static int tl_one_arena_set(void) { return 0; }
#endif

static void tl_alloc_free(size_t n) { free(calloc(n, 1)); }
*/
import "C"

// One malloc arena. Pebble keeps the block cache's blocks and
// the memtables in C memory (calloc and free). glibc gives every thread
// that allocates an arena of its own, up to eight per core, and Go runs
// goroutines on whichever thread is free: a block is freed into the arena
// of the thread that read it, and the next miss, on another thread, grows
// its own arena instead of reusing that memory. On a 1M-lot index under
// cold reads (BenchmarkColdCall, default cache) that was 0.6–0.7 page
// faults a page request, each several microseconds on a virtual machine;
// with one arena 0.3, the page's handler 60–61 µs instead of 68–78, and
// the process 663 MB resident instead of 731–800 (740–748 MB instead of
// 989–1,105 after BenchmarkServe's loads). Go runs at most
// GOMAXPROCS threads at once, so the one arena's lock is seldom contended.
//
// The limit is set by a C constructor (tl_one_arena), when the program is
// loaded: by a Go package's init, Go's runtime has started threads that
// took arenas of their own, which later threads would then share. An
// operator's own setting (MALLOC_ARENA_MAX, or glibc.malloc.arena_max in
// GLIBC_TUNABLES) is left alone.

// mallocArenas is the number of glibc malloc arenas, -1 where the C
// library is not glibc.
func mallocArenas() int { return int(C.tl_arenas()) }

// oneArenaSet reports whether the limit of one arena was set when the
// program was loaded: not where the operator set one, nor on a C library
// other than glibc.
func oneArenaSet() bool { return C.tl_one_arena_set() != 0 }

// cAllocFree allocates n bytes of C memory on the calling thread and frees
// them, as a block-cache miss does (for the tests).
func cAllocFree(n int) { C.tl_alloc_free(C.size_t(n)) }
