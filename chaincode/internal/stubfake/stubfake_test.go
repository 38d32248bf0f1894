package stubfake

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// ccFunc adapts a function to shim.Chaincode.
type ccFunc func(shim.ChaincodeStubInterface) *peer.Response

func (f ccFunc) Init(s shim.ChaincodeStubInterface) *peer.Response   { return shim.Success(nil) }
func (f ccFunc) Invoke(s shim.ChaincodeStubInterface) *peer.Response { return f(s) }

func mustIdentity(t *testing.T, msp string) Identity {
	t.Helper()
	id, err := NewIdentity(msp, "user1")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCreatorWorksWithCid(t *testing.T) {
	id := mustIdentity(t, "BrandMSP")
	s := NewLedger("trustline").NewStub(Tx{Creator: id, Time: time.Unix(1, 0)})
	got, err := cid.GetMSPID(s)
	if err != nil || got != "BrandMSP" {
		t.Fatalf("cid.GetMSPID = %q, %v", got, err)
	}
	cert, err := cid.GetX509Certificate(s)
	if err != nil || cert.Subject.CommonName != "user1" {
		t.Fatalf("cid.GetX509Certificate = %v, %v", cert, err)
	}
	if _, err := NewLedger("c").NewStub(Tx{}).GetCreator(); err == nil {
		t.Fatal("GetCreator without a creator succeeded")
	}
}

func TestCompositeKeys(t *testing.T) {
	s := NewLedger("c").NewStub(Tx{})
	for _, attrs := range [][]string{nil, {"a"}, {"01", "09506000134352", "L1"}, {""}} {
		got, err := s.CreateCompositeKey("lot", attrs)
		want, _ := shim.CreateCompositeKey("lot", attrs)
		if err != nil || got != want {
			t.Fatalf("CreateCompositeKey(%q) = %q, %v; want %q", attrs, got, err, want)
		}
		typ, back, err := s.SplitCompositeKey(got)
		if err != nil || typ != "lot" || strings.Join(back, "|") != strings.Join(attrs, "|") {
			t.Fatalf("SplitCompositeKey(%q) = %q %q %v", got, typ, back, err)
		}
	}
	if _, err := s.CreateCompositeKey("lot", []string{"a\x00b"}); err == nil {
		t.Fatal("attribute with U+0000 accepted")
	}
	if _, err := s.CreateCompositeKey("lot", []string{"\xff"}); err == nil {
		t.Fatal("invalid UTF-8 accepted")
	}
	if _, _, err := s.SplitCompositeKey("plain"); err == nil {
		t.Fatal("SplitCompositeKey of a simple key succeeded")
	}
}

func TestTransactionSemantics(t *testing.T) {
	l := NewLedger("c")
	id := mustIdentity(t, "BrandMSP")
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	put := ccFunc(func(s shim.ChaincodeStubInterface) *peer.Response {
		_, args := s.GetFunctionAndParameters()
		for _, a := range args {
			k, _ := s.CreateCompositeKey("x", []string{a})
			if err := s.PutState(k, []byte(a)); err != nil {
				return shim.Error(err.Error())
			}
			// Own writes are invisible until commit.
			if v, _ := s.GetState(k); v != nil && string(v) == a && len(l.history[k]) == 0 {
				return shim.Error("read own write")
			}
		}
		if err := s.PutState("simple", []byte("v")); err != nil {
			return shim.Error(err.Error())
		}
		_ = s.SetEvent("e1", []byte("first"))
		_ = s.SetEvent("e2", []byte("second"))
		if args[0] == "fail" {
			return shim.Error("fail")
		}
		return shim.Success(nil)
	})
	r := l.Invoke(put, Tx{Creator: id, Time: t0}, "put", "b", "a", "c")
	if !r.OK() || !r.Committed || len(r.Writes) != 4 {
		t.Fatalf("put: %+v", r)
	}
	if ev, _ := r.Event(); ev.Name != "e2" || string(ev.Payload) != "second" {
		t.Fatalf("Event = %+v", ev)
	}
	r = l.Invoke(put, Tx{Creator: id, Time: t0}, "put", "fail", "d")
	if r.OK() || r.Committed || len(r.Writes) == 0 {
		t.Fatalf("failing put: %+v", r)
	}
	if l.State("simple") == nil {
		t.Fatal("committed key missing")
	}
	if k, _ := shim.CreateCompositeKey("x", []string{"d"}); l.State(k) != nil {
		t.Fatal("failed transaction committed")
	}

	s := l.NewStub(Tx{Creator: id, Time: t0})
	it, err := s.GetStateByPartialCompositeKey("x", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for it.HasNext() {
		kv, _ := it.Next()
		got = append(got, string(kv.Value))
	}
	_ = it.Close()
	if strings.Join(got, "") != "abc" {
		t.Fatalf("partial composite query = %q, want abc in order", got)
	}
	if _, err := it.Next(); err == nil {
		t.Fatal("Next after the end succeeded")
	}
	if _, err := s.GetStateByRange("\x00x", ""); err == nil {
		t.Fatal("range query over composite keys accepted")
	}
	rit, err := s.GetStateByRange("", "")
	if err != nil || !rit.HasNext() {
		t.Fatalf("range query: %v", err)
	}
	if kv, _ := rit.Next(); kv.Key != "simple" || rit.HasNext() {
		t.Fatalf("range query returned %q", kv.Key)
	}
	pit, md, err := s.GetStateByPartialCompositeKeyWithPagination("x", nil, 2, "")
	if err != nil || md.FetchedRecordsCount != 2 || md.Bookmark == "" {
		t.Fatalf("paginated: %v %v", md, err)
	}
	_ = pit.Close()
	if _, err := s.GetQueryResult(`{}`); err == nil {
		t.Fatal("rich query accepted")
	}
	if err := s.PutState("", []byte("v")); err == nil {
		t.Fatal("empty key accepted")
	}
	if err := s.PutState("k", nil); err == nil {
		t.Fatal("empty value accepted")
	}
	if err := s.SetEvent("", nil); err == nil {
		t.Fatal("empty event name accepted")
	}
}

func TestHistory(t *testing.T) {
	l := NewLedger("c")
	id := mustIdentity(t, "LabMSP")
	set := ccFunc(func(s shim.ChaincodeStubInterface) *peer.Response {
		_, args := s.GetFunctionAndParameters()
		if args[0] == "" {
			_ = s.DelState("k")
		} else {
			_ = s.PutState("k", []byte(args[0]))
		}
		return shim.Success(nil)
	})
	for i, v := range []string{"1", "2", ""} {
		l.Invoke(set, Tx{Creator: id, Time: time.Unix(int64(100+i), 0), ID: "tx" + v}, "set", v)
	}
	it, err := l.NewStub(Tx{}).GetHistoryForKey("k")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for it.HasNext() {
		m, _ := it.Next()
		got = append(got, m.TxId+":"+string(m.Value)+":"+map[bool]string{true: "del", false: "put"}[m.IsDelete])
	}
	if want := "tx:nil:del|tx2:2:put|tx1:1:put"; strings.ReplaceAll(strings.Join(got, "|"), "tx::", "tx:nil:") != want {
		t.Fatalf("history = %q, want newest first %q", got, want)
	}
	if l.State("k") != nil {
		t.Fatal("deleted key still present")
	}
}

func TestUnsupportedAndMisc(t *testing.T) {
	l := NewLedger("c")
	s := l.NewStub(Tx{ID: "tx1", Transient: map[string][]byte{"k": []byte("v")}}, "fn", "a", "b")
	if fn, params := s.GetFunctionAndParameters(); fn != "fn" || len(params) != 2 {
		t.Fatalf("GetFunctionAndParameters = %q %q", fn, params)
	}
	if b, _ := s.GetArgsSlice(); string(b) != "fnab" {
		t.Fatalf("GetArgsSlice = %q", b)
	}
	if fn, params := l.NewStub(Tx{}).GetFunctionAndParameters(); fn != "" || len(params) != 0 {
		t.Fatal("empty args")
	}
	if s.GetTxID() != "tx1" || s.GetChannelID() != "c" || s.GetDecorations() != nil {
		t.Fatal("ids")
	}
	if tr, _ := s.GetTransient(); string(tr["k"]) != "v" {
		t.Fatal("transient")
	}
	if b, _ := s.GetBinding(); string(b) != "tx1" {
		t.Fatal("binding")
	}
	if _, err := s.GetTxTimestamp(); err == nil {
		t.Fatal("zero timestamp accepted")
	}
	if r := s.InvokeChaincode("x", nil, "c"); r.Status != shim.ERROR {
		t.Fatal("InvokeChaincode succeeded")
	}
	for _, err := range []error{
		s.PutPrivateData("c", "k", []byte("v")), s.DelPrivateData("c", "k"), s.PurgePrivateData("c", "k"),
		s.SetPrivateDataValidationParameter("c", "k", nil), s.SetStateValidationParameter("k", nil),
		second(s.GetPrivateData("c", "k")), second(s.GetPrivateDataHash("c", "k")),
		second(s.GetPrivateDataValidationParameter("c", "k")), second(s.GetSignedProposal()),
		second(s.GetPrivateDataByRange("c", "a", "b")), second(s.GetPrivateDataByPartialCompositeKey("c", "x", nil)),
		second(s.GetPrivateDataQueryResult("c", "{}")),
	} {
		if !errors.Is(err, ErrNotSupported) {
			t.Errorf("unsupported API returned %v", err)
		}
	}
	if _, _, err := s.GetQueryResultWithPagination("{}", 1, ""); !errors.Is(err, ErrNotSupported) {
		t.Error("paginated rich query")
	}
	if v, err := s.GetStateValidationParameter("k"); v != nil || err != nil {
		t.Error("validation parameter")
	}
	if err := s.DelState(""); err == nil {
		t.Error("DelState of empty key")
	}
	if _, err := s.GetState("\xff"); err == nil {
		t.Error("invalid UTF-8 key read")
	}
	if _, err := s.GetHistoryForKey(""); err == nil {
		t.Error("history of empty key")
	}
}

func second[T any](_ T, err error) error { return err }

func TestPaginationAndFaults(t *testing.T) {
	l := NewLedger("c")
	id := mustIdentity(t, "BrandMSP")
	put := ccFunc(func(s shim.ChaincodeStubInterface) *peer.Response {
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			if err := s.PutState(k, []byte(k)); err != nil {
				return shim.Error(err.Error())
			}
		}
		return shim.Success(nil)
	})
	l.Invoke(put, Tx{Creator: id, Time: time.Unix(1, 0)})
	s := l.NewStub(Tx{Creator: id, Time: time.Unix(2, 0)})
	var got []string
	bookmark := ""
	for {
		it, md, err := s.GetStateByRangeWithPagination("", "", 2, bookmark)
		if err != nil {
			t.Fatal(err)
		}
		for it.HasNext() {
			kv, _ := it.Next()
			got = append(got, kv.Key)
		}
		if md.Bookmark == "" {
			break
		}
		bookmark = md.Bookmark
	}
	if strings.Join(got, "") != "abcde" {
		t.Fatalf("paged keys = %q", got)
	}
	// The third ledger call fails; the transaction is not committed.
	r := l.Invoke(put, Tx{Creator: id, Time: time.Unix(3, 0), FailCall: 3})
	if r.OK() || !r.Faulted || r.Committed || !strings.Contains(r.Response.Message, "injected fault") {
		t.Fatalf("faulted invoke = %+v", r)
	}
	if _, _, err := s.GetStateByPartialCompositeKeyWithPagination("x", []string{"\x00"}, 1, ""); err == nil {
		t.Fatal("bad partial key accepted")
	}
	if _, err := s.GetStateByPartialCompositeKey("x", []string{"\x00"}); err == nil {
		t.Fatal("bad partial key accepted")
	}
	hit, _ := s.GetHistoryForKey("a")
	_ = hit.Close()
	if _, err := hit.Next(); err == nil {
		t.Fatal("Next after Close")
	}
}
