package nodeapi

import "encoding/json"

// NamedQuery is a named query of the EPCIS 2.0 REST binding (/queries), as
// a node stores and lists it: Query is the JSON form of its parameters
// ({"EQ_bizStep": ["shipping"], "eventCountLimit": 5}; ParseQueryJSON).
type NamedQuery struct {
	Name      string          `json:"name"`
	Query     json.RawMessage `json:"query"`
	CreatedAt string          `json:"createdAt,omitempty"`
}

// Schedule is when a scheduled subscription runs (EPCIS 2.0 §8.2.5.3,
// QueryScheduleSubscription): each field a comma-separated list of numbers
// and [a-b] ranges; an omitted field is every value, except Second, which
// is 0. DayOfWeek counts 1 (Monday) to 7 (Sunday). Times are UTC.
type Schedule struct {
	Second     string `json:"second,omitempty"`
	Minute     string `json:"minute,omitempty"`
	Hour       string `json:"hour,omitempty"`
	DayOfMonth string `json:"dayOfMonth,omitempty"`
	Month      string `json:"month,omitempty"`
	DayOfWeek  string `json:"dayOfWeek,omitempty"`
}

// SubscriptionRequest is the body of POST /queries/{name}/subscriptions:
// the webhook Dest receives the query's events, signed with
// SignatureToken (HMAC-SHA256 in the GS1-Signature header), either as they
// are recorded (Stream) or on Schedule, with an empty report when nothing
// matched if ReportIfEmpty.
type SubscriptionRequest struct {
	Dest           string    `json:"dest"`
	SignatureToken string    `json:"signatureToken,omitempty"`
	Stream         *bool     `json:"stream,omitempty"`
	Schedule       *Schedule `json:"schedule,omitempty"`
	ReportIfEmpty  bool      `json:"reportIfEmpty,omitempty"`
}

// Subscription is a subscription as a node serves it: never its token.
type Subscription struct {
	ID             string    `json:"subscriptionID"`
	QueryName      string    `json:"queryName,omitempty"`
	Dest           string    `json:"dest"`
	Stream         *bool     `json:"stream,omitempty"`
	Schedule       *Schedule `json:"schedule,omitempty"`
	ReportIfEmpty  *bool     `json:"reportIfEmpty,omitempty"`
	CreatedAt      string    `json:"createdAt"`
	LastNotifiedAt string    `json:"lastNotifiedAt,omitempty"`
}
