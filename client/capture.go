package client

import (
	"context"

	"github.com/trustline/trustline/ledger"
)

// FnCaptureRecord states an event captured through a node's EPCIS capture
// interface (see package chaincode's CaptureContract).
const FnCaptureRecord = "Capture:Record"

// Capture states a captured EPCIS event, whose id (its eventID, or its CBV
// event hash) is sourceEventID, with the contract function fn and its
// arguments args, as the client's organisation. fn runs with its own
// validation and authorisation. An id already on the ledger is refused
// with ErrExists (errors.Is), also when two captures race.
func (c *Client) Capture(ctx context.Context, sourceEventID, fn string, args []string, opts ...CallOption) (*ledger.CaptureRecord, error) {
	a, err := mustJSON(args)
	if err != nil {
		return nil, err
	}
	return call[*ledger.CaptureRecord](ctx, c, true, FnCaptureRecord, []string{sourceEventID, fn, a}, opts)
}
