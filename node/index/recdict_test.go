package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/klauspost/compress/s2"
)

// recDictSHA256 pins tracerec.dict: records written with it can only be
// read with these same bytes, so it never changes (a new dictionary gets
// a marker of its own, recDict).
const recDictSHA256 = "439702aa443beaa3fda06c25ed49ae0342729742732c305d2b1ecf84ec9fa394"

// fixtureRecDict makes the dictionary as tracerec.dict was made: the last
// 16 KiB of the trace records the index writes for testdata's demo and
// supply sequences, its first repeat at the last lot record in them
// (s2.MakeDict).
// TRUSTLINE_WRITE_RECDICT=1 writes it to tracerec.dict, once.
func fixtureRecDict(t *testing.T) []byte {
	var content []byte
	for _, name := range []string{"demo.json", "supply.json"} {
		x := openMem(t, vfs.NewMem())
		applyAll(t, x, loadSeq(t, name))
		recs := recsOf(t, x)
		x.Close()
		for _, k := range slices.Sorted(maps.Keys(recs)) {
			content = append(content, recs[k]...)
		}
	}
	if len(content) > 16<<10 {
		content = content[len(content)-16<<10:]
	}
	d := s2.MakeDict(content, []byte(`{"id":"https://id.gs1.org/01/`))
	if d == nil {
		t.Fatalf("no dictionary from %d bytes", len(content))
	}
	return d.Bytes()
}

// TestRecDict: the embedded dictionary is the pinned one, and s2 reads it.
func TestRecDict(t *testing.T) {
	if os.Getenv("TRUSTLINE_WRITE_RECDICT") == "1" {
		d := fixtureRecDict(t)
		if err := os.WriteFile("tracerec.dict", d, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(d)
		t.Fatalf("wrote tracerec.dict: pin its SHA-256 %x in recDictSHA256", sum)
	}
	sum := sha256.Sum256(recDictBytes)
	if got := hex.EncodeToString(sum[:]); got != recDictSHA256 {
		t.Fatalf("tracerec.dict has SHA-256 %s, pinned %s: records written with the pinned one would not read", got, recDictSHA256)
	}
	if s2.NewDict(recDictBytes) == nil {
		t.Fatal("s2 refuses tracerec.dict")
	}
}

// TestPackTraceRec: a stored record unpacks to the encoding it was packed
// from; an uncompressed one (an older layout's) is read as it is; a
// damaged one, or one claiming an outsized record, is corrupt, not a
// panic or an allocation of what it claims.
func TestPackTraceRec(t *testing.T) {
	for _, name := range []string{"demo.json", "supply.json"} {
		x := openMem(t, vfs.NewMem())
		applyAll(t, x, loadSeq(t, name))
		recs := recsOf(t, x)
		x.Close()
		for k, enc := range recs {
			v := packTraceRec([]byte("keep"), []byte(enc))
			if string(v[:4]) != "keep" || v[4] != recS2Dict1 || len(v)-4 >= len(enc) {
				t.Fatalf("%q: packed %d bytes into %d (%x…)", k, len(enc), len(v)-4, v[:min(len(v), 6)])
			}
			got, err := unpackTraceRec(v[4:])
			if err != nil || string(got) != enc {
				t.Fatalf("%q: unpacked %v, %d bytes of %d", k, err, len(got), len(enc))
			}
			if got, err := unpackTraceRec([]byte(enc)); err != nil || string(got) != enc {
				t.Fatalf("%q uncompressed: %v", k, err)
			}
		}
	}
	for name, v := range map[string][]byte{
		"no block":   {recS2Dict1},
		"truncated":  packTraceRec(nil, bytes.Repeat([]byte(`{"id":"x"}`), 50))[:20],
		"outsized":   append([]byte{recS2Dict1}, binary.AppendUvarint(nil, 1<<30)...),
		"bad copies": {recS2Dict1, 40, 0xff, 0xff, 0xff, 0xff},
	} {
		if _, err := unpackTraceRec(v); !errors.Is(err, errCorruptRec) {
			t.Errorf("%s: %v, want errCorruptRec", name, err)
		}
	}
}
