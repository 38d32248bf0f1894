package epcis

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestNormaliseTestdata runs the value canonicalisations against
// testdata/normalise.txt: numbers and floats checked against Python's
// decimal module and repr(), timestamps, and the reference implementation's
// own Digital Link normaliser tests.
func TestNormaliseTestdata(t *testing.T) {
	f, err := os.Open("testdata/normalise.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		parts := strings.Split(text, "\t")
		if len(parts) != 3 {
			t.Fatalf("normalise.txt:%d: want 3 fields, got %d", line, len(parts))
		}
		kind, in, want := parts[0], parts[1], parts[2]
		if want == "-" {
			want = in
		}
		var got string
		switch kind {
		case "number":
			got = normaliseNumber(in)
		case "float":
			x, err := strconv.ParseFloat(in, 64)
			if err != nil {
				t.Fatalf("normalise.txt:%d: %v", line, err)
			}
			got = pyFloatRepr(x)
		case "time":
			got = normaliseTimestamp(in)
		case "gs1uri":
			if dl, ok := normaliseGS1URI(in); ok {
				got = dl
			} else {
				got = in
			}
		default:
			t.Fatalf("normalise.txt:%d: unknown kind %q", line, kind)
		}
		counts[kind]++
		if got != want {
			t.Errorf("normalise.txt:%d: %s(%q)\n got %q\nwant %q", line, kind, in, got, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"number", "float", "time", "gs1uri"} {
		if counts[k] < 10 {
			t.Errorf("only %d %s cases", counts[k], k)
		}
	}
}

func TestJSONNumberText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"200", "200"},
		{"-0", "0"},      // Python's json makes this the int 0
		{"26.0", "26.0"}, // a float
		{"1E2", "100.0"}, // exponent: a float
		{"1e400", "inf"}, // overflows to infinity, like Python
		{"12345678901234567890123", "12345678901234567890123"},
		{"0.1", "0.1"},
	}
	for _, tt := range tests {
		if got := jsonNumberText(tt.in); got != tt.want {
			t.Errorf("jsonNumberText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPyStrip(t *testing.T) {
	if got := pyStrip("\x1c\u00a0 a b\t\u2003\n"); got != "a b" {
		t.Errorf("pyStrip = %q", got)
	}
}
