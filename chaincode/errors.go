package chaincode

import (
	"fmt"

	"github.com/trustline/trustline/ledger"
)

// Error classes (ledger's, shared with the client). Every rejection wraps one of them, so callers and tests
// tell a bad argument from a missing record or a refused caller with
// errors.Is, while the message names the problem and the offending value.
var (
	ErrInvalid   = ledger.ErrInvalid
	ErrNotFound  = ledger.ErrNotFound
	ErrExists    = ledger.ErrExists
	ErrForbidden = ledger.ErrForbidden
	ErrState     = ledger.ErrState
)

// classedError is an error whose message is Msg alone (the class is implied
// by the wording) but which matches its class with errors.Is.
type classedError struct {
	class error
	msg   string
	cause error
}

func (e *classedError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *classedError) Is(target error) bool { return target == e.class }
func (e *classedError) Unwrap() error        { return e.cause }

// errorf returns an error of class with a formatted message.
func errorf(class error, format string, args ...any) error {
	return &classedError{class: class, msg: fmt.Sprintf(format, args...)}
}

// wrapf classes cause, prefixing its message.
func wrapf(class error, cause error, format string, args ...any) error {
	return &classedError{class: class, msg: fmt.Sprintf(format, args...), cause: cause}
}

// rejection is an error as a transaction returns it to Fabric: its message
// starts with its class's code (ledger.Rejection), because Fabric hands
// clients the message alone and the class would otherwise be lost.
type rejection struct {
	code string
	err  error
}

func (e *rejection) Error() string { return ledger.Rejection(e.code, e.err.Error()) }
func (e *rejection) Unwrap() error { return e.err }

// classify gives a transaction's error its class's code on the wire. Every
// exported contract function defers it; an error without a class (a
// failure of the peer's state, say) is left as it is.
func classify(err *error) {
	if *err == nil {
		return
	}
	if c := ledger.RejectCode(*err); c != "" {
		*err = &rejection{code: c, err: *err}
	}
}
