package jsonyaml

import (
	"errors"
	"strings"
	"testing"
)

type config struct {
	Listen string `json:"listen"`
	Peer   struct {
		MSPID string `json:"mspId"`
	} `json:"peer"`
	Blocks int `json:"blocks,omitempty"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, in string
		want     config
		err      string // "" = no error; else a substring
	}{
		{"yaml", "listen: :8080\npeer:\n  mspId: BrandMSP\nblocks: 10\n", config{Listen: ":8080", Blocks: 10}, ""},
		{"json is yaml", `{"listen": ":8080", "peer": {"mspId": "BrandMSP"}}`, config{Listen: ":8080"}, ""},
		{"unknown field", "listen: :8080\nlistne: x\n", config{}, `unknown field "listne"`},
		{"nested unknown field", "peer:\n  msp: BrandMSP\n", config{}, `unknown field "msp"`},
		{"wrong type", "blocks: ten\n", config{}, "blocks"},
		{"not yaml", "listen: [\n", config{}, "yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c config
			err := Decode([]byte(tc.in), &c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Decode = %v, want an error containing %q", err, tc.err)
				}
				return
			}
			tc.want.Peer.MSPID = "BrandMSP"
			if err != nil || c != tc.want {
				t.Fatalf("Decode = %+v, %v; want %+v", c, err, tc.want)
			}
		})
	}
}

func TestDecodeJSONTrailing(t *testing.T) {
	var c config
	if err := DecodeJSON([]byte(`{"listen":"a"} {"listen":"b"}`), &c); !errors.Is(err, ErrTrailing) {
		t.Fatalf("two values: %v, want ErrTrailing", err)
	}
	if err := DecodeJSON([]byte(`{"listen":"a"}`+"\n"), &c); err != nil || c.Listen != "a" {
		t.Fatalf("one value: %+v, %v", c, err)
	}
}
