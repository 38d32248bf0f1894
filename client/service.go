package client

import (
	"context"

	"github.com/trustline/trustline/ledger"
)

// Transaction names of the trustline chaincode's Service contract.
const (
	FnFileTicket   = "Service:File"
	FnAnswerTicket = "Service:Answer"
	FnGetTicket    = "Service:GetTicket"
)

// FileTicket records a consumer's ticket about a lot or unit of a product
// the caller (a brand) owns: a pseudonymous ticket id and the salted hash
// of the message, never the message (ledger.ServiceRequest).
func (c *Client) FileTicket(ctx context.Context, req ledger.ServiceRequest, opts ...CallOption) (*ledger.ServiceTicket, error) {
	return writeJSON[*ledger.ServiceTicket](ctx, c, FnFileTicket, req, opts)
}

// AnswerTicket records the caller's answer to a ticket filed with it.
func (c *Client) AnswerTicket(ctx context.Context, a ledger.ServiceAnswer, opts ...CallOption) (*ledger.ServiceTicket, error) {
	return writeJSON[*ledger.ServiceTicket](ctx, c, FnAnswerTicket, a, opts)
}

// Ticket returns a ticket's state by id.
func (c *Client) Ticket(ctx context.Context, id string, opts ...CallOption) (*ledger.ServiceTicket, error) {
	return call[*ledger.ServiceTicket](ctx, c, false, FnGetTicket, []string{id}, opts)
}
