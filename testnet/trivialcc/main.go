// Command trivialcc is the baseline contract of the write-path benchmark
// (e2e BenchmarkWritePath): one function, put KEY VALUE, which stores VALUE
// under KEY with one PutState and does nothing else. It runs as a chaincode
// service the way trustline-chaincode does, configured by the same
// environment (CHAINCODE_ID, CHAINCODE_SERVER_ADDRESS), so that the
// benchmark compares two contracts served alike on the same network. No
// production code imports or deploys it.
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Chaincode is the trivial contract.
type Chaincode struct{}

// Init does nothing: the contract has no state to set up.
func (Chaincode) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

// Invoke runs put KEY VALUE.
func (Chaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if fn != "put" || len(args) != 2 {
		return shim.Error(fmt.Sprintf("unknown call %s with %d arguments: the only function is put KEY VALUE", fn, len(args)))
	}
	if err := stub.PutState(args[0], []byte(args[1])); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

func main() {
	id, addr := os.Getenv("CHAINCODE_ID"), os.Getenv("CHAINCODE_SERVER_ADDRESS")
	if id == "" || addr == "" {
		log.Fatal("trivialcc: CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS must be set")
	}
	srv := &shim.ChaincodeServer{CCID: id, Address: addr, CC: Chaincode{}, TLSProps: shim.TLSProperties{Disabled: true}}
	log.Printf("trivialcc: serving %s on %s", id, addr)
	if err := srv.Start(); err != nil {
		log.Fatalf("trivialcc: %v", err)
	}
}
