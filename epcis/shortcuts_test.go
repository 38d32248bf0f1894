package epcis

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The hand-written matchers of the hash's hot path (matchTimestamp,
// matchCPVar, the Digital Link shortcuts) against the reference's regular
// expressions they replace or front: on the test vectors, on every
// one-character edit of them, and under fuzzing.

var (
	timestampRE = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$`)
	cpVarRE     = regexp.MustCompile(`^` + cpVar(30, uriChar) + `$`)
)

// edits returns s and every string one edit away from it: a character
// replaced by, or inserted as, one of alphabet, or deleted.
func edits(s, alphabet string) []string {
	out := []string{s}
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			out = append(out, s[:i]+s[i+1:])
		}
		for _, c := range []byte(alphabet) {
			out = append(out, s[:i]+string(c)+s[i:])
			if i < len(s) {
				out = append(out, s[:i]+string(c)+s[i+1:])
			}
		}
	}
	return out
}

func timestampSeeds() []string {
	return []string{
		"2025-06-01T08:15:00Z", "2025-06-01T08:15:00.123+02:00", "2025-06-01t08:15:00,5-0530", "2025-06-01 08:15",
		"2025-06-01", "2025-06-01Z", "2025-06-01+01", "2025-06-01T08:15:00+05:", "2025-06-01T08:15:00+053",
		"2025-06-01T08:15:00.", "2025-06-01T08:15:", "2025-06-01T08", "2025-06-01T", "20250601", "x",
		"2025-06-01T08:15:00.000000000001Z", "2025-06-01T08:15:00+0530", "2025-06-01T08:15:00+05:30:00",
	}
}

func checkTimestamp(t *testing.T, s string) {
	t.Helper()
	if got, want := matchTimestamp(s), timestampRE.FindStringSubmatch(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("matchTimestamp(%q) = %q, the expression %q", s, got, want)
	}
}

func TestMatchTimestamp(t *testing.T) {
	n := 0
	for _, seed := range timestampSeeds() {
		for _, s := range edits(seed, "0123456789-:.,Tt Zz+x") {
			checkTimestamp(t, s)
			n++
		}
	}
	t.Logf("%d timestamps agree", n)
}

func FuzzMatchTimestamp(f *testing.F) {
	for _, s := range timestampSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkTimestamp)
}

func cpVarSeeds() []string {
	return []string{
		"9506000134352.logger7", "950600.x", "950600013435.123456789012345678", "950600013435.1234567890123456789",
		"9506000.%41%2f%7a", "9506000.%2%41", "95060.abc", "9506000134352.", "9506000134352", "1234567.!')(*+,.:;=_-",
		"123456.%20", "123456.%30%3F%40%41%5B%5F%60%61%7B%7A", "123456789012345678901234567890.a",
	}
}

func checkCPVar(t *testing.T, s string) {
	t.Helper()
	if got, want := matchCPVar(s, 30), cpVarRE.MatchString(s); got != want {
		t.Fatalf("matchCPVar(%q) = %v, the expression %v", s, got, want)
	}
}

func TestMatchCPVar(t *testing.T) {
	n := 0
	for _, seed := range cpVarSeeds() {
		for _, s := range edits(seed, "0123456789.%aAfFgG2357!/ ~") {
			checkCPVar(t, s)
			n++
		}
	}
	t.Logf("%d GIAI/GINC references agree", n)
}

func FuzzMatchCPVar(f *testing.F) {
	for _, s := range cpVarSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkCPVar)
}

// digitalLinkSeeds are the reference's own normaliser cases from
// testdata/normalise.txt and the links the chaincode writes.
func digitalLinkSeeds(t testing.TB) []string {
	seeds := []string{
		"https://id.gs1.org/01/09506000134352/10/L1", "https://id.gs1.org/01/09506000134352/21/S-1",
		"https://id.gs1.org/01/09506000134352", "https://id.gs1.org/414/9506000134383",
		"https://id.gs1.org/414/9506000134383/254/dock-3", "https://id.gs1.org/00/009506000100000018",
		"https://ref.gs1.org/cbv/BizStep-shipping", "https://gs1.org/voc/Temperature", "https://example.com/abcdefghij",
		"https://id.gs1.org/01/09506000134352/10/L1?x=1", "https://id.gs1.org/01/09506000134352/10/12345678901234567890",
		"https://example.com/gtin/09506000134352/lot/L1", "http://id.gs1.org/01/9506000134352/10/a/21/b",
	}
	f, err := os.Open("testdata/normalise.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if parts := strings.Split(sc.Text(), "\t"); len(parts) == 3 && parts[0] == "gs1uri" && strings.HasPrefix(parts[1], "http") {
			seeds = append(seeds, parts[1])
		}
	}
	return seeds
}

func checkDigitalLink(t *testing.T, s string) {
	t.Helper()
	got, gotOK := normaliseDigitalLink(s)
	want, wantOK := normaliseDigitalLinkRE(s)
	if got != want || gotOK != wantOK {
		t.Fatalf("normaliseDigitalLink(%q) = %q, %v; the reference's steps %q, %v", s, got, gotOK, want, wantOK)
	}
}

func TestDigitalLinkShortcuts(t *testing.T) {
	n := 0
	for _, seed := range digitalLinkSeeds(t) {
		for _, s := range edits(seed, "/0?é") {
			checkDigitalLink(t, s)
			n++
		}
	}
	t.Logf("%d links agree", n)
}

func FuzzDigitalLinkShortcuts(f *testing.F) {
	for _, s := range digitalLinkSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkDigitalLink)
}
