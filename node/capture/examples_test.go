package capture

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/gs1/outcomes.txt")

// TestGS1Examples captures each of GS1's published EPCIS 2.0 example
// documents (testdata/gs1, from github.com/gs1/EPCIS, folder JSON/): every
// event is either mapped onto the contract function that states it or
// rejected with the reason naming the part the contract cannot state, and
// a document that is not valid EPCIS is refused as a whole with the field
// at fault. The outcomes are the golden file testdata/gs1/outcomes.txt
// (go test -run TestGS1Examples -update rewrites it).
func TestGS1Examples(t *testing.T) {
	files, err := filepath.Glob("testdata/gs1/*.jsonld")
	if err != nil || len(files) < 40 {
		t.Fatalf("%d example documents, %v", len(files), err)
	}
	s := NewService(nil, nil)
	var out strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		ps, err := s.prepare(b)
		if err != nil {
			fmt.Fprintf(&out, "%s\tdocument refused\t%v\n", name, err)
			continue
		}
		for i, p := range ps {
			if p.err != nil {
				if _, ok := p.err.(*UnsupportedError); !ok {
					t.Errorf("%s event %d: %T %v, want an UnsupportedError", name, i, p.err, p.err)
				}
				fmt.Fprintf(&out, "%s\tevent %d rejected\t%v\n", name, i, p.err)
			} else {
				fmt.Fprintf(&out, "%s\tevent %d captured\t%s\n", name, i, p.call.Function)
			}
		}
	}
	golden := "testdata/gs1/outcomes.txt"
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("outcomes differ from %s (-update rewrites it):\n%s", golden, out.String())
	}
}
