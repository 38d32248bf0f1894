package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

// pkg is what go list says of one package.
type pkg struct {
	ImportPath string
	Deps       []string
	Error      *struct{ Err string }
	DepsErrors []*struct{ Err string }
}

// list runs go list -deps style on the module's packages: each with every
// package it imports, directly or not (tests excluded). An import cycle
// fails here: go list reports it.
func list(t *testing.T) map[string]pkg {
	t.Helper()
	listOnce.Do(func() { listed, listErr = goList() })
	if listErr != nil {
		t.Fatal(listErr)
	}
	for _, p := range listed {
		if p.Error != nil {
			t.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		for _, e := range p.DepsErrors {
			t.Errorf("%s: %s", p.ImportPath, e.Err)
		}
	}
	return listed
}

var (
	listOnce sync.Once
	listed   map[string]pkg
	listErr  error
)

func goList() (map[string]pkg, error) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps,Error,DepsErrors", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs, nil
}

// layerOf is the layer of a module package, by its longest matching
// prefix; ok is false for a package in no layer.
func layerOf(path string) (l layer, ok bool) {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	best := -1
	for _, r := range rules {
		for _, p := range r.packages {
			if (rel == p || strings.HasPrefix(rel, p+"/")) && len(p) > best {
				l, ok, best = r, true, len(p)
			}
		}
	}
	return l, ok
}

func inModule(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

// TestLayers checks every package's imports, direct and indirect, against
// its layer's rule.
func TestLayers(t *testing.T) {
	pkgs := list(t)
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; is the test run inside the module?", len(pkgs))
	}
	for path, p := range pkgs {
		l, ok := layerOf(path)
		if !ok {
			t.Errorf("%s is in no layer: add it to internal/layers and the README's import graph", path)
			continue
		}
		for _, dep := range p.Deps {
			if !inModule(dep) {
				continue
			}
			dl, ok := layerOf(dep)
			if !ok {
				continue // reported as a package of its own
			}
			if dl.name != l.name && !slices.Contains(l.imports, dl.name) {
				t.Errorf("%s (layer %s) imports %s (layer %s); %s may import only %v", path, l.name, dep, dl.name, l.name, l.imports)
			}
		}
	}
}

// The rules the issue names, checked by name so a change of the table
// cannot loosen them unnoticed.
func TestNamedRules(t *testing.T) {
	pkgs := list(t)
	for path, p := range pkgs {
		rel := strings.TrimPrefix(path, module+"/")
		for _, dep := range p.Deps {
			drel := strings.TrimPrefix(dep, module+"/")
			switch {
			case (rel == "node" || strings.HasPrefix(rel, "node/")) && (drel == "testnet" || strings.HasPrefix(drel, "testnet/")):
				t.Errorf("go list -deps ./node/... holds %s: %s imports it", dep, path)
			case (rel == "receipt" || strings.HasPrefix(rel, "receipt/")) && (drel == "node" || strings.HasPrefix(drel, "node/")):
				t.Errorf("go list -deps ./receipt holds %s: %s imports it", dep, path)
			case drel == "receipt/receipttest" && rel != drel:
				t.Errorf("%s imports %s, which is test support: only tests may import it", path, dep)
			case inModule(dep) && (drel == "node" || strings.HasPrefix(drel, "node/")) && !(rel == "node" || strings.HasPrefix(rel, "node/")):
				if l, _ := layerOf(path); l.name != "app" && l.name != "cmd" {
					t.Errorf("%s imports %s: outside node/, only the app imports node code", path, dep)
				}
			}
		}
	}
}

func TestLayerOf(t *testing.T) {
	for path, want := range map[string]string{
		module + "/node/anchoring":        "node",
		module + "/internal/cli/tracecmd": "app",
		module + "/internal/retry":        "support",
		module + "/ethanchor/anchortest":  "leaves",
		module + "/receipt":               "leaves",
		module + "/cmd/trustline":         "cmd",
		module + "/clientx":               "",
	} {
		l, _ := layerOf(path)
		if l.name != want {
			t.Errorf("layerOf(%s) = %q, want %q", path, l.name, want)
		}
	}
}
