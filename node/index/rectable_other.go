//go:build !unix

package index

// newChunk takes a chunk from the heap where anonymous mappings are not
// at hand (rectable_unix.go).
func newChunk(n int) []byte { return make([]byte, n) }

func freeChunk([]byte) {}
