package epciscmd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
)

// TestHashVectors runs `epcis hash` on the epcis package's test vectors:
// the ids are the reference implementation's, one per line, CBV 2.0 with
// --cbv 2.0 and CBV 2.1 by default.
func TestHashVectors(t *testing.T) {
	docs, _ := filepath.Glob("../../../epcis/testdata/hash/*.jsonld")
	if len(docs) == 0 {
		t.Fatal("no test vectors")
	}
	for _, doc := range docs {
		for _, v := range []struct {
			flags []string
			dir   string
		}{
			{[]string{"--cbv", "2.0"}, ""},
			{nil, "CBV2.1"},
		} {
			t.Run(filepath.Base(doc)+"/"+v.dir, func(t *testing.T) {
				want, err := os.ReadFile(filepath.Join(filepath.Dir(doc), v.dir, strings.TrimSuffix(filepath.Base(doc), ".jsonld")+".hashes"))
				if err != nil {
					t.Fatal(err)
				}
				r := clitest.Run(t, "", append([]string{"epcis", "hash", doc}, v.flags...)...)
				if r.Code != 0 {
					t.Fatalf("exit %d: %s", r.Code, r.Stderr)
				}
				if got, want := strings.Fields(r.Stdout), strings.Fields(string(want)); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("hashes\n%s\nwant\n%s", r.Stdout, strings.Join(want, "\n"))
				}
			})
		}
	}
}

func TestHashStdinAndJSON(t *testing.T) {
	b, err := os.ReadFile("../../../epcis/testdata/hash/ReferenceEventHashAlgorithm.jsonld")
	if err != nil {
		t.Fatal(err)
	}
	r := clitest.Run(t, string(b), "epcis", "hash", "-", "-o", "json")
	var ids []string
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &ids) != nil || len(ids) == 0 || !strings.HasPrefix(ids[0], "ni:///sha-256;") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

func TestHashUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.jsonld")
	os.WriteFile(bad, []byte(`{"type":"EPCISDocument",`), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"epcis", "hash"}, "takes an EPCIS 2.0 JSON-LD document"},
		{"missing file", []string{"epcis", "hash", "/nonexistent.jsonld"}, "no such file"},
		{"truncated JSON", []string{"epcis", "hash", bad}, "bad.jsonld"},
		{"unknown CBV version", []string{"epcis", "hash", bad, "--cbv", "1.2"}, "--cbv: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := clitest.Run(t, "", tc.args...)
			if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want usage error with %q", r.Code, r.Stderr, tc.want)
			}
		})
	}
}
