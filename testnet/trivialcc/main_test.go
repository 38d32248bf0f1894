package main

import (
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// stub records the one PutState the contract makes.
type stub struct {
	shim.ChaincodeStubInterface
	args []string
	puts map[string]string
}

func (s *stub) GetFunctionAndParameters() (string, []string) { return s.args[0], s.args[1:] }
func (s *stub) PutState(k string, v []byte) error {
	s.puts[k] = string(v)
	return nil
}

func TestInvoke(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"put", []string{"put", "k", "v"}, true},
		{"unknown function", []string{"get", "k"}, false},
		{"missing value", []string{"put", "k"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &stub{args: tc.args, puts: map[string]string{}}
			r := Chaincode{}.Invoke(s)
			if ok := r.GetStatus() == shim.OK; ok != tc.ok {
				t.Fatalf("status %d (%s), want ok=%v", r.GetStatus(), r.GetMessage(), tc.ok)
			}
			if tc.ok && s.puts["k"] != "v" {
				t.Fatalf("puts %v, want k=v", s.puts)
			}
			if !tc.ok && len(s.puts) > 0 {
				t.Fatalf("wrote %v on a refused call", s.puts)
			}
		})
	}
}
