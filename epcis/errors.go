package epcis

import (
	"errors"
	"strconv"
)

// Error reports an invalid event, document or hash input. Field is a path
// into the event such as "quantityList[0].quantity".
type Error struct {
	Field  string
	Reason string
	Err    error // underlying error, if any
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "epcis: " + e.Reason
	}
	return "epcis: " + e.Field + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// prefixField puts a path in front of the field of an *Error.
func prefixField(err error, prefix string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	if c.Field == "" {
		c.Field = prefix
	} else {
		c.Field = prefix + "." + c.Field
	}
	return &c
}

func itoa(i int) string { return strconv.Itoa(i) }
