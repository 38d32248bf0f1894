package nodeclient

import (
	"context"
	"net/url"
	"strings"

	"github.com/trustline/trustline/nodeapi"
)

// ScanQuery selects and groups a node's scan counts; empty fields do not
// restrict.
type ScanQuery struct {
	// GTIN is a product; Lot a lot's Digital Link (or its lot number,
	// with GTIN).
	GTIN, Lot string
	// From and To bound the UTC days (YYYY-MM-DD), both included.
	From, To string
	// By are the dimensions to group by (gtin, lot, day, lang, country);
	// none: all of them.
	By []string
}

// Scans asks the node for its counts of consumer page scans (/scans,
// served to members with the reports).
func (c *Client) Scans(ctx context.Context, q ScanQuery) (*nodeapi.ScanReport, error) {
	v := url.Values{}
	for k, s := range map[string]string{"gtin": q.GTIN, "lot": q.Lot, "from": q.From, "to": q.To, "by": strings.Join(q.By, ",")} {
		if s != "" {
			v.Set(k, s)
		}
	}
	v.Set("format", "json")
	var r nodeapi.ScanReport
	if err := c.get(ctx, "/scans?"+v.Encode(), "application/json", &r); err != nil {
		return nil, err
	}
	return &r, nil
}
