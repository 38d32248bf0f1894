package follower

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelope builds a transaction envelope as a peer stores it; ev nil
// leaves the chaincode action without an event.
func envelope(t *testing.T, typ common.HeaderType, txID string, ev *peer.ChaincodeEvent) []byte {
	ch := mustMarshal(t, &common.ChannelHeader{Type: int32(typ), TxId: txID})
	var events []byte
	if ev != nil {
		events = mustMarshal(t, ev)
	}
	ca := mustMarshal(t, &peer.ChaincodeAction{Events: events})
	prp := mustMarshal(t, &peer.ProposalResponsePayload{Extension: ca})
	act := mustMarshal(t, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp}})
	tx := mustMarshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: act}}})
	pl := mustMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: ch}, Data: tx})
	return mustMarshal(t, &common.Envelope{Payload: pl})
}

func TestParseBlock(t *testing.T) {
	ours := &peer.ChaincodeEvent{ChaincodeId: "trustline", TxId: "a", EventName: "trustline", Payload: []byte(`{}`)}
	theirs := &peer.ChaincodeEvent{ChaincodeId: "other", TxId: "b", EventName: "trustline", Payload: []byte(`{}`)}
	data := [][]byte{
		envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "a", ours),
		envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "b", theirs),
		envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "c", nil),
		envelope(t, common.HeaderType_CONFIG, "d", nil),
		envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "e", ours),
		[]byte("\xffnot a protobuf"),
	}
	filter := []byte{byte(peer.TxValidationCode_VALID), 0, 0, 0, byte(peer.TxValidationCode_MVCC_READ_CONFLICT), 0}
	md := make([][]byte, common.BlockMetadataIndex_TRANSACTIONS_FILTER+1)
	md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = filter
	b := &common.Block{Header: &common.BlockHeader{Number: 7}, Data: &common.BlockData{Data: data}, Metadata: &common.BlockMetadata{Metadata: md}}

	got, err := ParseBlock(b, "trustline")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		id           string
		valid, event bool
		err          bool
	}{
		{"a", true, true, false},
		{"b", true, false, false},
		{"c", true, false, false},
		{"d", true, false, false},
		{"e", false, true, false},
		{"", true, false, true},
	} {
		tx := got.Txs[i]
		if tx.ID != want.id || tx.Valid != want.valid || (tx.Event != nil) != want.event || (tx.Err != nil) != want.err {
			t.Errorf("tx %d = %+v, want %+v", i, tx, want)
		}
	}
	if got.Number != 7 || string(got.Txs[0].Event.Payload) != "{}" || got.Txs[0].Event.Name != "trustline" {
		t.Errorf("block = %+v", got)
	}

	for name, blk := range map[string]*common.Block{
		"no metadata":      {Header: b.Header, Data: b.Data},
		"filter too short": {Header: b.Header, Data: b.Data, Metadata: &common.BlockMetadata{Metadata: [][]byte{nil, nil, filter[:2]}}},
	} {
		if _, err := ParseBlock(blk, "trustline"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
