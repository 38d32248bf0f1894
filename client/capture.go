package client

import (
	"context"
	"errors"
	"strings"

	"github.com/trustline/trustline/ledger"
)

// FnCaptureRecord states an event captured through a node's EPCIS capture
// interface (see package chaincode's CaptureContract).
const FnCaptureRecord = "Capture:Record"

// ErrDuplicate is the class of a DuplicateError.
var ErrDuplicate = errors.New("the captured event is already recorded")

// DuplicateError is Capture's refusal of an event whose id is already on
// the ledger: a duplicate, not a fault of the event.
type DuplicateError struct {
	SourceEventID string
	// EventID is the ledger's id of the event recorded for it, when the
	// chaincode named it.
	EventID string
	Err     *RejectedError
}

func (e *DuplicateError) Error() string   { return e.Err.Error() }
func (e *DuplicateError) Unwrap() []error { return []error{ErrDuplicate, e.Err} }

// Capture states a captured EPCIS event, whose id (its eventID, or its CBV
// event hash) is sourceEventID, with the contract function fn and its
// arguments args, as the client's organisation. fn runs with its own
// validation and authorisation. An id already on the ledger is refused
// with a *DuplicateError (errors.Is ErrDuplicate and ErrExists), also when
// two captures race; any other refusal is fn's, a *RejectedError.
func (c *Client) Capture(ctx context.Context, sourceEventID, fn string, args []string, opts ...CallOption) (*ledger.CaptureRecord, error) {
	a, err := mustJSON(args)
	if err != nil {
		return nil, err
	}
	rec, err := call[*ledger.CaptureRecord](ctx, c, true, FnCaptureRecord, []string{sourceEventID, fn, a}, opts)
	if err != nil {
		return nil, duplicate(sourceEventID, err)
	}
	return rec, nil
}

// duplicate recognises Capture:Record's refusal of a known id, "EPCIS
// event ID is already recorded (as LEDGER-ID)", among the refusals of
// class exists (a lot that exists is one too, and is no duplicate).
func duplicate(source string, err error) error {
	var re *RejectedError
	if !errors.As(err, &re) || !errors.Is(re, ErrExists) {
		return err
	}
	rest, ok := strings.CutPrefix(re.Reason, "EPCIS event "+source+" is already recorded")
	if !ok {
		return err
	}
	d := &DuplicateError{SourceEventID: source, EventID: source, Err: re}
	if id, ok := strings.CutPrefix(strings.TrimSpace(rest), "(as "); ok {
		d.EventID = strings.TrimSuffix(id, ")")
	}
	return d
}
