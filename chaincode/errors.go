package chaincode

import (
	"errors"
	"fmt"
)

// Error classes. Every rejection wraps one of them, so callers and tests
// tell a bad argument from a missing record or a refused caller with
// errors.Is, while the message names the problem and the offending value.
var (
	ErrInvalid   = errors.New("invalid argument")
	ErrNotFound  = errors.New("not found")
	ErrExists    = errors.New("already exists")
	ErrForbidden = errors.New("forbidden")
	ErrState     = errors.New("not allowed in the current state")
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
