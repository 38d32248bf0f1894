package nodeclient

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trustline/trustline/gs1/digitallink"
)

// Receipt fetches the trace receipt (package receipt) of a lot or unit
// Digital Link, as the node wrote it. While some of the trace's events are
// not anchored yet the node answers 409: a *Problem with Status 409.
func (c *Client) Receipt(ctx context.Context, link string) (json.RawMessage, error) {
	l, err := digitallink.Parse(link)
	if err != nil {
		return nil, err
	}
	switch l.Level() {
	case digitallink.Lot, digitallink.Unit:
	default:
		return nil, fmt.Errorf("%s identifies a %s; receipts are of a lot or unit", link, l.Level())
	}
	var raw json.RawMessage
	if err := c.get(ctx, l.Path()+"?format=receipt", "application/json", &raw); err != nil {
		return nil, err
	}
	return raw, nil
}
