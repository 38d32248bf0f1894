package digitallink

import (
	"bufio"
	"errors"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/trustline/trustline/gs1"
)

type parseCase struct {
	line    int
	in      string
	wantErr bool
	level   string // ok cases
	want    string // canonical String() or error message
	segment string // error cases
}

func readParseCases(t testing.TB) []parseCase {
	t.Helper()
	f, err := os.Open("testdata/parse.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []parseCase
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		in, want, ok := strings.Cut(text, "\t")
		if !ok {
			t.Fatalf("parse.txt:%d: no tab", line)
		}
		kind, rest, _ := strings.Cut(want, " ")
		first, second, _ := strings.Cut(rest, " ")
		c := parseCase{line: line, in: in}
		switch kind {
		case "ok":
			c.level, c.want = first, second
		case "error":
			c.wantErr, c.segment, c.want = true, first, second
		default:
			t.Fatalf("parse.txt:%d: expected field must start with ok or error", line)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestParseTestdata(t *testing.T) {
	cases := readParseCases(t)
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		l, err := Parse(c.in)
		if c.wantErr {
			var dlErr *Error
			switch {
			case err == nil:
				t.Errorf("parse.txt:%d: Parse(%q) = %v, want error %q", c.line, c.in, l, c.want)
			case err.Error() != c.want:
				t.Errorf("parse.txt:%d: Parse(%q) error\n got %q\nwant %q", c.line, c.in, err, c.want)
			case !errors.As(err, &dlErr) || dlErr.Segment != c.segment:
				t.Errorf("parse.txt:%d: Parse(%q) error segment = %q, want %q", c.line, c.in, dlErr.Segment, c.segment)
			}
			continue
		}
		if err != nil {
			t.Errorf("parse.txt:%d: Parse(%q): %v", c.line, c.in, err)
			continue
		}
		if got := l.String(); got != c.want {
			t.Errorf("parse.txt:%d: Parse(%q).String()\n got %s\nwant %s", c.line, c.in, got, c.want)
		}
		if got := strings.ReplaceAll(l.Level().String(), " ", "-"); got != c.level {
			t.Errorf("parse.txt:%d: Parse(%q).Level() = %s, want %s", c.line, c.in, got, c.level)
		}
		if err := l.Validate(); err != nil {
			t.Errorf("parse.txt:%d: Parse(%q).Validate(): %v", c.line, c.in, err)
		}
		assertRoundTrip(t, l)
	}
}

func assertRoundTrip(t testing.TB, l Link) {
	t.Helper()
	for _, s := range []string{l.String(), l.WithBase("https://example.com/dl/"), l.Path()} {
		if s == l.Path() && len(l.Query) > 0 {
			continue // the path alone drops the query
		}
		back, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) of formatted %#v: %v", s, l, err)
		}
		if !reflect.DeepEqual(back, l) {
			t.Fatalf("round trip of %q:\n got %#v\nwant %#v", s, back, l)
		}
	}
}

func TestGS1ErrorIsWrapped(t *testing.T) {
	_, err := Parse("https://id.gs1.org/01/09506000134353")
	var gerr *gs1.Error
	if !errors.As(err, &gerr) || gerr.Kind != gs1.KindCheckDigit {
		t.Fatalf("error %v does not wrap a gs1 check digit error", err)
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name  string
		build func() (Link, error)
		want  string
		level Level
	}{
		{"product", func() (Link, error) { return ForProduct("9506000134352") }, "https://id.gs1.org/01/09506000134352", Product},
		{"lot", func() (Link, error) { return ForLot("09506000134352", "LOT 7/B") }, "", 0},
		{"lot ok", func() (Link, error) { return ForLot("09506000134352", "L7/B") }, "https://id.gs1.org/01/09506000134352/10/L7%2FB", Lot},
		{"unit", func() (Link, error) { return ForUnit("09506000134352", "L7", "S1") }, "https://id.gs1.org/01/09506000134352/10/L7/21/S1", Unit},
		{"unit without lot", func() (Link, error) { return ForUnit("09506000134352", "", "S1") }, "https://id.gs1.org/01/09506000134352/21/S1", Unit},
		{"unit without serial", func() (Link, error) { return ForUnit("09506000134352", "L7", "") }, "", 0},
		{"sscc", func() (Link, error) { return ForSSCC("106141412345678908") }, "https://id.gs1.org/00/106141412345678908", LogisticUnit},
		{"gln", func() (Link, error) { return ForGLN("9520123456788", "") }, "https://id.gs1.org/414/9520123456788", Location},
		{"gln ext", func() (Link, error) { return ForGLN("9520123456788", "dock-3") }, "https://id.gs1.org/414/9520123456788/254/dock-3", Location},
		{"bad gtin", func() (Link, error) { return ForLot("09506000134353", "L") }, "", 0},
		{"bad sscc", func() (Link, error) { return ForSSCC("1") }, "", 0},
		{"bad gln", func() (Link, error) { return ForGLN("9520123456789", "") }, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := tt.build()
			if tt.want == "" {
				var dlErr *Error
				if !errors.As(err, &dlErr) {
					t.Fatalf("got %v, %v; want *Error", l, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := l.String(); got != tt.want {
				t.Errorf("String() = %s, want %s", got, tt.want)
			}
			if l.Level() != tt.level {
				t.Errorf("Level() = %v, want %v", l.Level(), tt.level)
			}
			assertRoundTrip(t, l)
		})
	}
}

func TestLotLink(t *testing.T) {
	u, err := Parse("https://example.com/01/09506000134352/22/V1/10/L7/21/S1?linkType=all")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.LotLink().String(), "https://id.gs1.org/01/09506000134352/22/V1/10/L7"; got != want {
		t.Errorf("LotLink() = %s, want %s", got, want)
	}
	if got := u.LotLink().Level(); got != Lot {
		t.Errorf("LotLink().Level() = %v", got)
	}
	noLot, _ := ForUnit("09506000134352", "", "S1")
	if got := noLot.LotLink().Level(); got != Product {
		t.Errorf("LotLink() of a unit without lot has level %v, want product", got)
	}
	sscc, _ := ForSSCC("106141412345678908")
	if got := sscc.LotLink(); !reflect.DeepEqual(got, Link{}) {
		t.Errorf("LotLink() of SSCC = %#v, want zero", got)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		l    Link
		want string // "" for valid
	}{
		{Link{GTIN: "09506000134352", Lot: "A"}, ""},
		{Link{}, "digitallink: link has 0 primary keys, want exactly one"},
		{Link{GTIN: "09506000134352", SSCC: "106141412345678908"}, "digitallink: link has 2 primary keys, want exactly one"},
		{Link{GTIN: "9506000134352"}, "digitallink: GTIN 9506000134352 is not in 14-digit form"},
		{Link{GTIN: "09506000134352", GLNExtension: "1"}, "digitallink: qualifier 254 (GLN extension) is not allowed with primary key 01 (GTIN)"},
		{Link{SSCC: "106141412345678908", Lot: "A"}, "digitallink: primary key 00 (SSCC) takes no qualifiers"},
		{Link{GLN: "9520123456788", Serial: "1"}, "digitallink: primary key 414 (GLN) only takes qualifier 254"},
		{Link{GTIN: "09506000134352", Serial: "a b"}, `digitallink: serial "a b" has character ' ' at position 2, not in GS1 character set 82`},
		{Link{GTIN: "09506000134352", Query: url.Values{"21": {"x"}, "10": {"y"}}}, "digitallink: AI 10 (lot) must be in the path, not the query string"},
	}
	for _, tt := range tests {
		err := tt.l.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%#v.Validate() = %q, want %q", tt.l, got, tt.want)
		}
	}
}

func TestEscapeEveryCSet82Character(t *testing.T) {
	var all []byte
	for c := 0; c < 128; c++ {
		if gs1.IsCSet82(byte(c)) {
			all = append(all, byte(c))
		}
	}
	// Lots are limited to 20 characters: test in chunks.
	for i := 0; i < len(all); i += 20 {
		chunk := string(all[i:min(i+20, len(all))])
		l, err := ForLot("09506000134352", chunk)
		if err != nil {
			t.Fatal(err)
		}
		p := l.Path()
		for _, c := range []byte(p[len("/01/09506000134352/10/"):]) {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._%", c) >= 0) {
				t.Errorf("Path() %q leaves %q unescaped", p, c)
			}
		}
		assertRoundTrip(t, l)
	}
}
