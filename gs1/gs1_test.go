package gs1

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestKeysFromTestdata(t *testing.T) {
	f, err := os.Open("testdata/keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	validators := map[string]func(string) (string, error){
		"GTIN": ValidateGTIN,
		"GLN":  ValidateGLN,
		"SSCC": ValidateSSCC,
	}
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		parts := strings.Split(text, "\t")
		if len(parts) != 3 {
			t.Fatalf("keys.txt:%d: want 3 tab-separated fields, got %d", line, len(parts))
		}
		kind, in, want := parts[0], parts[1], parts[2]
		validate := validators[kind]
		if validate == nil {
			t.Fatalf("keys.txt:%d: unknown kind %q", line, kind)
		}
		n++
		got, err := validate(in)
		if msg, ok := strings.CutPrefix(want, "error:"); ok {
			if err == nil {
				t.Errorf("keys.txt:%d: %s(%q) = %q, want error %q", line, kind, in, got, msg)
				continue
			}
			if err.Error() != msg {
				t.Errorf("keys.txt:%d: %s(%q) error = %q, want %q", line, kind, in, err, msg)
			}
			var gerr *Error
			if !errors.As(err, &gerr) {
				t.Errorf("keys.txt:%d: error %T is not a *gs1.Error", line, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("keys.txt:%d: %s(%q) = %q, %v; want %q", line, kind, in, got, err, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d cases read", n)
	}
}

func TestCheckDigit(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0950600013435", 2},
		{"1061414107346", 4},
		{"04012345000000333", 8}, // SSCC body from the EPCIS vectors
		{"401234500011", 5},      // GLN
		{"00000000000000", 0},    // all zeros
		{"9", 3},                 // 9*3 = 27 -> 3
		{"12345678901234567", 5},
	}
	for _, tt := range tests {
		got, err := CheckDigit(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CheckDigit(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "12a4"} {
		if _, err := CheckDigit(bad); err == nil {
			t.Errorf("CheckDigit(%q): want error", bad)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
	}{
		{"0950600013435", KindCheckDigit},
		{"09506000134x2", KindCharacter},
		{"095060001343521", KindLength},
	}
	for _, tt := range tests {
		_, err := ValidateGTIN(tt.in)
		var gerr *Error
		if !errors.As(err, &gerr) || gerr.Kind != tt.kind || gerr.Field != "GTIN" || gerr.Value != tt.in {
			t.Errorf("ValidateGTIN(%q) error = %#v, want kind %v", tt.in, err, tt.kind)
		}
	}
}

func TestValidateCSet82(t *testing.T) {
	tests := []struct {
		in      string
		max     int
		wantErr string
	}{
		{"ABC123", 20, ""},
		{`!"%&'()*+,-./:;<=>?_`, 20, ""},
		{"a/b", 20, ""},
		{"", 20, `lot "" is empty`},
		{"ABC 1", 20, `lot "ABC 1" has character ' ' at position 4, not in GS1 character set 82`},
		{"AB#", 20, `lot "AB#" has character '#' at position 3, not in GS1 character set 82`},
		{"123456789012345678901", 20, `lot 123456789012345678901 has 21 characters, at most 20 allowed`},
		{"é", 20, `lot "é" has character 'é' at position 1, not in GS1 character set 82`},
	}
	for _, tt := range tests {
		err := ValidateCSet82("lot", tt.in, tt.max)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.wantErr {
			t.Errorf("ValidateCSet82(%q) = %q, want %q", tt.in, got, tt.wantErr)
		}
	}
	n := 0
	for c := 0; c < 256; c++ {
		if IsCSet82(byte(c)) {
			n++
		}
	}
	if n != 82 {
		t.Errorf("IsCSet82 accepts %d characters, want 82", n)
	}
}
