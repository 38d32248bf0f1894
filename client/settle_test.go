package client_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/trustline/trustline/client"
)

// orderersAnswer is the gateway's error when too few BFT orderers accepted
// a submission, each other one answering info (as Fabric's gateway words it).
func orderersAnswer(info string) error {
	st := status.New(codes.Unavailable, "insufficient number of orderers could successfully process transaction to satisfy quorum requirement")
	var details []*gateway.ErrorDetail
	for _, o := range []string{"orderer1:7050", "orderer3:7050"} {
		details = append(details, &gateway.ErrorDetail{Address: o, MspId: "OrdererMSP",
			Message: "received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=failed to submit request: " + info})
	}
	for _, d := range details {
		var err error
		if st, err = st.WithDetails(d); err != nil {
			panic(err)
		}
	}
	return st.Err()
}

// TestSettleAlreadyProcessed checks that a submission the BFT orderers
// answer "request already processed" is settled by its transaction's
// commit status: recorded once, reported as it committed, never submitted
// again nor recorded anew unless the ledger invalidated it.
func TestSettleAlreadyProcessed(t *testing.T) {
	ctx := context.Background()
	processed := func(int) error { return orderersAnswer("request already processed") }
	tests := []struct {
		name   string
		submit func(n int) error
		status func(n int) (peer.TxValidationCode, error)
		// want: "" a success; otherwise the error's kind.
		want                            string
		endorsements, submits, statuses int
	}{
		{name: "committed valid", submit: processed, endorsements: 1, submits: 1, statuses: 1},
		{name: "after a lost answer, committed valid", submit: func(n int) error {
			if n == 1 {
				return status.Error(codes.DeadlineExceeded, "submit timeout expired while broadcasting to ordering service")
			}
			return processed(n)
		}, endorsements: 1, submits: 2, statuses: 1},
		{name: "still in the orderers' pool", submit: func(int) error { return orderersAnswer("request already exists") },
			endorsements: 1, submits: 1, statuses: 1},
		{name: "committed as a duplicate of an earlier submission", submit: processed,
			status:       func(int) (peer.TxValidationCode, error) { return peer.TxValidationCode_DUPLICATE_TXID, nil },
			endorsements: 1, submits: 1, statuses: 1},
		{name: "invalidated by a read conflict: endorsed anew", submit: func(n int) error {
			if n == 1 {
				return processed(n)
			}
			return nil
		}, status: func(n int) (peer.TxValidationCode, error) {
			if n == 1 {
				return peer.TxValidationCode_MVCC_READ_CONFLICT, nil
			}
			return peer.TxValidationCode_VALID, nil
		}, endorsements: 2, submits: 2, statuses: 2},
		{name: "invalidated otherwise", submit: processed,
			status: func(int) (peer.TxValidationCode, error) { return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, nil },
			want:   "commit", endorsements: 1, submits: 1, statuses: 1},
		{name: "commit status unavailable", submit: processed,
			status: func(int) (peer.TxValidationCode, error) {
				return 0, status.Error(codes.Unavailable, "peer unreachable")
			},
			want: "unsettled", endorsements: 1, submits: 1, statuses: 3},
		{name: "other orderer refusals unchanged", submit: func(int) error { return orderersAnswer("channel is full") },
			want: "unavailable", endorsements: 1, submits: 3, statuses: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeGateway{submit: tt.submit, status: tt.status}
			var r client.Receipt
			sh, err := connectFake(t, f).Ship(ctx, shipReq, client.WithReceipt(&r))
			endorsed := f.calls(gateway.Gateway_Endorse_FullMethodName)
			submitted := f.calls(gateway.Gateway_Submit_FullMethodName)
			asked := f.calls(gateway.Gateway_CommitStatus_FullMethodName)
			if len(endorsed) != tt.endorsements || len(submitted) != tt.submits || len(asked) != tt.statuses {
				t.Fatalf("%d endorsements, %d submissions, %d status requests; want %d, %d, %d",
					len(endorsed), len(submitted), len(asked), tt.endorsements, tt.submits, tt.statuses)
			}
			last := endorsed[len(endorsed)-1]
			for _, id := range asked {
				if id != submitted[len(submitted)-1] && id != submitted[0] {
					t.Fatalf("status asked of %s, submitted %v", id, submitted)
				}
			}
			var (
				u  *client.UnavailableError
				ap *client.AlreadyProcessedError
				ce *client.CommitError
			)
			switch tt.want {
			case "":
				if err != nil || sh == nil || r.TransactionID != last || r.BlockNumber != 7 {
					t.Fatalf("got %+v, %v, receipt %+v; want a success as %s in block 7", sh, err, r, last)
				}
			case "commit":
				if !errors.As(err, &ce) || ce.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE || ce.TransactionID != last {
					t.Fatalf("got %v, want a *CommitError", err)
				}
			case "unsettled":
				if !errors.As(err, &u) || !u.MaybeCommitted || u.TransactionID != last || !errors.As(err, &ap) ||
					ap.TransactionID != last || len(ap.Orderers) != 2 || ap.Orderers[0] != "orderer1:7050" {
					t.Fatalf("got %v (%#v), want an *UnavailableError, maybe committed, wrapping an *AlreadyProcessedError", err, ap)
				}
				if st, _ := status.FromError(ap.Err); st.Code() != codes.Unavailable {
					t.Fatalf("AlreadyProcessedError.Err %v, want the commit status's error", ap.Err)
				}
			case "unavailable":
				if !errors.As(err, &u) || !u.MaybeCommitted || errors.As(err, &ap) {
					t.Fatalf("got %v, want an *UnavailableError, maybe committed, not settled", err)
				}
			}
		})
	}
}
