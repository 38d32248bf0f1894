// Package nodeclient is a small HTTP client of a member node's API: the
// trace of a GS1 Digital Link and EPCIS 2.0 event queries, served from the
// node's index of the ledger.
package nodeclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/nodeapi"
)

// Client calls one node.
type Client struct {
	base string
	http *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 30s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client of the node at baseURL, e.g. "http://127.0.0.1:8080".
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("node URL %q is not an http(s) URL", baseURL)
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Trace is a node's answer for a lot or unit Digital Link (package
// nodeapi holds the node API's wire types, shared with the node).
type Trace = nodeapi.Trace

// Problem is an RFC 9457 problem the node answered with.
type Problem = nodeapi.Problem

// UnavailableError is a failure to reach the node or a 5xx answer.
type UnavailableError struct {
	URL string
	Err error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("node unavailable at %s: %v", e.URL, e.Err)
}
func (e *UnavailableError) Unwrap() error { return e.Err }

// IsNotFound reports whether err is the node's 404 problem.
func IsNotFound(err error) bool {
	var p *Problem
	return errors.As(err, &p) && p.Status == http.StatusNotFound
}

// Trace resolves a lot or unit Digital Link (any host; only its GS1 path
// counts, e.g. https://id.gs1.org/01/09506000134352/10/L1) on the node.
func (c *Client) Trace(ctx context.Context, link string) (*Trace, error) {
	l, err := lotOrUnit(link, "trace takes a lot or unit Digital Link")
	if err != nil {
		return nil, err
	}
	var tr Trace
	if err := c.get(ctx, l.Path(), "application/json", &tr); err != nil {
		return nil, err
	}
	return &tr, nil
}

// lotOrUnit parses a lot or unit Digital Link of any host, without its
// query; for another link it returns an error ending with why.
func lotOrUnit(link, why string) (digitallink.Link, error) {
	l, err := digitallink.Parse(link)
	if err != nil {
		return l, err
	}
	switch l.Level() {
	case digitallink.Lot, digitallink.Unit:
	default:
		return l, fmt.Errorf("%s identifies a %s; %s", link, l.Level(), why)
	}
	l.Query = nil
	return l, nil
}

// Query is the EPCIS query subset a node serves. Empty fields do not
// restrict.
type Query = nodeapi.Query

// EventPage is one page of a query's events.
type EventPage struct {
	// Document is the EPCISQueryDocument as the node sent it.
	Document json.RawMessage
	Events   []json.RawMessage
	// NextPageToken is empty on the last page.
	NextPageToken string
}

// Events runs an EPCIS query.
func (c *Client) Events(ctx context.Context, q Query) (*EventPage, error) {
	return c.eventPage(ctx, "/events?"+q.Values().Encode())
}

// nextToken extracts nextPageToken from a Link header's rel="next" URL.
func nextToken(link string) string {
	for _, part := range strings.Split(link, ",") {
		if !strings.Contains(part, `rel="next"`) {
			continue
		}
		start, end := strings.Index(part, "<"), strings.Index(part, ">")
		if start < 0 || end < start {
			continue
		}
		if u, err := url.Parse(part[start+1 : end]); err == nil {
			return u.Query().Get("nextPageToken")
		}
	}
	return ""
}

func (c *Client) get(ctx context.Context, path, accept string, out any) error {
	_, err := c.getHeader(ctx, path, accept, out)
	return err
}

func (c *Client) getHeader(ctx context.Context, path, accept string, out any) (http.Header, error) {
	u := c.base + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &UnavailableError{URL: u, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, &UnavailableError{URL: u, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		p := &Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
		_ = json.Unmarshal(body, p)
		if resp.StatusCode >= 500 {
			return nil, &UnavailableError{URL: u, Err: p}
		}
		return nil, p
	}
	if err := json.Unmarshal(body, out); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", u, err)
	}
	return resp.Header, nil
}
