package chaincode

import (
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/trustline/trustline/chaincode/internal/stubfake"
	"github.com/trustline/trustline/ledger"
)

// putOnly is the trivial contract of the write-path benchmark
// (e2e BenchmarkWritePath): one PutState.
type putOnly struct{}

func (putOnly) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }
func (putOnly) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	_, args := stub.GetFunctionAndParameters()
	if err := stub.PutState(args[0], []byte(args[1])); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

// BenchmarkHandoff is the chaincode's own cost of the hand-off
// (Custody:Ship of a lot) on an in-memory ledger, against one PutState
// through the same fake stub ("put"): for profiling the contract with
// -cpuprofile (JSON, event, validation, keys); the network's cost is in
// e2e BenchmarkWritePath.
func BenchmarkHandoff(b *testing.B) {
	cc, ids := shared()
	e := &env{l: stubfake.NewLedger("trustline"), cc: cc, ids: ids, now: t0}
	must := func(r stubfake.Result) {
		if !r.OK() {
			b.Fatal(r.Response.GetMessage())
		}
	}
	must(e.invoke(brand, "Governance:Init", testnetRoles()))
	must(e.invoke(brand, "Product:RegisterProduct", mustJSON(productReq(gtinTomato, "Tomatoes"))))
	const lots = 2000
	for i := range lots {
		must(e.invoke(supplier, "Batch:CreateBatch", mustJSON(e.batchReq(gtinTomato, fmt.Sprintf("H%d", i)))))
		must(e.invoke(supplier, "Batch:CreateBatch", mustJSON(e.batchReq(gtinTomato, fmt.Sprintf("R%d", i)))))
	}
	b.Run("ship", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i == lots {
				b.Fatal("out of lots: use -benchtime of at most 2000x")
			}
			must(e.invoke(supplier, "Custody:Ship", mustJSON(ledger.ShipRequest{Lot: lotURI(gtinTomato, fmt.Sprintf("H%d", i)),
				To: logistics, Destination: glnURI(glnWarehouse)})))
			i++
		}
	})
	// As e2e BenchmarkWritePath ships: with four cold-chain readings.
	b.Run("ship-readings", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i == lots {
				b.Fatal("out of lots: use -benchtime of at most 2000x")
			}
			req := ledger.ShipRequest{Lot: lotURI(gtinTomato, fmt.Sprintf("R%d", i)), To: logistics, Destination: glnURI(glnWarehouse)}
			for k := range 4 {
				temp, hum := 3.5+float64(k)/4, 80.0
				req.Readings = append(req.Readings, ledger.Reading{Time: e.rfc(time.Duration(k-4) * 15 * time.Minute),
					Device: "urn:epc:id:giai:9506000134352.logger7", TemperatureC: &temp, HumidityPct: &hum})
			}
			must(e.invoke(supplier, "Custody:Ship", mustJSON(req)))
			i++
		}
	})
	b.Run("put", func(b *testing.B) {
		b.ReportAllocs()
		l := stubfake.NewLedger("trustline")
		value := string(make([]byte, 100))
		i := 0
		for b.Loop() {
			must(l.Invoke(putOnly{}, e.tx(supplier), "put", fmt.Sprint("k", i), value))
			i++
		}
	})
}
