package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
)

// fakeGateway is a peer gateway scripted per call number (1-based), which
// records the transaction id of every call.
type fakeGateway struct {
	endorse func(n int) error
	submit  func(n int) error
	status  func(n int) (peer.TxValidationCode, error)
	// evaluate answers a query of chaincode cc's function fn, sent to the
	// peers of orgs (none: the gateway's choice).
	evaluate func(orgs []string, cc, fn string, args []string) ([]byte, error)

	mu  sync.Mutex
	txs map[string][]string // method → transaction ids, in call order
}

func (f *fakeGateway) record(method, txID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.txs == nil {
		f.txs = map[string][]string{}
	}
	f.txs[method] = append(f.txs[method], txID)
	return len(f.txs[method])
}

func (f *fakeGateway) calls(method string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.txs[method]...)
}

func (f *fakeGateway) Invoke(_ context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	switch method {
	case gateway.Gateway_Endorse_FullMethodName:
		req := args.(*gateway.EndorseRequest)
		if n := f.record(method, req.GetTransactionId()); f.endorse != nil {
			if err := f.endorse(n); err != nil {
				return err
			}
		}
		reply.(*gateway.EndorseResponse).PreparedTransaction = preparedTransaction(req.GetChannelId(), []byte(`{"id":"https://id.gs1.org/01/09506000134352/10/L1","custodian":"SupplierMSP"}`))
	case gateway.Gateway_Submit_FullMethodName:
		req := args.(*gateway.SubmitRequest)
		if n := f.record(method, req.GetTransactionId()); f.submit != nil {
			return f.submit(n)
		}
	case gateway.Gateway_CommitStatus_FullMethodName:
		var req gateway.CommitStatusRequest
		if err := proto.Unmarshal(args.(*gateway.SignedCommitStatusRequest).GetRequest(), &req); err != nil {
			return err
		}
		code := peer.TxValidationCode_VALID
		if n := f.record(method, req.GetTransactionId()); f.status != nil {
			var err error
			if code, err = f.status(n); err != nil {
				return err
			}
		}
		r := reply.(*gateway.CommitStatusResponse)
		r.Result, r.BlockNumber = code, 7
	case gateway.Gateway_Evaluate_FullMethodName:
		req := args.(*gateway.EvaluateRequest)
		f.record(method, req.GetTransactionId())
		cc, fn, a, err := invocation(req.GetProposedTransaction())
		if err != nil {
			return err
		}
		if f.evaluate == nil {
			return status.Errorf(codes.Unimplemented, "fake gateway: evaluate %s %s", cc, fn)
		}
		res, err := f.evaluate(req.GetTargetOrganizations(), cc, fn, a)
		if err != nil {
			return err
		}
		reply.(*gateway.EvaluateResponse).Result = &peer.Response{Status: 200, Payload: res}
	default:
		return status.Errorf(codes.Unimplemented, "fake gateway: %s", method)
	}
	return nil
}

func (f *fakeGateway) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "fake gateway: no streams")
}

// invocation decodes a signed proposal's chaincode, function and arguments.
func invocation(sp *peer.SignedProposal) (cc, fn string, args []string, err error) {
	var prop peer.Proposal
	var payload peer.ChaincodeProposalPayload
	var spec peer.ChaincodeInvocationSpec
	if err := proto.Unmarshal(sp.GetProposalBytes(), &prop); err != nil {
		return "", "", nil, err
	}
	if err := proto.Unmarshal(prop.GetPayload(), &payload); err != nil {
		return "", "", nil, err
	}
	if err := proto.Unmarshal(payload.GetInput(), &spec); err != nil {
		return "", "", nil, err
	}
	in := spec.GetChaincodeSpec().GetInput().GetArgs()
	if len(in) == 0 {
		return "", "", nil, status.Error(codes.InvalidArgument, "fake gateway: no function")
	}
	for _, a := range in[1:] {
		args = append(args, string(a))
	}
	return spec.GetChaincodeSpec().GetChaincodeId().GetName(), string(in[0]), args, nil
}

// preparedTransaction is the smallest envelope fabric-gateway parses: a
// channel header and one action whose chaincode response is result.
func preparedTransaction(channel string, result []byte) *common.Envelope {
	must := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			panic(err)
		}
		return b
	}
	action := must(&peer.ChaincodeAction{Response: &peer.Response{Status: 200, Payload: result}})
	prp := must(&peer.ProposalResponsePayload{Extension: action})
	payloadAction := must(&peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp}})
	tx := must(&peer.Transaction{Actions: []*peer.TransactionAction{{Payload: payloadAction}}})
	payload := must(&common.Payload{
		Header: &common.Header{ChannelHeader: must(&common.ChannelHeader{ChannelId: channel})},
		Data:   tx,
	})
	return &common.Envelope{Payload: payload}
}

// identityFiles writes a throwaway certificate and PKCS #8 key.
func identityFiles(t *testing.T) client.Config {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "user"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := x509.MarshalPKCS8PrivateKey(k)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600)
	return client.Config{GatewayAddress: "fake:7051", TLSCACert: cert, CertPath: cert, KeyPath: key, MSPID: "SupplierMSP"}
}

func connectFake(t *testing.T, f *fakeGateway, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.Connect(context.Background(), identityFiles(t),
		append([]client.Option{client.WithClientConnection(f), client.WithRetry(3, time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var shipReq = ledger.ShipRequest{Lot: "https://id.gs1.org/01/09506000134352/10/L1", To: "LogisticsMSP", Destination: "9506000134383"}

func unavailable(int) error { return status.Error(codes.Unavailable, "orderer unreachable") }

func sameTx(t *testing.T, ids []string, want int) string {
	t.Helper()
	if len(ids) != want {
		t.Fatalf("%d calls, want %d: %v", len(ids), want, ids)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("transaction ids differ across retries: %v", ids)
		}
	}
	return ids[0]
}

// TestRetries checks the retry discipline: transient failures retry the
// same transaction; only a read conflict, or endorsers disagreeing, makes
// a new one.
func TestRetries(t *testing.T) {
	ctx := context.Background()

	t.Run("submit retried with the same transaction id", func(t *testing.T) {
		f := &fakeGateway{submit: func(n int) error {
			if n < 3 {
				return unavailable(n)
			}
			return nil
		}}
		var r client.Receipt
		if _, err := connectFake(t, f).Ship(ctx, shipReq, client.WithReceipt(&r)); err != nil {
			t.Fatal(err)
		}
		id := sameTx(t, f.calls(gateway.Gateway_Submit_FullMethodName), 3)
		if sameTx(t, f.calls(gateway.Gateway_Endorse_FullMethodName), 1) != id || r.TransactionID != id || r.BlockNumber != 7 {
			t.Fatalf("receipt %+v, submitted %s", r, id)
		}
	})

	t.Run("duplicate of an earlier submission is success", func(t *testing.T) {
		f := &fakeGateway{submit: func(n int) error {
			if n == 1 {
				return status.Error(codes.DeadlineExceeded, "no answer from the orderer")
			}
			return nil
		}, status: func(int) (peer.TxValidationCode, error) { return peer.TxValidationCode_DUPLICATE_TXID, nil }}
		sh, err := connectFake(t, f).Ship(ctx, shipReq)
		if err != nil || sh == nil {
			t.Fatalf("got %+v, %v", sh, err)
		}
		sameTx(t, f.calls(gateway.Gateway_Submit_FullMethodName), 2)
	})

	t.Run("read conflict endorsed anew", func(t *testing.T) {
		f := &fakeGateway{status: func(n int) (peer.TxValidationCode, error) {
			if n == 1 {
				return peer.TxValidationCode_MVCC_READ_CONFLICT, nil
			}
			return peer.TxValidationCode_VALID, nil
		}}
		if _, err := connectFake(t, f).Ship(ctx, shipReq); err != nil {
			t.Fatal(err)
		}
		if ids := f.calls(gateway.Gateway_Endorse_FullMethodName); len(ids) != 2 || ids[0] == ids[1] {
			t.Fatalf("endorsements %v, want two distinct transactions", ids)
		}
	})

	// Peers at different heights (one without the block of a write just
	// made) endorse different results; the gateway refuses to assemble.
	mismatch := func(int) error {
		st, _ := status.New(codes.Aborted, "failed to assemble transaction, see attached details for more info").WithDetails(
			&gateway.ErrorDetail{Address: "peer0:7051", MspId: "LogisticsMSP", Message: "ProposalResponsePayloads do not match"})
		return st.Err()
	}
	t.Run("endorsers disagreeing endorsed anew", func(t *testing.T) {
		f := &fakeGateway{endorse: func(n int) error {
			if n == 1 {
				return mismatch(n)
			}
			return nil
		}}
		if _, err := connectFake(t, f).Ship(ctx, shipReq); err != nil {
			t.Fatal(err)
		}
		if ids := f.calls(gateway.Gateway_Endorse_FullMethodName); len(ids) != 2 || ids[0] == ids[1] {
			t.Fatalf("endorsements %v, want two distinct transactions", ids)
		}
		sameTx(t, f.calls(gateway.Gateway_Submit_FullMethodName), 1)
	})

	t.Run("endorsers disagreeing every time", func(t *testing.T) {
		f := &fakeGateway{endorse: mismatch}
		_, err := connectFake(t, f).Ship(ctx, shipReq)
		var re *client.RejectedError
		if !errors.As(err, &re) || re.Reason != "ProposalResponsePayloads do not match" || !client.EndorsersDisagree(err) {
			t.Fatalf("got %v", err)
		}
		if ids := f.calls(gateway.Gateway_Endorse_FullMethodName); len(ids) != 3 {
			t.Fatalf("%d endorsements, want 3 (the attempts)", len(ids))
		}
		if n := len(f.calls(gateway.Gateway_Submit_FullMethodName)); n != 0 {
			t.Fatalf("submitted %d times", n)
		}
	})

	t.Run("policy failure not retried", func(t *testing.T) {
		f := &fakeGateway{status: func(int) (peer.TxValidationCode, error) {
			return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, nil
		}}
		_, err := connectFake(t, f).Ship(ctx, shipReq)
		var ce *client.CommitError
		if !errors.As(err, &ce) || ce.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE || ce.BlockNumber != 7 {
			t.Fatalf("got %v", err)
		}
		sameTx(t, f.calls(gateway.Gateway_Endorse_FullMethodName), 1)
	})

	t.Run("rejection not retried", func(t *testing.T) {
		f := &fakeGateway{endorse: func(int) error {
			st, _ := status.New(codes.Aborted, "failed to endorse transaction, see attached details for more info").WithDetails(
				&gateway.ErrorDetail{Address: "peer0:7051", MspId: "SupplierMSP", Message: "chaincode response 500, only the current custodian (SupplierMSP) can ship lot L1"})
			return st.Err()
		}}
		_, err := connectFake(t, f).Ship(ctx, shipReq)
		var re *client.RejectedError
		if !errors.As(err, &re) || re.Reason != "only the current custodian (SupplierMSP) can ship lot L1" || re.TransactionID == "" {
			t.Fatalf("got %v", err)
		}
		sameTx(t, f.calls(gateway.Gateway_Endorse_FullMethodName), 1)
		if n := len(f.calls(gateway.Gateway_Submit_FullMethodName)); n != 0 {
			t.Fatalf("a rejected transaction was submitted %d times", n)
		}
	})

	t.Run("submit never reaches the orderer", func(t *testing.T) {
		f := &fakeGateway{submit: unavailable}
		_, err := connectFake(t, f).Ship(ctx, shipReq)
		var u *client.UnavailableError
		if !errors.As(err, &u) || !u.MaybeCommitted || u.TransactionID == "" {
			t.Fatalf("got %v", err)
		}
		if id := sameTx(t, f.calls(gateway.Gateway_Submit_FullMethodName), 3); id != u.TransactionID {
			t.Fatalf("error names %s, submitted %s", u.TransactionID, id)
		}
	})

	t.Run("endorsement unavailable", func(t *testing.T) {
		f := &fakeGateway{endorse: unavailable}
		_, err := connectFake(t, f).Ship(ctx, shipReq)
		var u *client.UnavailableError
		if !errors.As(err, &u) || u.MaybeCommitted {
			t.Fatalf("got %v", err)
		}
		sameTx(t, f.calls(gateway.Gateway_Endorse_FullMethodName), 3)
	})
}
