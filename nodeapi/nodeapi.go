// Package nodeapi is the wire format of a member node's HTTP API: the JSON
// a node serves (a Trace, an RFC 9457 Problem) and the EPCIS query it
// answers (a Query, as URL parameters). The node's index, API and web views
// (node/index, node/api, node/web) and the node's client (client/nodeclient)
// share these types, so a field cannot drift between server and client.
//
// It is a leaf: it imports only ledger and the standard library, so a
// client or verifier can use it without any node code.
package nodeapi

import (
	"encoding/json"
	"fmt"

	"github.com/trustline/trustline/ledger"
)

// Trace is everything a node knows about a lot, or a unit and its lot: its
// answer for a lot or unit Digital Link.
type Trace struct {
	// ID is the canonical Digital Link asked about.
	ID         string            `json:"id"`
	Unit       *ledger.Unit      `json:"unit,omitempty"`
	Product    *ledger.Product   `json:"product,omitempty"`
	Lot        ledger.LotSummary `json:"lot"`
	Events     []json.RawMessage `json:"events"`
	Upstream   ledger.Trace      `json:"upstream"`
	Downstream ledger.Trace      `json:"downstream"`
	Recall     *ledger.Recall    `json:"recall,omitempty"`
	Shipment   *ledger.Shipment  `json:"shipment,omitempty"`
	// DaysToExpiry is the whole days from the answer's time to the lot's
	// expiry, while it has not expired (the node adds it to its answer).
	DaysToExpiry *int `json:"daysToExpiry,omitempty"`
}

// Problem is an RFC 9457 problem detail, as a node answers a request it
// cannot serve (Content-Type application/problem+json). It is an error, so
// a client can return the node's answer as is.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Segment names the part of a Digital Link at fault.
	Segment string `json:"segment,omitempty"`
}

// ProblemTypePrefix prefixes the type URIs of the API's problems.
const ProblemTypePrefix = "urn:trustline:problem:"

func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("node: %s (%d): %s", p.Title, p.Status, p.Detail)
	}
	return fmt.Sprintf("node: %s (%d)", p.Title, p.Status)
}
