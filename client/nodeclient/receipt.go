package nodeclient

import (
	"context"
	"encoding/json"
)

// Receipt fetches the trace receipt (package receipt) of a lot or unit
// Digital Link, as the node wrote it. While some of the trace's events are
// not anchored yet the node answers 409: a *Problem with Status 409.
func (c *Client) Receipt(ctx context.Context, link string) (json.RawMessage, error) {
	l, err := lotOrUnit(link, "receipts are of a lot or unit")
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := c.get(ctx, l.Path()+"?format=receipt", "application/json", &raw); err != nil {
		return nil, err
	}
	return raw, nil
}
