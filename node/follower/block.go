package follower

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// BlockError is a block whose structure cannot be read.
type BlockError struct {
	Number uint64
	Err    error
}

func (e *BlockError) Error() string { return fmt.Sprintf("block %d: %v", e.Number, e.Err) }
func (e *BlockError) Unwrap() error { return e.Err }

// ParseBlock reduces a block to its transactions' ids, validity and the
// chaincode events set by chaincode. A transaction whose envelope cannot
// be decoded gets Err; only a block without data or a transaction filter
// of the right length is an error.
func ParseBlock(b *common.Block, chaincode string) (Block, error) {
	num := b.GetHeader().GetNumber()
	data := b.GetData().GetData()
	md := b.GetMetadata().GetMetadata()
	if int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) >= len(md) {
		return Block{}, &BlockError{num, errors.New("no TRANSACTIONS_FILTER metadata")}
	}
	filter := md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	if len(filter) != len(data) {
		return Block{}, &BlockError{num, fmt.Errorf("%d transactions, %d validation codes", len(data), len(filter))}
	}
	out := Block{Number: num, Txs: make([]Tx, len(data))}
	for i, env := range data {
		t := &out.Txs[i]
		t.Valid = peer.TxValidationCode(filter[i]) == peer.TxValidationCode_VALID
		t.ID, t.Event, t.Err = parseEnvelope(env, chaincode)
	}
	return out, nil
}

// parseEnvelope follows Envelope → Payload → Transaction →
// ChaincodeActionPayload → ChaincodeEndorsedAction →
// ProposalResponsePayload → ChaincodeAction.Events (and Results, the
// read-write set, which a slim event's records are read from: payload.go).
// Transactions other
// than endorser transactions (configuration) have no event.
func parseEnvelope(raw []byte, chaincode string) (string, *ChaincodeEvent, error) {
	var env common.Envelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return "", nil, fmt.Errorf("envelope: %w", err)
	}
	var pl common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &pl); err != nil {
		return "", nil, fmt.Errorf("payload: %w", err)
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(pl.GetHeader().GetChannelHeader(), &ch); err != nil {
		return "", nil, fmt.Errorf("channel header: %w", err)
	}
	if common.HeaderType(ch.GetType()) != common.HeaderType_ENDORSER_TRANSACTION {
		return ch.GetTxId(), nil, nil
	}
	var tx peer.Transaction
	if err := proto.Unmarshal(pl.GetData(), &tx); err != nil {
		return ch.GetTxId(), nil, fmt.Errorf("transaction: %w", err)
	}
	for _, action := range tx.GetActions() {
		var act peer.ChaincodeActionPayload
		if err := proto.Unmarshal(action.GetPayload(), &act); err != nil {
			return ch.GetTxId(), nil, fmt.Errorf("chaincode action payload: %w", err)
		}
		var prp peer.ProposalResponsePayload
		if err := proto.Unmarshal(act.GetAction().GetProposalResponsePayload(), &prp); err != nil {
			return ch.GetTxId(), nil, fmt.Errorf("proposal response payload: %w", err)
		}
		var ca peer.ChaincodeAction
		if err := proto.Unmarshal(prp.GetExtension(), &ca); err != nil {
			return ch.GetTxId(), nil, fmt.Errorf("chaincode action: %w", err)
		}
		if len(ca.GetEvents()) == 0 {
			continue
		}
		var ev peer.ChaincodeEvent
		if err := proto.Unmarshal(ca.GetEvents(), &ev); err != nil {
			return ch.GetTxId(), nil, fmt.Errorf("chaincode event: %w", err)
		}
		if ev.GetChaincodeId() == chaincode {
			return ch.GetTxId(), &ChaincodeEvent{Name: ev.GetEventName(), Payload: ev.GetPayload(), Chaincode: chaincode, Results: ca.GetResults()}, nil
		}
	}
	return ch.GetTxId(), nil, nil
}
