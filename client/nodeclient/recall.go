package nodeclient

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/trustline/trustline/nodeapi"
	"github.com/trustline/trustline/report"
)

// RecallScope asks the node for everything a recall of lot reaches
// (/recall/scope, report.RecallScope computed from the node's index in
// one request). A node that does not serve it (an older node, or one
// without reports) answers a 404 or 400 problem (IsNotServed).
func (c *Client) RecallScope(ctx context.Context, lot string) (*report.Scope, error) {
	var sc report.Scope
	if err := c.get(ctx, "/recall/scope?"+url.Values{"lot": {lot}}.Encode(), "application/json", &sc); err != nil {
		return nil, err
	}
	return &sc, nil
}

// IsNotServed reports whether err is a node's answer that it has no such
// route: a 404 that names no record, or the resolver's 400 for a path that
// is not a Digital Link.
func IsNotServed(err error) bool {
	var p *Problem
	if !errors.As(err, &p) {
		return false
	}
	return p.Type == nodeapi.ProblemTypePrefix+"invalid-digital-link" || p.Status == http.StatusNotFound && p.Type != nodeapi.ProblemTypePrefix+"not-found"
}
