package client

import (
	"context"

	"github.com/trustline/trustline/ledger"
)

// Location master data functions.
const (
	FnSetLocation = "Location:SetLocation"
	FnGetLocation = "Location:GetLocation"
)

// SetLocation records or updates a location's master data; the caller's
// organisation owns a location it records first.
func (c *Client) SetLocation(ctx context.Context, req ledger.LocationRequest, opts ...CallOption) (*ledger.Location, error) {
	return writeJSON[*ledger.Location](ctx, c, FnSetLocation, req, opts)
}

// Location returns a location's master data by GLN Digital Link or GLN.
func (c *Client) Location(ctx context.Context, id string, opts ...CallOption) (*ledger.Location, error) {
	return call[*ledger.Location](ctx, c, false, FnGetLocation, []string{id}, opts)
}
