package client

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/trustline/trustline/ledger"
)

// Classes of a chaincode's refusal. A *RejectedError matches its class with
// errors.Is, read from the stable code the chaincode puts in front of its
// message (see ledger.Rejection), never from the wording:
//
//	if errors.Is(err, client.ErrNotFound) { … }
var (
	ErrInvalid   = ledger.ErrInvalid
	ErrNotFound  = ledger.ErrNotFound
	ErrExists    = ledger.ErrExists
	ErrForbidden = ledger.ErrForbidden
	ErrState     = ledger.ErrState
)

// RejectedError is a refusal by the chaincode: the request broke a rule of
// the ledger (a bad argument, a missing record, a caller without the right
// role or custody). Nothing was recorded.
type RejectedError struct {
	// Function is the transaction name, e.g. "Custody:Ship".
	Function      string
	TransactionID string
	// Reason is the chaincode's message, e.g. "only the current custodian
	// (SupplierMSP) can ship lot https://id.gs1.org/01/…/10/L1".
	Reason string
	// Class is the refusal's class (ErrForbidden, ErrNotFound, …), which
	// the error matches with errors.Is; nil when the chaincode gave none
	// (an endorsement policy not met, an older chaincode).
	Class error
	// MSPID and Peer identify the peer that reported the refusal, when known.
	MSPID string
	Peer  string
	// Err is fabric-gateway's error (an *client.EndorseError for writes).
	Err error
}

func (e *RejectedError) Error() string { return e.Function + " rejected: " + e.Reason }
func (e *RejectedError) Unwrap() error { return e.Err }

// Is reports whether target is the refusal's class.
func (e *RejectedError) Is(target error) bool { return e.Class != nil && target == e.Class }

// UnavailableError is a failure to reach the gateway or to get its answer in
// time, after the retries. For a write, MaybeCommitted says the failure came
// after the transaction was (or may have been) handed to the orderer: check
// TransactionID's status before recording the same thing again.
type UnavailableError struct {
	Function      string
	Address       string
	TransactionID string
	// MaybeCommitted is true when the transaction had been submitted to
	// the orderer, or a submission may have reached it, before the failure.
	MaybeCommitted bool
	Err            error
}

func (e *UnavailableError) Error() string {
	var b strings.Builder
	if e.Function != "" {
		b.WriteString(e.Function + ": ")
	}
	b.WriteString("ledger unavailable")
	if e.Address != "" {
		b.WriteString(" at " + e.Address)
	}
	b.WriteString(": " + shortCause(e.Err))
	if e.MaybeCommitted {
		b.WriteString(fmt.Sprintf(" (transaction %s may have committed; check it before retrying)", e.TransactionID))
	}
	return b.String()
}
func (e *UnavailableError) Unwrap() error { return e.Err }

// AlreadyProcessedError is the ordering service's answer that it has already
// ordered a transaction (a SmartBFT orderer's "request already processed"),
// when the transaction's commit status could not be learned after it. A
// write that gets this answer is settled by its commit status; the error
// is seen only inside an *UnavailableError with MaybeCommitted set, when
// that failed too. The transaction is in a block, valid or not: ask for
// TransactionID's status, and never record the same thing again as a new
// transaction before knowing it.
type AlreadyProcessedError struct {
	Function      string
	TransactionID string
	// Orderers are the addresses of the orderers that answered so, when
	// the gateway named them.
	Orderers []string
	// Submit is the gateway's answer to the submission; Err is why its
	// commit status could not be learned.
	Submit, Err error
}

func (e *AlreadyProcessedError) Error() string {
	msg := fmt.Sprintf("%s: the ordering service has already processed transaction %s", e.Function, e.TransactionID)
	if e.Err != nil {
		msg += "; its commit status: " + shortCause(e.Err)
	}
	return msg
}

func (e *AlreadyProcessedError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Submit, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Answers of an orderer that has the transaction already, as the gateway
// relays them: "request already processed" once it is in a block, "request
// already exists" while it waits in the orderer's pool (recent gateways
// take the latter as a success; older ones do not).
var alreadyAnswers = []string{"request already processed", "request already exists"}

// alreadyProcessed says, as an *AlreadyProcessedError, whether err is the
// ordering service answering a submission that it has the transaction
// already; nil when it is not.
func alreadyProcessed(fn, txID string, err error) *AlreadyProcessedError {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	said := func(msg string) bool {
		for _, a := range alreadyAnswers {
			if strings.Contains(msg, a) {
				return true
			}
		}
		return false
	}
	var e *AlreadyProcessedError
	for _, d := range st.Details() {
		if det, isDetail := d.(*gateway.ErrorDetail); isDetail && said(det.GetMessage()) {
			if e == nil {
				e = &AlreadyProcessedError{Function: fn, TransactionID: txID, Submit: err}
			}
			if det.GetAddress() != "" {
				e.Orderers = append(e.Orderers, det.GetAddress())
			}
		}
	}
	if e == nil && said(st.Message()) {
		e = &AlreadyProcessedError{Function: fn, TransactionID: txID, Submit: err}
	}
	return e
}

// CommitError is a transaction that was ordered into a block but marked
// invalid there, so it changed nothing.
type CommitError struct {
	Function      string
	TransactionID string
	BlockNumber   uint64
	// Code is the validation code, e.g. ENDORSEMENT_POLICY_FAILURE.
	Code peer.TxValidationCode
	Err  error
}

func (e *CommitError) Error() string {
	return fmt.Sprintf("%s: transaction %s invalid in block %d: %s", e.Function, e.TransactionID, e.BlockNumber, e.Code)
}
func (e *CommitError) Unwrap() error { return e.Err }

// chaincodeMessage is the chaincode's own message in s, which the peer
// writes as "chaincode response <status>, <message>"; ok is false when s is
// not a chaincode response.
func chaincodeMessage(s string) (msg string, ok bool) {
	rest, ok := strings.CutPrefix(s, "chaincode response ")
	if !ok {
		return "", false
	}
	digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
	msg, ok = strings.CutPrefix(rest[digits:], ", ")
	if !ok || digits == 0 {
		return "", false
	}
	return msg, true
}

// transient reports whether err is worth retrying unchanged: the gateway
// or its peers were unreachable or too slow.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || alreadyProcessed("", "", err) != nil {
		// An orderer that has the transaction says so again.
		return false
	}
	st, ok := status.FromError(err)
	if !ok {
		return errors.Is(err, context.DeadlineExceeded)
	}
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		return true
	}
	return false
}

// EndorsersDisagree reports whether err (from the gateway, or a
// *RejectedError wrapping it) says a write's endorsers returned different
// results: peers at different heights, one without the block of a write
// just made, read different states. Nothing was submitted, and a new
// proposal a moment later finds them agreeing; a write retries it itself
// (WithRetry's attempts), and a caller may wait longer.
func EndorsersDisagree(err error) bool {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Aborted {
		return false
	}
	const mismatch = "ProposalResponsePayloads do not match"
	if strings.Contains(st.Message(), mismatch) {
		return true
	}
	for _, d := range st.Details() {
		if det, ok := d.(*gateway.ErrorDetail); ok && strings.Contains(det.GetMessage(), mismatch) {
			return true
		}
	}
	return false
}

// wrap turns a fabric-gateway error of fn into this package's typed errors.
// submitted says whether the transaction may have reached the orderer.
func (c *Client) wrap(fn, txID string, err error, submitted bool) error {
	if err == nil {
		return nil
	}
	var ce *client.CommitError
	if errors.As(err, &ce) {
		return &CommitError{Function: fn, TransactionID: ce.TransactionID, Code: ce.Code, Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if transient(err) {
		return &UnavailableError{Function: fn, Address: c.cfg.GatewayAddress, TransactionID: txID, MaybeCommitted: submitted, Err: err}
	}
	if msg, msp, peerAddr, ok := rejection(err); ok {
		code, reason := ledger.SplitRejection(msg)
		return &RejectedError{Function: fn, TransactionID: txID, Reason: reason, Class: ledger.RejectClass(code), MSPID: msp, Peer: peerAddr, Err: err}
	}
	return fmt.Errorf("%s: %w", fn, err)
}

// rejection extracts the chaincode's refusal from a gateway error: the
// first error detail carrying a chaincode response, else the status
// message of an evaluation that names one.
func rejection(err error) (reason, msp, peerAddr string, ok bool) {
	st, isStatus := status.FromError(err)
	if !isStatus {
		return "", "", "", false
	}
	var first *gateway.ErrorDetail
	for _, d := range st.Details() {
		det, isDetail := d.(*gateway.ErrorDetail)
		if !isDetail {
			continue
		}
		if first == nil {
			first = det
		}
		if msg, ok := chaincodeMessage(det.GetMessage()); ok {
			return msg, det.GetMspId(), det.GetAddress(), true
		}
	}
	msg := st.Message()
	if i := strings.Index(msg, "chaincode response "); i >= 0 {
		if m, ok := chaincodeMessage(msg[i:]); ok {
			return m, "", "", true
		}
	}
	if first != nil && st.Code() == codes.Aborted {
		// Endorsed, but not as the policy requires (mismatched results,
		// too few endorsers): still the ledger saying no.
		return first.GetMessage(), first.GetMspId(), first.GetAddress(), true
	}
	return "", "", "", false
}

// shortCause is a gRPC error's message without the "rpc error: code = …
// desc =" wrapping.
func shortCause(err error) string {
	if err == nil {
		return ""
	}
	if st, ok := status.FromError(err); ok {
		return st.Message()
	}
	return err.Error()
}
