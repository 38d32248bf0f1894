package digitallink

import (
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that every link it accepts
// is valid and survives formatting and re-parsing unchanged.
func FuzzParse(f *testing.F) {
	for _, c := range readParseCases(f) {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(s)
		if err != nil {
			if l.GTIN != "" || l.SSCC != "" || l.GLN != "" || l.Query != nil {
				t.Fatalf("Parse(%q) returned a non-zero Link with error %v", s, err)
			}
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("Parse(%q) accepted an invalid link: %v", s, err)
		}
		for _, formatted := range []string{l.String(), l.WithBase("http://example.com/x/")} {
			back, err := Parse(formatted)
			if err != nil {
				t.Fatalf("Parse(%q): %v (formatted from %q)", formatted, err, s)
			}
			if !reflect.DeepEqual(back, l) {
				t.Fatalf("round trip %q -> %q:\n got %#v\nwant %#v", s, formatted, back, l)
			}
		}
	})
}
