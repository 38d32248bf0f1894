package api

// Who may write named queries and subscriptions. Creating or deleting a
// named query or a subscription (which makes the node send requests to a
// URL of the caller's choice) is for the organisation's own systems: the
// member surface serves every /queries route (Member, behind the capture
// listener's client certificates and its clients' subscribe permission),
// while the public handler serves only the reads of public events
// (GET /queries, GET /queries/{name}, GET /queries/{name}/events and its
// WebSocket stream) and answers the writes and /subscriptions 401
// problem+json, naming where they are served.

import (
	"context"
	"net/http"
)

type memberKey struct{}

// asMember marks the requests of the member surface.
func asMember(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), memberKey{}, true)))
	})
}

// isMember reports whether r came through the member surface.
func isMember(r *http.Request) bool {
	v, _ := r.Context().Value(memberKey{}).(bool)
	return v
}

// membersOnlyWrite answers a write, or a subscription request, that came
// to the public listener: true when it did.
func (s *Server) membersOnlyWrite(w http.ResponseWriter, r *http.Request) bool {
	if isMember(r) || r.Method == http.MethodOptions {
		return false
	}
	// The binding's 401 is a SecurityException.
	s.epcisProblem(w, r, http.StatusUnauthorized, excSecurity, "Members only",
		r.Method+" "+r.URL.Path+": named queries are written, and subscriptions served, on the node's capture listener, to the organisation's clients "+
			"(a TLS client certificate of its CA, with subscribe: true in capture.clients); the public listener only reads queries and events")
	return true
}

// memberQueryRoutes are the query routes on the member surface: the same
// handlers, writes allowed.
func (s *Server) memberQueryRoutes(mux *http.ServeMux) {
	mux.Handle("/queries", s.epcisRoute("queries", s.queries, http.MethodGet, http.MethodPost))
	mux.Handle("/queries/{name}", s.epcisRoute("query", s.namedQuery, http.MethodGet, http.MethodDelete))
	mux.Handle("/queries/{name}/events", s.epcisRoute("query-events", s.queryEvents, http.MethodGet))
	mux.Handle("/queries/{name}/subscriptions", s.epcisRoute("subscriptions", s.subscriptions, http.MethodGet, http.MethodPost))
	mux.Handle("/queries/{name}/subscriptions/{id}", s.epcisRoute("subscription", s.subscription, http.MethodGet, http.MethodDelete))
}
