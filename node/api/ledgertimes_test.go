package api

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ledgerTimesByName is ledgerTimes as it was, a pass per member name: the
// reference the one-pass version must agree with.
func ledgerTimesByName(body []byte) time.Time {
	var latest []byte
	for _, name := range stateTimes {
		key := []byte(`"` + name + `":"`)
		for rest := body; ; {
			i := bytes.Index(rest, key)
			if i < 0 {
				break
			}
			rest = rest[i+len(key):]
			end := bytes.IndexByte(rest, '"')
			if end < 0 {
				break
			}
			if v := rest[:end]; bytes.Compare(v, latest) > 0 {
				latest = v
			}
			rest = rest[end:]
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(latest))
	if err != nil {
		return time.Time{}
	}
	return t
}

func ledgerTimesSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(`{"updatedAt":"2025-06-01T00:00:00Z","recalledAt":"2025-06-02T00:00:00.5Z"}`),
		[]byte(`{"xupdatedAt":"2030-01-01T00:00:00Z","updatedAt":"2025-06-01T00:00:00Z"}`),
		[]byte(`{"note":"\"updatedAt\":\"2030-01-01T00:00:00Z\"","createdAt":"2031-01-01T00:00:00Z"}`),
		[]byte(`{"registeredAt":"2025-06-01T00:00:00Z","evaluatedAt":"2025-06-01T00:00:01Z","at":"x"}`),
		[]byte(`{"updatedAt":"2025-06-01T00:00:00Z","updatedAt":"2025-07-01T00:00:00Z"`),
		[]byte(`At":"`), []byte(`"updatedAt":"`), []byte(`dAt":"2025-06-01T00:00:00Z"`), nil,
	}
	// The node's own responses to the test ledger.
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && len(b) < 1<<20 {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// TestLedgerTimes: the one-pass ledgerTimes finds what a pass per name
// finds, on documents, lookalike names, names inside strings, repeats and
// truncations.
func TestLedgerTimes(t *testing.T) {
	found := 0
	for _, s := range ledgerTimesSeeds(t) {
		for n := 0; n <= len(s); n += max(1, len(s)/50) {
			got, want := ledgerTimes(s[:n]), ledgerTimesByName(s[:n])
			if !got.Equal(want) {
				t.Fatalf("ledgerTimes(%q) = %v, a pass per name %v", s[:n], got, want)
			}
			if !got.IsZero() {
				found++
			}
		}
	}
	if found == 0 {
		t.Fatal("no ledger time found in any input: the test tests nothing")
	}
}

func FuzzLedgerTimes(f *testing.F) {
	for _, s := range ledgerTimesSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := ledgerTimes(body), ledgerTimesByName(body); !got.Equal(want) {
			t.Fatalf("ledgerTimes(%q) = %v, a pass per name %v", body, got, want)
		}
	})
}
