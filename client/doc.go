// Package client is the Go library a consortium member embeds to record and
// read trustline's ledger: typed methods for every chaincode function, typed
// errors, and retries that never record a transaction twice.
//
//	c, err := client.Connect(ctx, cfg)            // or client.ConfigFromEnv()
//	lot, err := c.CreateBatch(ctx, ledger.BatchRequest{...})
//	_, err = c.Ship(ctx, ledger.ShipRequest{Lot: lot.ID, To: "LogisticsMSP", ...})
//	var rejected *client.RejectedError
//	if errors.As(err, &rejected) { fmt.Println(rejected.Reason) }
//
// # Errors
//
// A refusal by the chaincode (a rule of the ledger) is a *RejectedError
// carrying the chaincode's message; an unreachable or unresponsive gateway
// is an *UnavailableError; a transaction that was ordered but failed
// validation (an endorsement policy failure, a read conflict that persisted
// through the retries) is a *CommitError with the validation code.
//
// # Retries
//
// A write is endorsed once and its signed transaction kept: a transient
// failure to endorse, submit or obtain the commit status is retried with the
// same transaction id, which Fabric commits at most once (a second copy is
// invalidated as DUPLICATE_TXID, which this package reports as the success
// of the first). Only a transaction that provably did not change the ledger
// (invalidated by an MVCC or phantom read conflict) is endorsed anew, with a
// new transaction id.
package client
