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
// carrying the chaincode's message and its class, which errors.Is tells
// (ErrInvalid, ErrNotFound, ErrExists, ErrForbidden, ErrState; the chaincode
// sends the class as a stable code, see ledger.Rejection); an unreachable or
// unresponsive gateway is an *UnavailableError; a transaction that was ordered but failed
// validation (an endorsement policy failure, a read conflict that persisted
// through the retries) is a *CommitError with the validation code.
//
// # Retries
//
// A write is endorsed once and its signed transaction kept: a transient
// failure to endorse, submit or obtain the commit status is retried with the
// same transaction id, which Fabric commits at most once (a second copy is
// invalidated as DUPLICATE_TXID, which this package reports as the success
// of the first). A submission the ordering service answers as one it has
// already processed (SmartBFT orderers do so, under load, when the
// transaction reached some of them after the others had ordered it, or on a
// resubmission) is not submitted again: it is settled by the transaction's
// commit status, reported as it committed; when that status cannot be had,
// the *UnavailableError (MaybeCommitted) wraps an *AlreadyProcessedError.
// Only a transaction that provably did not change the ledger is endorsed
// anew, with a new transaction id: one invalidated by an MVCC or phantom
// read conflict, or one never submitted because its endorsers returned
// different results ("ProposalResponsePayloads do not match": peers at
// different heights, one still without the block of a write just made).
//
// # Other organisations' peers
//
// A write returns once the client's own gateway peer has committed its
// block; another organisation's peer commits the same block moments later,
// and a call as that organisation made at once (a Receive right after the
// sender's Ship, say) may not see the write yet. WithPeerSync(AllMembers)
// at Connect, or WaitForOrganizations on one write, makes the write also
// wait until the peers of those organisations have its block, polling each
// peer's ledger height through the gateway (qscc GetChainInfo, which any
// channel member may ask of any peer); AllMembers are the role table's
// members (Members). The wait is bounded (WithPeerSyncTimeout, default 5s)
// and never fails the write: when it ends with a peer behind, the write
// returns its result and a nil error, and the *SyncError naming the lagging
// organisations is in its Receipt and passed to WithPeerSyncHandler.
// WaitForBlock waits for a block on its own; queries never wait. On a local
// four-organisation testnet the wait adds some 15-25 ms to a write.
//
//	c, err := client.Connect(ctx, cfg, client.WithPeerSync(client.AllMembers))
//	var r client.Receipt
//	_, err = c.Ship(ctx, req, client.WithReceipt(&r))
//	if err == nil && r.Sync != nil { log.Print(r.Sync) } // committed; a peer lags
package client
