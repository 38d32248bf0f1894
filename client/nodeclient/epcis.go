package nodeclient

// The rest of the node's EPCIS 2.0 REST binding: queries with any of the
// standard's parameters, named queries, subscriptions and the WebSocket
// stream of a named query's new events. Writes (creating or deleting a
// named query or a subscription) may need a member client: a node that
// asks for one answers a problem (401 or 403) naming where they are served;
// give the client a TLS client certificate of the organisation's CA
// (WithHTTPClient) and the URL of the listener that takes it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/coder/websocket"

	"github.com/trustline/trustline/nodeapi"
)

// NamedQuery, Subscription, SubscriptionRequest and Schedule are the wire
// types of the node's named queries and subscriptions.
type (
	NamedQuery          = nodeapi.NamedQuery
	Subscription        = nodeapi.Subscription
	SubscriptionRequest = nodeapi.SubscriptionRequest
	Schedule            = nodeapi.Schedule
)

// QueryEvents runs an EPCIS query given as URL parameters (the standard's
// names: EQ_bizStep, GE_eventTime, nextPageToken, …; ParseQuery's rules)
// and returns one page. With name, it runs the named query name, params
// adding paging (perPage, nextPageToken). Unlike Events, it sends params
// as they are, so the node, not the client, decides which it answers.
func (c *Client) QueryEvents(ctx context.Context, name string, params url.Values) (*EventPage, error) {
	path := "/events"
	if name != "" {
		path = "/queries/" + url.PathEscape(name) + "/events"
	}
	if len(params) > 0 {
		path += "?" + params.Encode()
	}
	return c.eventPage(ctx, path)
}

// CreateQuery stores the named query name with params (the standard's
// parameter names; several values of one are ORed).
func (c *Client) CreateQuery(ctx context.Context, name string, params url.Values) error {
	def := map[string]any{}
	for k, vs := range params {
		var list []string
		for _, v := range vs {
			list = append(list, strings.Split(v, "|")...)
		}
		// The binding's schema has integers for the counts.
		if k == nodeapi.ParamEventCountLimit || k == nodeapi.ParamMaxEventCount {
			if n, err := strconv.Atoi(vs[0]); err == nil && len(vs) == 1 {
				def[k] = n
				continue
			}
		}
		def[k] = list
	}
	q, err := json.Marshal(def)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodPost, "/queries", NamedQuery{Name: name, Query: q}, nil, http.StatusCreated)
	return err
}

// NamedQueries lists the node's named queries, every page.
func (c *Client) NamedQueries(ctx context.Context) ([]NamedQuery, error) {
	out := []NamedQuery{}
	path := "/queries"
	for {
		var page []NamedQuery
		hdr, err := c.do(ctx, http.MethodGet, path, nil, &page, http.StatusOK)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		tok := nextToken(hdr.Get("Link"))
		if tok == "" || len(page) == 0 {
			return out, nil
		}
		path = "/queries?" + url.Values{nodeapi.ParamPageToken: {tok}}.Encode()
	}
}

// DeleteQuery deletes the named query name and its subscriptions.
func (c *Client) DeleteQuery(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodDelete, "/queries/"+url.PathEscape(name), nil, nil, http.StatusNoContent)
	return err
}

// Subscribe subscribes r.Dest to the named query name.
func (c *Client) Subscribe(ctx context.Context, name string, r SubscriptionRequest) (*Subscription, error) {
	var s Subscription
	if _, err := c.do(ctx, http.MethodPost, "/queries/"+url.PathEscape(name)+"/subscriptions", r, &s, http.StatusCreated); err != nil {
		return nil, err
	}
	return &s, nil
}

// Subscriptions lists the named query name's subscriptions.
func (c *Client) Subscriptions(ctx context.Context, name string) ([]Subscription, error) {
	out := []Subscription{}
	if _, err := c.do(ctx, http.MethodGet, "/queries/"+url.PathEscape(name)+"/subscriptions", nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return out, nil
}

// Unsubscribe deletes the subscription id of the named query name.
func (c *Client) Unsubscribe(ctx context.Context, name, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/queries/"+url.PathEscape(name)+"/subscriptions/"+url.PathEscape(id), nil, nil, http.StatusNoContent)
	return err
}

// maxStreamMessage bounds one message of a query stream (a batch of
// events as an EPCISQueryDocument).
const maxStreamMessage = 64 << 20

// Stream is a named query's stream of new events (Follow).
type Stream struct {
	conn *websocket.Conn
	url  string
}

// Follow opens the stream of the named query name's new events from now
// on, over a WebSocket (/queries/{name}/events?stream=true). A node that
// refuses it answers a *Problem. Close the stream when done.
func (c *Client) Follow(ctx context.Context, name string) (*Stream, error) {
	u, _ := url.Parse(c.base + "/queries/" + url.PathEscape(name) + "/events?stream=true")
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	// The stream lasts as long as the caller wants: the client's timeout
	// would end it.
	hc := *c.http
	hc.Timeout = 0
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: &hc})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode < 500 {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			return nil, problem(resp.StatusCode, body)
		}
		return nil, &UnavailableError{URL: u.String(), Err: err}
	}
	conn.SetReadLimit(maxStreamMessage)
	return &Stream{conn: conn, url: u.String()}, nil
}

// Next waits for the stream's next message, an EPCISQueryDocument of one
// or more events. It returns ctx's error when ctx ends first, and an
// *UnavailableError when the stream breaks or the node closes it.
func (s *Stream) Next(ctx context.Context) (*EventPage, error) {
	_, msg, err := s.conn.Read(ctx)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
			err = errors.New("the node closed the stream")
		}
		return nil, &UnavailableError{URL: s.url, Err: err}
	}
	return decodePage(msg)
}

// Close closes the stream, telling the node.
func (s *Stream) Close() error {
	err := s.conn.Close(websocket.StatusNormalClosure, "")
	s.conn.CloseNow()
	return err
}

// eventPage GETs an EPCISQueryDocument and decodes its events.
func (c *Client) eventPage(ctx context.Context, path string) (*EventPage, error) {
	var raw json.RawMessage
	hdr, err := c.getHeader(ctx, path, "application/ld+json", &raw)
	if err != nil {
		return nil, err
	}
	page, err := decodePage(raw)
	if err != nil {
		return nil, err
	}
	page.NextPageToken = nextToken(hdr.Get("Link"))
	return page, nil
}

// decodePage reads the events of an EPCISQueryDocument.
func decodePage(raw []byte) (*EventPage, error) {
	var doc struct {
		Body struct {
			Results struct {
				Body struct {
					Events []json.RawMessage `json:"eventList"`
				} `json:"resultsBody"`
			} `json:"queryResults"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decoding the EPCIS query document: %w", err)
	}
	return &EventPage{Document: json.RawMessage(raw), Events: doc.Body.Results.Body.Events}, nil
}

// problem is the node's answer status with body as a *Problem.
func problem(status int, body []byte) *Problem {
	p := &Problem{Status: status, Title: http.StatusText(status)}
	_ = json.Unmarshal(body, p)
	if p.Status == 0 {
		p.Status = status
	}
	return p
}

// do sends a JSON request (in, when not nil) and decodes a JSON answer
// into out (when not nil); an answer other than want is the node's
// problem.
func (c *Client) do(ctx context.Context, method, path string, in, out any, want int) (http.Header, error) {
	u := c.base + path
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &UnavailableError{URL: u, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, &UnavailableError{URL: u, Err: err}
	}
	if resp.StatusCode != want {
		p := problem(resp.StatusCode, b)
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
			return nil, &UnavailableError{URL: u, Err: p}
		}
		return nil, p
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", u, err)
		}
	}
	return resp.Header, nil
}
