package client

import (
	"context"
	"fmt"

	"github.com/trustline/trustline/ledger"
)

// Transaction names of the trustline chaincode's Claim contract.
const (
	FnRegisterClaim  = "Claim:RegisterClaim"
	FnSupersedeClaim = "Claim:SupersedeClaim"
	FnGetClaim       = "Claim:GetClaim"
	FnListClaims     = "Claim:ListClaims"
)

// RegisterClaim records a claim about a product or lot the caller (a
// brand) owns. The ledger only records it; member nodes and package claims
// evaluate it against the evidence. Its id is "claim-" and the
// transaction's id.
func (c *Client) RegisterClaim(ctx context.Context, req ledger.ClaimRequest, opts ...CallOption) (*ledger.Claim, error) {
	return writeJSON[*ledger.Claim](ctx, c, FnRegisterClaim, req, opts)
}

// SupersedeClaim replaces the active claim oldID, which the caller
// registered, with a new claim about the same product. The old claim stays
// on the ledger and gains SupersededBy.
func (c *Client) SupersedeClaim(ctx context.Context, oldID string, req ledger.ClaimRequest, opts ...CallOption) (*ledger.Claim, error) {
	s, err := mustJSON(req)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", FnSupersedeClaim, err)
	}
	return call[*ledger.Claim](ctx, c, true, FnSupersedeClaim, []string{oldID, s}, opts)
}

// Claim returns a claim by id, superseded or not.
func (c *Client) Claim(ctx context.Context, id string, opts ...CallOption) (*ledger.Claim, error) {
	return call[*ledger.Claim](ctx, c, false, FnGetClaim, []string{id}, opts)
}

// Claims lists every claim about a product (by GTIN) and its lots,
// superseded ones included, by id.
func (c *Client) Claims(ctx context.Context, gtin string, opts ...CallOption) ([]ledger.Claim, error) {
	return call[[]ledger.Claim](ctx, c, false, FnListClaims, []string{gtin}, opts)
}
