package ledger

import (
	"errors"
	"strings"
)

// Rejection codes carry the class of a chaincode's refusal to its clients.
// Fabric passes a chaincode error to the client as a message only (status
// 500, "chaincode response 500, <message>"), so the chaincode starts the
// message with its class's code in brackets, "[not-found] unknown lot …",
// and a client reads the class back with SplitRejection instead of guessing
// it from the wording. The codes are part of the wire format: never change
// one, only add.
const (
	RejectInvalid   = "invalid"   // a bad argument
	RejectNotFound  = "not-found" // a record that does not exist
	RejectExists    = "exists"    // a record that already exists
	RejectForbidden = "forbidden" // a caller without the role, ownership or custody
	RejectState     = "state"     // not allowed in the record's current state
)

// The classes of a refusal, one per code. The chaincode wraps its errors in
// them and the client matches its RejectedError against them, so both sides
// share one table (package chaincode and package client re-export them).
var (
	ErrInvalid   = errors.New("invalid argument")
	ErrNotFound  = errors.New("not found")
	ErrExists    = errors.New("already exists")
	ErrForbidden = errors.New("forbidden")
	ErrState     = errors.New("not allowed in the current state")
)

var rejectClasses = []struct {
	code  string
	class error
}{
	{RejectInvalid, ErrInvalid},
	{RejectNotFound, ErrNotFound},
	{RejectExists, ErrExists},
	{RejectForbidden, ErrForbidden},
	{RejectState, ErrState},
}

// RejectClass is the class of a rejection code; nil for none.
func RejectClass(code string) error {
	for _, c := range rejectClasses {
		if c.code == code {
			return c.class
		}
	}
	return nil
}

// RejectCode is the code of err's class (errors.Is); "" for an error of
// none.
func RejectCode(err error) string {
	for _, c := range rejectClasses {
		if errors.Is(err, c.class) {
			return c.code
		}
	}
	return ""
}

// Rejection is a refusal's message with its class's code prefixed, as the
// chaincode sends it; an empty code leaves msg as is.
func Rejection(code, msg string) string {
	if code == "" {
		return msg
	}
	return "[" + code + "] " + msg
}

// SplitRejection reads the code back from a chaincode's message: the code
// and the message a person should read. A message without a known code is
// returned whole with an empty code.
func SplitRejection(msg string) (code, reason string) {
	rest, ok := strings.CutPrefix(msg, "[")
	if !ok {
		return "", msg
	}
	code, reason, ok = strings.Cut(rest, "] ")
	if !ok {
		return "", msg
	}
	if RejectClass(code) == nil {
		return "", msg
	}
	return code, reason
}
