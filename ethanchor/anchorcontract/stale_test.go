package anchorcontract

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/testenv"
)

const contracts = "../../contracts"

// recorded reads the "key value" lines of contracts/build/SOURCE.
func recorded(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(contracts, "build", "SOURCE"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		m[k] = v
	}
	return m
}

func read(t *testing.T, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{contracts}, elem...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// TestArtifactsMatchSource fails when Anchor.sol changed after the artifacts
// in contracts/build were compiled: run `make contracts`.
func TestArtifactsMatchSource(t *testing.T) {
	sum := sha256.Sum256(read(t, "Anchor.sol"))
	rec := recorded(t)
	want, _, _ := strings.Cut(rec["sha256"], " ")
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("contracts/Anchor.sol has SHA-256 %s but contracts/build was compiled from %s: run `make contracts`", got, want)
	}
	if !strings.HasPrefix(rec["solc"], "0.8.28+") {
		t.Errorf("contracts/build compiled by solc %q, not the pinned 0.8.28", rec["solc"])
	}
}

// TestBindingMatchesArtifacts fails when anchor.go was not regenerated from
// the committed ABI and bytecode.
func TestBindingMatchesArtifacts(t *testing.T) {
	if !sameJSON(t, []byte(AnchorMetaData.ABI), read(t, "build", "Anchor.abi")) {
		t.Error("anchor.go's ABI differs from contracts/build/Anchor.abi: run `make contracts`")
	}
	bin := strings.TrimSpace(string(read(t, "build", "Anchor.bin")))
	if AnchorMetaData.Bin != "0x"+bin {
		t.Error("anchor.go's bytecode differs from contracts/build/Anchor.bin: run `make contracts`")
	}
}

// TestRecompile recompiles Anchor.sol with the pinned solc and compares
// the result with the committed artifacts. It needs node and the pinned
// solc (make solc installs both): without them it skips on a laptop and
// fails in CI (package testenv).
func TestRecompile(t *testing.T) {
	node := testenv.NeedCommand(t, "node", "Debian package nodejs; make solc installs it")
	testenv.NeedFile(t, filepath.Join(contracts, ".solc", "node_modules", "solc"), "the pinned solc; make solc installs it")
	out := t.TempDir()
	cmd := exec.Command(node, filepath.Join(contracts, "compile.js"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compile.js: %v\n%s", err, b)
	}
	for _, name := range []string{"Anchor.bin", "SOURCE"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if want := read(t, "build", name); !bytes.Equal(got, want) {
			t.Errorf("recompiled %s differs from contracts/build/%s: run `make contracts`\ngot:  %.200s\nwant: %.200s", name, name, got, want)
		}
	}
	got, err := os.ReadFile(filepath.Join(out, "Anchor.abi"))
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, got, read(t, "build", "Anchor.abi")) {
		t.Error("recompiled ABI differs from contracts/build/Anchor.abi: run `make contracts`")
	}
}
