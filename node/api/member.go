package api

import (
	"net/http"
)

// The member surface: records for the organisation's members and the
// regulators they answer, not for whoever can reach the consumer pages.
//
//	/reports/{fsma204,kde,eu178,expiring}   reports for regulators (reports.go)
//	/recall/scope?lot=LINK                  everything a recall reaches (recall.go)
//	/recall/notices                         recall notices, server-sent events (recall.go)
//	/scans                                  consumer page scan counts (scans.go; with Options.Scans)
//	/queries[/{name}[/events|/subscriptions[/{id}]]]  named queries and subscriptions, writes included (memberwrites.go)
//
// Member returns them as a handler of their own, which the node serves
// only on its authenticated listener: the capture listener, to clients
// with a certificate of the organisation's CA that its configuration
// allows to read them (package capture). The public handler (New) answers
// these paths 401 problem+json, naming where they are served.

// Member is the handler of the member surface. It authenticates no one:
// serve it behind client authentication.
func (s *Server) Member() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/reports/", s.route("reports", s.reports))
	mux.Handle("/recall/scope", s.route("recall-scope", s.recallScope))
	mux.Handle("/recall/notices", s.route("recall-notices", s.recallNotices))
	if s.opts.Scans != nil {
		mux.Handle("/scans", s.route("scans", s.scans))
	}
	s.memberQueryRoutes(mux) // memberwrites.go
	mux.Handle("/", s.route("member-unknown", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, http.StatusNotFound, "not-served", "Not served", r.URL.Path+" is not a member record: the member surface serves /reports/, /recall/, /scans and /queries")
	}))
	return asMember(mux)
}

// memberOnly answers a member path on the public listener.
func (s *Server) memberOnly(w http.ResponseWriter, r *http.Request) {
	s.problem(w, r, http.StatusUnauthorized, "member-only", "Members only",
		r.URL.Path+" is a member record: it is served on the node's capture listener to the organisation's clients (a TLS client certificate of its CA)")
}
