// Package ethanchor is the Ethereum side of anchoring: the client of the
// Anchor contract (contracts/Anchor.sol, bound in package anchorcontract)
// that writes trustline ledger windows to an EVM chain and reads and verifies
// them back. It knows nothing of nodes: a member node's anchoring loop
// (node/anchoring) drives it, and a verifier (package receipt) uses its
// Client and Receipt to check a trace on chain without any node code.
//
// A Window is the Merkle root (package merkle) of the EPCIS event ids in a
// range of Fabric blocks of one channel. An Anchorer sends one transaction
// per window and reports a Receipt once the transaction is confirmationDepth
// blocks deep; a Client, which needs no key, lists every member's anchors of
// a root or block (co-attestation) and verifies a Receipt against the chain.
//
// Both work against any Backend: *ethclient.Client for a real endpoint
// (geth --dev, a testnet, mainnet), or an in-process simulated chain in
// tests (package anchortest).
package ethanchor

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/trustline/trustline/merkle"
)

// Backend is what this package needs of an Ethereum node. *ethclient.Client
// and the simulated backend's client satisfy it.
type Backend interface {
	bind.ContractBackend
	bind.DeployBackend
	ethereum.ChainIDReader
	ethereum.BlockNumberReader
}

var (
	// ErrNotFound is returned when a transaction, receipt or anchor log is
	// not on the chain.
	ErrNotFound = errors.New("anchor: not found")
	// ErrMismatch is returned when an anchor on chain is not the one
	// expected; the error is a *MismatchError.
	ErrMismatch = errors.New("anchor: mismatch")
	// ErrWrongChain is returned when a receipt names another chain than the
	// backend's.
	ErrWrongChain = errors.New("anchor: wrong chain")
	// ErrNotConfirmed is returned when an anchor is not yet as deep as the
	// configured confirmation depth.
	ErrNotConfirmed = errors.New("anchor: not confirmed")
	// ErrInvalidWindow is returned for a window the contract would refuse.
	ErrInvalidWindow = errors.New("anchor: invalid window")
	// ErrReverted is returned when an anchor transaction failed for another
	// reason than gas.
	ErrReverted = errors.New("anchor: transaction reverted")
	// ErrOutOfGas is returned when an anchor transaction still ran out of
	// gas on its last attempt.
	ErrOutOfGas = errors.New("anchor: out of gas")
	// ErrNoCode is returned when there is no contract at the address.
	ErrNoCode = errors.New("anchor: no contract code at address")
)

// Window is what one anchor vouches for: Root is the merkle root of the
// canonical leaves (merkle.Window) of the EPCIS event ids recorded in Fabric
// blocks FromBlock..ToBlock, inclusive, of Channel.
type Window struct {
	Channel   string
	FromBlock uint64
	ToBlock   uint64
	Root      merkle.Hash
}

// Validate reports whether the contract would accept w.
func (w Window) Validate() error {
	switch {
	case w.Channel == "":
		return fmt.Errorf("%w: empty channel", ErrInvalidWindow)
	case w.FromBlock > w.ToBlock:
		return fmt.Errorf("%w: fromBlock %d > toBlock %d", ErrInvalidWindow, w.FromBlock, w.ToBlock)
	}
	return nil
}

// Receipt locates one anchor on chain: everything a trace receipt needs to
// have its anchor checked by anyone with an RPC endpoint of that chain.
type Receipt struct {
	Window
	ChainID     *big.Int
	Contract    common.Address
	TxHash      common.Hash
	BlockNumber uint64
	BlockHash   common.Hash
	LogIndex    uint
	Submitter   common.Address
	GasUsed     uint64 // 0 when read back from logs (Client.Anchors)
}

// MismatchError tells which field of an anchor on chain differs from the
// expected one. It matches ErrMismatch with errors.Is.
type MismatchError struct {
	Field     string
	Got, Want any
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("anchor: mismatch: %s on chain is %v, expected %v", e.Field, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrMismatch) true.
func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }
