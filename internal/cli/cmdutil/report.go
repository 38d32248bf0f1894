package cmdutil

import (
	"context"
	"encoding/json"

	"github.com/trustline/trustline/client/nodeclient"
	"github.com/trustline/trustline/nodeapi"
	"github.com/trustline/trustline/report"
)

// ReportSource reads reports' lots (package report) from a node through
// its HTTP API.
func ReportSource(c *nodeclient.Client) report.Source { return nodeSource{c} }

type nodeSource struct{ c *nodeclient.Client }

func (s nodeSource) Trace(ctx context.Context, link string) (*nodeapi.Trace, error) {
	return s.c.Trace(ctx, link)
}

func (s nodeSource) Events(ctx context.Context, q nodeapi.Query) ([]json.RawMessage, string, error) {
	p, err := s.c.Events(ctx, q)
	if err != nil {
		return nil, "", err
	}
	return p.Events, p.NextPageToken, nil
}
