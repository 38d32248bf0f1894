package index

import (
	"context"
	"encoding/json"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/nodeapi"
	"github.com/trustline/trustline/report"
)

// ReportSource serves the reports for regulators (package report) from
// the index: the node's /reports/ and tests read through it what the CLI
// reads through the node's HTTP API.
func (x *Index) ReportSource() report.Source { return reportSource{x} }

type reportSource struct{ x *Index }

func (s reportSource) Trace(_ context.Context, link string) (*nodeapi.Trace, error) {
	l, err := digitallink.Parse(link)
	if err != nil {
		return nil, err
	}
	tr, err := s.x.Trace(l.GTIN, l.Lot, l.Serial)
	if err != nil {
		return nil, err
	}
	return &tr, nil
}

func (s reportSource) Events(_ context.Context, q nodeapi.Query) ([]json.RawMessage, string, error) {
	p, err := s.x.Events(q)
	return p.Events, p.NextPageToken, err
}
