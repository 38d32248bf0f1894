package follower

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/encoding/protowire"
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
// read-write set, which a slim event's records are read from: payload.go),
// walking the wire form (wire.go) and checking each message as
// proto.Unmarshal would. Transactions other than endorser transactions
// (configuration) have no event.
func parseEnvelope(raw []byte, chaincode string) (string, *ChaincodeEvent, error) {
	if err := wireCheck(raw, schemaEnvelope); err != nil {
		return "", nil, fmt.Errorf("envelope: %w", err)
	}
	pl, _ := wireLast(raw, 1) // Envelope.payload
	if err := wireCheck(pl, schemaPayload); err != nil {
		return "", nil, fmt.Errorf("payload: %w", err)
	}
	chb := wireLastIn(pl, 1, 1) // Payload.header.channel_header
	if err := wireCheck(chb, schemaChannelHeader); err != nil {
		return "", nil, fmt.Errorf("channel header: %w", err)
	}
	var typ int32
	var txID []byte
	for it := (wireIter{b: chb}); it.next(); {
		switch {
		case it.is(1, protowire.VarintType): // type
			typ = int32(it.x)
		case it.is(5, protowire.BytesType): // tx_id
			txID = it.v
		}
	}
	id := string(txID)
	if common.HeaderType(typ) != common.HeaderType_ENDORSER_TRANSACTION {
		return id, nil, nil
	}
	txb, _ := wireLast(pl, 2) // Payload.data
	if err := wireCheck(txb, schemaTransaction); err != nil {
		return id, nil, fmt.Errorf("transaction: %w", err)
	}
	for it := (wireIter{b: txb}); it.next(); {
		if !it.is(1, protowire.BytesType) { // actions
			continue
		}
		actb, _ := wireLast(it.v, 2) // TransactionAction.payload
		if err := wireCheck(actb, schemaActionPayload); err != nil {
			return id, nil, fmt.Errorf("chaincode action payload: %w", err)
		}
		prpb := wireLastIn(actb, 2, 1) // .action.proposal_response_payload
		if err := wireCheck(prpb, schemaProposalResponse); err != nil {
			return id, nil, fmt.Errorf("proposal response payload: %w", err)
		}
		cab, _ := wireLast(prpb, 2) // ProposalResponsePayload.extension
		if err := wireCheck(cab, schemaChaincodeAction); err != nil {
			return id, nil, fmt.Errorf("chaincode action: %w", err)
		}
		results, _ := wireLast(cab, 1)
		events, _ := wireLast(cab, 2)
		if len(events) == 0 {
			continue
		}
		if err := wireCheck(events, schemaChaincodeEvent); err != nil {
			return id, nil, fmt.Errorf("chaincode event: %w", err)
		}
		var ccID, name, payload []byte
		for ev := (wireIter{b: events}); ev.next(); {
			switch {
			case ev.is(1, protowire.BytesType):
				ccID = ev.v
			case ev.is(3, protowire.BytesType):
				name = ev.v
			case ev.is(4, protowire.BytesType):
				payload = ev.v
			}
		}
		if string(ccID) == chaincode {
			return id, &ChaincodeEvent{Name: string(name), Payload: payload, Chaincode: chaincode, Results: results}, nil
		}
	}
	return id, nil, nil
}
