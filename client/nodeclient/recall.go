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
// one request). It is a member record: a node serves it on its capture
// listener to clients with a certificate of the organisation's CA
// (WithHTTPClient with that certificate, and the listener's URL). A node
// that does not serve it to this client (its public listener, an older
// node) answers a problem for which IsNotServed is true.
func (c *Client) RecallScope(ctx context.Context, lot string) (*report.Scope, error) {
	var sc report.Scope
	if err := c.get(ctx, "/recall/scope?"+url.Values{"lot": {lot}}.Encode(), "application/json", &sc); err != nil {
		return nil, err
	}
	return &sc, nil
}

// IsNotServed reports whether err is a node's answer that it has no such
// route for this client: a 404 that names no record, the resolver's 400
// for a path that is not a Digital Link, or the public listener's 401 for
// a member record.
func IsNotServed(err error) bool {
	var p *Problem
	if !errors.As(err, &p) {
		return false
	}
	return p.Type == nodeapi.ProblemTypePrefix+"invalid-digital-link" || p.Type == nodeapi.ProblemTypePrefix+"member-only" ||
		p.Status == http.StatusNotFound && p.Type != nodeapi.ProblemTypePrefix+"not-found"
}
