package chaincode

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// SystemContract holds operational functions any member may call. Ping is a
// real write through endorsement, ordering and commit: operators and the
// testnet use it to prove the network works end to end.
type SystemContract struct {
	contractapi.Contract
}

// GetName names the contract in transaction function names ("System:Ping").
func (*SystemContract) GetName() string { return "System" }

// PingRecord is what Ping stores.
type PingRecord struct {
	MSPID string `json:"mspId"`
	Nonce string `json:"nonce"`
	TxID  string `json:"txId"`
	// Time is the transaction timestamp (RFC 3339, UTC).
	Time string `json:"time"`
}

const pingObjectType = "ping"

// Ping records that the caller's organisation reached the ledger, under a
// caller-chosen nonce.
func (*SystemContract) Ping(ctx contractapi.TransactionContextInterface, nonce string) (_ *PingRecord, err error) {
	defer classify(&err)
	if nonce == "" || len(nonce) > 128 {
		return nil, errors.New("ping nonce must be 1 to 128 characters")
	}
	msp, err := callerMSP(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading caller identity: %w", err)
	}
	stub := ctx.GetStub()
	key, err := stub.CreateCompositeKey(pingObjectType, []string{msp, nonce})
	if err != nil {
		return nil, err
	}
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, err
	}
	rec := &PingRecord{MSPID: msp, Nonce: nonce, TxID: stub.GetTxID(), Time: ts.AsTime().UTC().Format("2006-01-02T15:04:05.000Z07:00")}
	b, err := marshalCanonical(rec)
	if err != nil {
		return nil, err
	}
	if err := stub.PutState(key, b); err != nil {
		return nil, err
	}
	return rec, nil
}

// GetPing reads back the ping that mspID recorded under nonce.
func (*SystemContract) GetPing(ctx contractapi.TransactionContextInterface, mspID, nonce string) (_ *PingRecord, err error) {
	defer classify(&err)
	stub := ctx.GetStub()
	key, err := stub.CreateCompositeKey(pingObjectType, []string{mspID, nonce})
	if err != nil {
		return nil, err
	}
	b, err := stub.GetState(key)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("no ping from %s with nonce %q", mspID, nonce)
	}
	var rec PingRecord
	if err := unmarshalStrict(b, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}
