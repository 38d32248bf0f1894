// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package anchorcontract

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// AnchorMetaData contains all meta data concerning the Anchor contract.
var AnchorMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[],\"name\":\"EmptyChannel\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint64\",\"name\":\"fromBlock\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"toBlock\",\"type\":\"uint64\"}],\"name\":\"InvalidRange\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"root\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"submitter\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"channelHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"string\",\"name\":\"channel\",\"type\":\"string\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"fromBlock\",\"type\":\"uint64\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"toBlock\",\"type\":\"uint64\"}],\"name\":\"Anchored\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"root\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"fromBlock\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"toBlock\",\"type\":\"uint64\"},{\"internalType\":\"string\",\"name\":\"channel\",\"type\":\"string\"}],\"name\":\"anchor\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "Anchor",
	Bin: "0x6080604052348015600e575f5ffd5b5061022b8061001c5f395ff3fe608060405234801561000f575f5ffd5b5060043610610029575f3560e01c8063dd34b4de1461002d575b5f5ffd5b61004061003b366004610133565b610042565b005b8267ffffffffffffffff168467ffffffffffffffff16111561008f57604051633c21b0ff60e11b815267ffffffffffffffff80861660048301528416602482015260440160405180910390fd5b5f8190036100b05760405163381365e160e21b815260040160405180910390fd5b81816040516100c09291906101c8565b6040518091039020336001600160a01b0316867f04f2fcdd28fc86d1af32fa73b0283d2c73ad734d3cb9398bc81e2511ad5060248585898960405161010894939291906101d7565b60405180910390a45050505050565b803567ffffffffffffffff8116811461012e575f5ffd5b919050565b5f5f5f5f5f60808688031215610147575f5ffd5b8535945061015760208701610117565b935061016560408701610117565b9250606086013567ffffffffffffffff811115610180575f5ffd5b8601601f81018813610190575f5ffd5b803567ffffffffffffffff8111156101a6575f5ffd5b8860208284010111156101b7575f5ffd5b959894975092955050506020019190565b818382375f9101908152919050565b60608152836060820152838560808301375f608085830181019190915267ffffffffffffffff9384166020830152919092166040830152601f909201601f1916010191905056fea164736f6c634300081c000a",
}

// Anchor is an auto generated Go binding around an Ethereum contract.
type Anchor struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *Anchor) GetABI() abi.ABI {
	return c.abi
}

// NewAnchor creates a new instance of Anchor.
func NewAnchor() *Anchor {
	parsed, err := AnchorMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &Anchor{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *Anchor) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackAnchor is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdd34b4de.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function anchor(bytes32 root, uint64 fromBlock, uint64 toBlock, string channel) returns()
func (anchor *Anchor) PackAnchor(root [32]byte, fromBlock uint64, toBlock uint64, channel string) []byte {
	enc, err := anchor.abi.Pack("anchor", root, fromBlock, toBlock, channel)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAnchor is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdd34b4de.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function anchor(bytes32 root, uint64 fromBlock, uint64 toBlock, string channel) returns()
func (anchor *Anchor) TryPackAnchor(root [32]byte, fromBlock uint64, toBlock uint64, channel string) ([]byte, error) {
	return anchor.abi.Pack("anchor", root, fromBlock, toBlock, channel)
}

// AnchorAnchored represents a Anchored event raised by the Anchor contract.
type AnchorAnchored struct {
	Root        [32]byte
	Submitter   common.Address
	ChannelHash [32]byte
	Channel     string
	FromBlock   uint64
	ToBlock     uint64
	Raw         *types.Log // Blockchain specific contextual infos
}

const AnchorAnchoredEventName = "Anchored"

// ContractEventName returns the user-defined event name.
func (AnchorAnchored) ContractEventName() string {
	return AnchorAnchoredEventName
}

// UnpackAnchoredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Anchored(bytes32 indexed root, address indexed submitter, bytes32 indexed channelHash, string channel, uint64 fromBlock, uint64 toBlock)
func (anchor *Anchor) UnpackAnchoredEvent(log *types.Log) (*AnchorAnchored, error) {
	event := "Anchored"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != anchor.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(AnchorAnchored)
	if len(log.Data) > 0 {
		if err := anchor.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range anchor.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (anchor *Anchor) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], anchor.abi.Errors["EmptyChannel"].ID.Bytes()[:4]) {
		return anchor.UnpackEmptyChannelError(raw[4:])
	}
	if bytes.Equal(raw[:4], anchor.abi.Errors["InvalidRange"].ID.Bytes()[:4]) {
		return anchor.UnpackInvalidRangeError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// AnchorEmptyChannel represents a EmptyChannel error raised by the Anchor contract.
type AnchorEmptyChannel struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error EmptyChannel()
func AnchorEmptyChannelErrorID() common.Hash {
	return common.HexToHash("0xe04d9784c63dd7c439e65afef52ee9b4ea895a07b7ab333dfe4b76a4db695b3f")
}

// UnpackEmptyChannelError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error EmptyChannel()
func (anchor *Anchor) UnpackEmptyChannelError(raw []byte) (*AnchorEmptyChannel, error) {
	out := new(AnchorEmptyChannel)
	if err := anchor.abi.UnpackIntoInterface(out, "EmptyChannel", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AnchorInvalidRange represents a InvalidRange error raised by the Anchor contract.
type AnchorInvalidRange struct {
	FromBlock uint64
	ToBlock   uint64
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidRange(uint64 fromBlock, uint64 toBlock)
func AnchorInvalidRangeErrorID() common.Hash {
	return common.HexToHash("0x784361fe06f55a5299377cb4f6da67ac3882851ce166e31aabc936d466f4effc")
}

// UnpackInvalidRangeError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidRange(uint64 fromBlock, uint64 toBlock)
func (anchor *Anchor) UnpackInvalidRangeError(raw []byte) (*AnchorInvalidRange, error) {
	out := new(AnchorInvalidRange)
	if err := anchor.abi.UnpackIntoInterface(out, "InvalidRange", raw); err != nil {
		return nil, err
	}
	return out, nil
}
