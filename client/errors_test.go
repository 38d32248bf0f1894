package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func statusErr(t *testing.T, code codes.Code, msg string, details ...*gateway.ErrorDetail) error {
	t.Helper()
	st := status.New(code, msg)
	if len(details) > 0 {
		var err error
		for _, d := range details {
			if st, err = st.WithDetails(d); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st.Err()
}

func TestWrap(t *testing.T) {
	c := &Client{cfg: Config{GatewayAddress: "peer:7051"}}
	const reason = "only the current custodian (SupplierMSP) can ship lot https://id.gs1.org/01/09506000134352/10/L1"
	tests := []struct {
		name      string
		err       error
		submitted bool
		check     func(t *testing.T, err error)
	}{
		{"endorse refused by chaincode", statusErr(t, codes.Aborted, "failed to endorse transaction, see attached details for more info",
			&gateway.ErrorDetail{Address: "peer1:7051", MspId: "LogisticsMSP", Message: "chaincode response 500, " + reason}),
			false, func(t *testing.T, err error) {
				var r *RejectedError
				if !errors.As(err, &r) || r.Reason != reason || r.MSPID != "LogisticsMSP" || r.Peer != "peer1:7051" || r.Function != "Custody:Ship" {
					t.Fatalf("got %#v", err)
				}
				if err.Error() != "Custody:Ship rejected: "+reason || strings.Contains(err.Error(), "\n") {
					t.Fatalf("message %q", err.Error())
				}
			}},
		{"evaluate refused by chaincode", statusErr(t, codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, lot x not found"),
			false, func(t *testing.T, err error) {
				var r *RejectedError
				if !errors.As(err, &r) || r.Reason != "lot x not found" {
					t.Fatalf("got %#v", err)
				}
			}},
		{"mismatched endorsements", statusErr(t, codes.Aborted, "failed to endorse transaction",
			&gateway.ErrorDetail{Address: "p", MspId: "BrandMSP", Message: "ProposalResponsePayloads do not match"}),
			false, func(t *testing.T, err error) {
				var r *RejectedError
				if !errors.As(err, &r) || r.Reason != "ProposalResponsePayloads do not match" {
					t.Fatalf("got %#v", err)
				}
			}},
		{"gateway down", statusErr(t, codes.Unavailable, "connection refused"), false, func(t *testing.T, err error) {
			var u *UnavailableError
			if !errors.As(err, &u) || u.Address != "peer:7051" || u.MaybeCommitted {
				t.Fatalf("got %#v", err)
			}
			if want := "Custody:Ship: ledger unavailable at peer:7051: connection refused"; err.Error() != want {
				t.Fatalf("message %q, want %q", err.Error(), want)
			}
		}},
		{"timeout after submit", statusErr(t, codes.DeadlineExceeded, "timed out"), true, func(t *testing.T, err error) {
			var u *UnavailableError
			if !errors.As(err, &u) || !u.MaybeCommitted || !strings.Contains(err.Error(), "tx1 may have committed") {
				t.Fatalf("got %v", err)
			}
		}},
		{"cancelled", context.Canceled, false, func(t *testing.T, err error) {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v", err)
			}
		}},
		{"other", fmt.Errorf("boom"), false, func(t *testing.T, err error) {
			var r *RejectedError
			var u *UnavailableError
			if errors.As(err, &r) || errors.As(err, &u) || err.Error() != "Custody:Ship: boom" {
				t.Fatalf("got %#v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, c.wrap("Custody:Ship", "tx1", tc.err, tc.submitted))
		})
	}
}

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{statusErr(t, codes.Unavailable, "x"), true},
		{statusErr(t, codes.DeadlineExceeded, "x"), true},
		{statusErr(t, codes.ResourceExhausted, "x"), true},
		{statusErr(t, codes.Aborted, "x"), false},
		{statusErr(t, codes.Unknown, "chaincode response 500, x"), false},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{errors.New("x"), false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRetry(t *testing.T) {
	o := options{attempts: 3, backoff: 1}
	calls := 0
	_, err := retry(context.Background(), o, func() (int, error) {
		calls++
		return 0, status.Error(codes.Unavailable, "down")
	})
	if calls != 3 || err == nil {
		t.Fatalf("%d calls, err %v; want 3 calls and the last error", calls, err)
	}
	calls = 0
	_, err = retry(context.Background(), o, func() (int, error) {
		calls++
		return 0, status.Error(codes.Aborted, "refused")
	})
	if calls != 1 {
		t.Fatalf("a refusal was retried: %d calls (%v)", calls, err)
	}
	calls = 0
	v, err := retry(context.Background(), o, func() (int, error) {
		calls++
		if calls < 2 {
			return 0, status.Error(codes.Unavailable, "down")
		}
		return 7, nil
	})
	if v != 7 || err != nil || calls != 2 {
		t.Fatalf("got %d, %v after %d calls", v, err, calls)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	full := map[string]string{
		EnvGateway: "127.0.0.1:27000", EnvTLSCA: "ca.crt", EnvTLSServerName: "localhost", EnvMSPID: "LabMSP",
		EnvCert: "cert.pem", EnvKey: "priv_sk", EnvChannel: "trustline", EnvChaincode: "trustline",
	}
	c, err := configFromLookup(env(full))
	if err != nil || c != (Config{GatewayAddress: "127.0.0.1:27000", TLSServerName: "localhost", TLSCACert: "ca.crt",
		CertPath: "cert.pem", KeyPath: "priv_sk", MSPID: "LabMSP", Channel: "trustline", Chaincode: "trustline"}) {
		t.Fatalf("got %+v, %v", c, err)
	}
	if _, err := configFromLookup(env(nil)); !errors.Is(err, ErrNoEnv) {
		t.Fatalf("empty environment: %v, want ErrNoEnv", err)
	}
	partial := map[string]string{EnvGateway: "x:1", EnvMSPID: "LabMSP"}
	_, err = configFromLookup(env(partial))
	if err == nil || !strings.Contains(err.Error(), EnvTLSCA) || !strings.Contains(err.Error(), EnvKey) || strings.Contains(err.Error(), EnvMSPID) {
		t.Fatalf("partial environment: %v", err)
	}
}

// A refusal's class comes from the chaincode's code, not its wording: the
// Reason stays the sentence a person reads, and errors.Is tells the class.
func TestRejectedClass(t *testing.T) {
	c := &Client{cfg: Config{GatewayAddress: "peer:7051"}}
	classes := []error{ErrInvalid, ErrNotFound, ErrExists, ErrForbidden, ErrState}
	tests := []struct {
		name   string
		err    error
		class  error
		reason string
	}{
		{"endorse, forbidden", statusErr(t, codes.Aborted, "failed to endorse transaction, see attached details for more info",
			&gateway.ErrorDetail{Address: "peer1:7051", MspId: "LogisticsMSP", Message: "chaincode response 500, [forbidden] only the current custodian (SupplierMSP) can ship lot L1"}),
			ErrForbidden, "only the current custodian (SupplierMSP) can ship lot L1"},
		{"evaluate, not found", statusErr(t, codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, [not-found] unknown lot L1"),
			ErrNotFound, "unknown lot L1"},
		{"invalid", statusErr(t, codes.Aborted, "x", &gateway.ErrorDetail{Message: "chaincode response 500, [invalid] gtin \"1\" is not 14 digits"}),
			ErrInvalid, `gtin "1" is not 14 digits`},
		{"exists", statusErr(t, codes.Aborted, "x", &gateway.ErrorDetail{Message: "chaincode response 500, [exists] lot L1 already exists"}),
			ErrExists, "lot L1 already exists"},
		{"state", statusErr(t, codes.Aborted, "x", &gateway.ErrorDetail{Message: "chaincode response 500, [state] lot L1 is recalled"}),
			ErrState, "lot L1 is recalled"},
		{"no code", statusErr(t, codes.Aborted, "x", &gateway.ErrorDetail{Message: "chaincode response 500, lot x not found"}),
			nil, "lot x not found"},
		{"policy not met", statusErr(t, codes.Aborted, "x", &gateway.ErrorDetail{Message: "ProposalResponsePayloads do not match"}),
			nil, "ProposalResponsePayloads do not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", c.wrap("Custody:Ship", "tx1", tc.err, false))
			var r *RejectedError
			if !errors.As(err, &r) || r.Reason != tc.reason || r.Class != tc.class {
				t.Fatalf("wrap = %#v, want Reason %q, Class %v", err, tc.reason, tc.class)
			}
			for _, class := range classes {
				if got := errors.Is(err, class); got != (class == tc.class) {
					t.Errorf("errors.Is(err, %v) = %v", class, got)
				}
			}
		})
	}
}

func TestChaincodeMessage(t *testing.T) {
	tests := []struct {
		in, msg string
		ok      bool
	}{
		{"chaincode response 500, [forbidden] no", "[forbidden] no", true},
		{"chaincode response 404, ", "", true},
		{"chaincode response , x", "", false},
		{"chaincode response 500 x", "", false},
		{"endorsement failure", "", false},
	}
	for _, tc := range tests {
		if msg, ok := chaincodeMessage(tc.in); msg != tc.msg || ok != tc.ok {
			t.Errorf("chaincodeMessage(%q) = %q, %v; want %q, %v", tc.in, msg, ok, tc.msg, tc.ok)
		}
	}
}

func TestDuplicate(t *testing.T) {
	exists := func(reason string) error {
		return &RejectedError{Function: FnCaptureRecord, Reason: reason, Class: ErrExists}
	}
	const src = "urn:uuid:1"
	for _, c := range []struct {
		err  error
		dup  bool
		want string
	}{
		{exists("EPCIS event urn:uuid:1 is already recorded (as ni:///sha-256;ab?ver=CBV2.1)"), true, "ni:///sha-256;ab?ver=CBV2.1"},
		{exists("EPCIS event urn:uuid:1 is already recorded"), true, src},
		{exists("lot https://id.gs1.org/01/09506000134352/10/L1 already exists"), false, ""},
		{exists("EPCIS event urn:uuid:2 is already recorded (as x)"), false, ""},
		{&RejectedError{Reason: "EPCIS event urn:uuid:1 is already recorded", Class: ErrForbidden}, false, ""},
	} {
		err := duplicate(src, c.err)
		var d *DuplicateError
		if errors.As(err, &d) != c.dup || (c.dup && (d.EventID != c.want || !errors.Is(err, ErrDuplicate) || !errors.Is(err, ErrExists))) {
			t.Errorf("duplicate(%v) = %v", c.err, err)
		}
	}
}
