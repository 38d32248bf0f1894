package epcis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hashVector is one document of testdata/hash: the JSON(-LD) input and the
// expected hashes (and pre-hash strings, when the reference publishes them)
// of its events, in document order.
type hashVector struct {
	name      string
	input     []byte
	hashes    []string
	prehashes []string // nil if not published
}

func readHashVectors(t testing.TB) []hashVector {
	t.Helper()
	inputs, err := filepath.Glob("testdata/hash/*.json*")
	if err != nil {
		t.Fatal(err)
	}
	var vs []hashVector
	for _, in := range inputs {
		base := strings.TrimSuffix(strings.TrimSuffix(in, ".jsonld"), ".json")
		v := hashVector{name: filepath.Base(base)}
		if v.input, err = os.ReadFile(in); err != nil {
			t.Fatal(err)
		}
		v.hashes = readLines(t, base+".hashes")
		if _, err := os.Stat(base + ".prehashes"); err == nil {
			v.prehashes = readLines(t, base+".prehashes")
		}
		vs = append(vs, v)
	}
	return vs
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func TestHashReferenceVectors(t *testing.T) {
	vectors := readHashVectors(t)
	if len(vectors) < 10 {
		t.Fatalf("only %d vectors in testdata/hash", len(vectors))
	}
	events := 0
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			if v.prehashes != nil {
				got, err := PreHashDocument(v.input)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(v.prehashes) {
					t.Fatalf("%d pre-hashes, want %d", len(got), len(v.prehashes))
				}
				for i := range got {
					if got[i] != v.prehashes[i] {
						t.Errorf("event %d pre-hash:\n got %s\nwant %s\n%s", i, got[i], v.prehashes[i], firstDiff(got[i], v.prehashes[i]))
					}
				}
			}
			got, err := HashDocument(v.input)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(v.hashes) {
				t.Fatalf("%d hashes, want %d", len(got), len(v.hashes))
			}
			for i := range got {
				if got[i] != v.hashes[i] {
					t.Errorf("event %d: hash %s, want %s", i, got[i], v.hashes[i])
				}
			}
			events += len(got)
		})
	}
	t.Logf("%d documents, %d events", len(vectors), events)
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-40)
	return "differs at byte " + itoa(i) + ": ..." + a[lo:min(len(a), i+40)] + " vs ..." + b[lo:min(len(b), i+40)]
}
