//go:build unix

package index

import "syscall"

// newChunk maps n bytes of anonymous memory, outside the Go heap: the
// collector neither scans nor paces itself by them (rectable.go). Should
// mapping fail, the chunk is taken from the heap.
func newChunk(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n)
	}
	return b
}

// freeChunk unmaps a chunk newChunk mapped (one from the heap is left to
// the collector: Munmap knows only its own mappings).
func freeChunk(b []byte) { _ = syscall.Munmap(b) }
