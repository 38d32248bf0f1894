package api

// The EPCIS 2.0 query interface of GS1's REST binding (openapi.yaml of
// gs1/EPCIS), served from the index:
//
//	GET, OPTIONS /                               top-level resources; discovery (GS1-EPCIS-*, GS1-CBV-* headers)
//	GET /events                                  SimpleEventQuery (nodeapi.Query) → EPCISQueryDocument
//	GET /events/{eventID}                        one event, as a query document
//	GET /eventTypes, /bizSteps, /dispositions,
//	    /readPoints, /bizLocations, /epcs        the values the indexed events use
//	GET /{resource}/{value}                      its sub-resources: events
//	GET /{resource}/{value}/events               the query with that value
//	GET, POST /queries; GET, DELETE /queries/{name}; GET /queries/{name}/events   named queries (queries.go)
//
// Errors are the standard's exceptions as problem+json
// (epcisException:QueryParameterException, NoSuchNameException, ...).

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/trustline/trustline/epcis"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/subscription"
	"github.com/trustline/trustline/nodeapi"
)

// Versions this node speaks, for the discovery headers.
const (
	epcisVersion = "2.0.0"
	cbvVersion   = "2.0.0"
)

// The standard's exceptions (EPCIS 2.0 §8.2.7, REST binding), as problem
// types.
const (
	excQueryParameter = "epcisException:QueryParameterException"
	excNoSuchName     = "epcisException:NoSuchNameException"
	excAlreadyExists  = "epcisException:ResourceAlreadyExistsException"
	excNotAcceptable  = "epcisException:NotAcceptableException"
	excUnsupported    = "epcisException:UnsupportedMediaTypeException"
	excSubscription   = "epcisException:SubscriptionControlsException"
	excImplementation = "epcisException:ImplementationException"
	excValidation     = "epcisException:ValidationException"
	excSecurity       = "epcisException:SecurityException"
)

// epcisState is the query interface's part of a Server.
type epcisState struct {
	// queriesMu serialises creating and deleting named queries.
	queriesMu sync.Mutex

	mu      sync.Mutex
	streams map[*websocketStream]struct{}
}

// websocketStream is an open query stream, ended by CloseStreams.
type websocketStream struct{ cancel func() }

func (e *epcisState) addStream(st *websocketStream) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.streams == nil {
		e.streams = map[*websocketStream]struct{}{}
	}
	e.streams[st] = struct{}{}
}

func (e *epcisState) removeStream(st *websocketStream) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.streams, st)
}

func (e *epcisState) closeStreams() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for st := range e.streams {
		st.cancel()
	}
}

// epcisRoutes registers the query interface on the server's mux.
func (s *Server) epcisRoutes() {
	for _, r := range []struct{ kind, field string }{
		{"eventTypes", nodeapi.ParamEventType}, {"bizSteps", nodeapi.ParamBizStep},
		{"dispositions", nodeapi.ParamDisposition}, {"readPoints", nodeapi.ParamReadPoint},
		{"bizLocations", nodeapi.ParamBizLocation}, {"epcs", nodeapi.ParamMatchAnyEPC},
	} {
		s.mux.Handle("/"+r.kind, s.epcisRoute(r.kind, s.vocabulary(r.kind), http.MethodGet))
		s.mux.Handle("/"+r.kind+"/{value}", s.epcisRoute(r.kind, s.subResources(r.kind), http.MethodGet))
		s.mux.Handle("/"+r.kind+"/{value}/events", s.epcisRoute(r.kind+"-events", s.resourceEvents(r.field), http.MethodGet))
	}
	s.queryRoutes() // queries.go
}

// epcisRoute is route for the EPCIS interface: the methods allowed, the
// discovery headers on every answer, and method errors as exceptions.
func (s *Server) epcisRoute(name string, h http.HandlerFunc, methods ...string) http.Handler {
	allow := append(append([]string{}, methods...), http.MethodOptions)
	internal := func(rec *recorder, r *http.Request) {
		s.epcisProblem(rec, r, http.StatusInternalServerError, excImplementation, "Internal error", "")
	}
	return compress(s.observed(name, internal, func(rec *recorder, r *http.Request) {
		discoveryHeaders(rec.Header())
		if !versionAcceptable(r) {
			s.epcisProblem(rec, r, http.StatusNotAcceptable, excNotAcceptable, "Version not supported",
				"this node speaks EPCIS "+epcisVersion+" and CBV "+cbvVersion)
			return
		}
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		ok := false
		for _, m := range methods {
			ok = ok || m == method
		}
		if r.Method == http.MethodOptions {
			rec.Header().Set("Allow", strings.Join(allow, ", "))
			rec.WriteHeader(http.StatusNoContent)
			return
		}
		if !ok {
			rec.Header().Set("Allow", strings.Join(allow, ", "))
			s.epcisProblem(rec, r, http.StatusMethodNotAllowed, excImplementation, "Method not allowed",
				fmt.Sprintf("%s is not allowed here; use %s", r.Method, strings.Join(allow, ", ")))
			return
		}
		h(rec, r)
	}))
}

func discoveryHeaders(h http.Header) {
	h.Set("GS1-EPCIS-Version", epcisVersion)
	h.Set("GS1-EPCIS-Min", epcisVersion)
	h.Set("GS1-EPCIS-Max", epcisVersion)
	h.Set("GS1-CBV-Version", cbvVersion)
	h.Set("GS1-CBV-Min", cbvVersion)
	h.Set("GS1-CBV-Max", cbvVersion)
	h.Set("GS1-EPC-Format", "Always_GS1_Digital_Link")
	h.Set("GS1-Vendor-Version", "trustline")
}

// versionAcceptable reports whether the versions a client asks for
// (GS1-EPCIS-Min/Max, GS1-CBV-Min/Max) include the node's.
func versionAcceptable(r *http.Request) bool {
	for _, c := range []struct{ header, have string }{
		{"GS1-EPCIS-Min", epcisVersion}, {"GS1-CBV-Min", cbvVersion},
	} {
		if v := r.Header.Get(c.header); v != "" && compareVersions(v, c.have) > 0 {
			return false
		}
	}
	for _, c := range []struct{ header, have string }{
		{"GS1-EPCIS-Max", epcisVersion}, {"GS1-CBV-Max", cbvVersion},
	} {
		if v := r.Header.Get(c.header); v != "" && compareVersions(v, c.have) < 0 {
			return false
		}
	}
	return true
}

// compareVersions compares dotted versions numerically (2.0 == 2.0.0).
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (s *Server) epcisProblem(w http.ResponseWriter, r *http.Request, status int, typ, title, detail string) {
	s.writeProblem(w, Problem{Type: typ, Title: title, Status: status, Detail: detail, Instance: r.URL.RequestURI()})
}

// epcisFail answers with the exception an error amounts to.
func (s *Server) epcisFail(w http.ResponseWriter, r *http.Request, err error) {
	var qe *nodeapi.QueryError
	switch {
	case errors.Is(err, index.ErrNotFound):
		s.epcisProblem(w, r, http.StatusNotFound, excNoSuchName, "Not found", err.Error())
	case errors.As(err, &qe):
		status := http.StatusBadRequest
		if qe.Kind() != nodeapi.QueryParameterException {
			status = http.StatusRequestEntityTooLarge
		}
		s.epcisProblem(w, r, status, "epcisException:"+qe.Kind(), "Invalid query", qe.Error())
	default:
		s.log.Error("serving a request", "path", r.URL.Path, "err", err)
		s.epcisProblem(w, r, http.StatusInternalServerError, excImplementation, "Internal error", "the node could not read its index")
	}
}

// jsonType is the media type of an EPCIS JSON answer: JSON-LD unless the
// client prefers plain JSON (the REST binding's application/json).
func jsonType(r *http.Request) string {
	return negotiate(r, "application/ld+json", "application/json")
}

// acceptsJSON reports whether the client takes JSON at all.
func acceptsJSON(r *http.Request) bool {
	h := r.Header.Get("Accept")
	if h == "" {
		return true
	}
	for _, t := range []string{"application/ld+json", "application/json"} {
		if q, _ := acceptQ(h, t); q > 0 {
			return true
		}
	}
	return false
}

func (s *Server) notAcceptable(w http.ResponseWriter, r *http.Request) bool {
	if acceptsJSON(r) {
		return false
	}
	s.epcisProblem(w, r, http.StatusNotAcceptable, excNotAcceptable, "Not acceptable", "this node answers JSON (application/json, application/ld+json)")
	return true
}

// discovery answers OPTIONS on the node's other routes (/ among them):
// the methods and the discovery headers.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	discoveryHeaders(w.Header())
	w.Header().Set("Allow", "OPTIONS, GET, HEAD")
	w.WriteHeader(http.StatusNoContent)
}

// topLevel answers GET / for an API client: the top-level resources.
func (s *Server) topLevel(w http.ResponseWriter, r *http.Request) {
	discoveryHeaders(w.Header())
	writeJSON(w, "application/json", collection([]string{"events", "eventTypes", "epcs", "bizSteps", "bizLocations",
		"readPoints", "dispositions", "capture", "queries"}))
}

func collection(members []string) map[string]any {
	if members == nil {
		members = []string{}
	}
	return map[string]any{"@context": epcis.EPCISContext, "type": "Collection", "member": members}
}

// vocabularies maps a top-level resource to the index's vocabulary.
var vocabularies = map[string]index.Vocab{
	"eventTypes": index.VocabEventType, "bizSteps": index.VocabBizStep, "dispositions": index.VocabDisposition,
	"readPoints": index.VocabReadPoint, "bizLocations": index.VocabBizLocation, "epcs": index.VocabEPC,
}

// vocabulary answers a top-level resource: the values the indexed events
// use, paged (the page token is the last value, opaque to clients).
func (s *Server) vocabulary(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.notAcceptable(w, r) {
			return
		}
		q := r.URL.Query()
		per := nodeapi.DefaultPerPage
		if v := q.Get(nodeapi.ParamPerPage); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > nodeapi.MaxPerPage {
				s.epcisFail(w, r, &nodeapi.QueryError{Param: nodeapi.ParamPerPage, Reason: fmt.Sprintf("%q is not a number from 1 to %d", v, nodeapi.MaxPerPage)})
				return
			}
			per = n
		}
		after := ""
		if t := q.Get(nodeapi.ParamPageToken); t != "" {
			b, err := base64URL.DecodeString(t)
			if err != nil {
				s.epcisFail(w, r, &nodeapi.QueryError{Param: nodeapi.ParamPageToken, Reason: "not a token this node issued"})
				return
			}
			after = string(b)
		}
		vs, more, err := s.idx.Vocabulary(vocabularies[kind], after, per)
		if err != nil {
			s.epcisFail(w, r, err)
			return
		}
		if more && len(vs) > 0 {
			next := url.Values{nodeapi.ParamPerPage: {strconv.Itoa(per)}, nodeapi.ParamPageToken: {base64URL.EncodeToString([]byte(vs[len(vs)-1]))}}
			w.Header().Set("Link", fmt.Sprintf("<%s/%s?%s>; rel=\"next\"", s.base(r), kind, next.Encode()))
		}
		writeJSON(w, "application/json", collection(vs))
	}
}

// subResources answers /{resource}/{value}: its events.
func (s *Server) subResources(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.notAcceptable(w, r) {
			return
		}
		if kind == "eventTypes" && !knownEventType(r.PathValue("value")) {
			s.epcisProblem(w, r, http.StatusNotFound, excNoSuchName, "Not found", fmt.Sprintf("no event type %q", r.PathValue("value")))
			return
		}
		writeJSON(w, "application/json", collection([]string{"events"}))
	}
}

func knownEventType(t string) bool {
	switch t {
	case epcis.ObjectEvent, epcis.AggregationEvent, epcis.TransactionEvent, epcis.TransformationEvent, epcis.AssociationEvent:
		return true
	}
	return strings.Contains(t, ":") // an extension event type is a URI
}

// resourceEvents answers /{resource}/{value}/events: /events with the
// resource's parameter set to the value.
func (s *Server) resourceEvents(param string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := r.PathValue("value")
		if param == nodeapi.ParamEventType && !knownEventType(v) {
			s.epcisProblem(w, r, http.StatusNotFound, excNoSuchName, "Not found", fmt.Sprintf("no event type %q", v))
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.epcisFail(w, r, &nodeapi.QueryError{Param: "query string", Reason: err.Error()})
			return
		}
		if _, set := q[param]; set {
			s.epcisFail(w, r, &nodeapi.QueryError{Param: param, Reason: "the path already sets it"})
			return
		}
		q.Set(param, v)
		s.answerQuery(w, r, q, nil)
	}
}

// events answers GET /events.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.epcisFail(w, r, &nodeapi.QueryError{Param: "query string", Reason: "malformed: " + err.Error()})
		return
	}
	s.answerQuery(w, r, q, nil)
}

// answerQuery answers the query of URL parameters q (with the named
// query's definition fixed, when there is one) with a page of events.
func (s *Server) answerQuery(w http.ResponseWriter, r *http.Request, q url.Values, fixed url.Values) {
	if s.notAcceptable(w, r) {
		return
	}
	all := url.Values{}
	for k, vs := range fixed {
		all[k] = vs
	}
	for k, vs := range q {
		if _, set := fixed[k]; set {
			s.epcisFail(w, r, &nodeapi.QueryError{Param: k, Reason: "the named query already sets it"})
			return
		}
		all[k] = vs
	}
	iq, err := nodeapi.ParseQuery(all)
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	page, err := s.idx.Events(iq)
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	if page.NextPageToken != "" {
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set(nodeapi.ParamPageToken, page.NextPageToken)
		w.Header().Set("Link", fmt.Sprintf("<%s%s?%s>; rel=\"next\"", s.base(r), r.URL.EscapedPath(), next.Encode()))
	}
	writeJSON(w, jsonType(r), QueryDocument(page.Events, ""))
}

// QueryDocument is an EPCISQueryDocument of events, as the query interface
// and subscriptions send them; subscriptionID is "" outside a
// subscription.
func QueryDocument(events []json.RawMessage, subscriptionID string) map[string]any {
	return subscription.Document(events, subscriptionID)
}

func (s *Server) event(w http.ResponseWriter, r *http.Request) {
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/events/")
	id, err := url.PathUnescape(raw)
	if err != nil || id == "" || strings.Contains(raw, "/") {
		s.epcisProblem(w, r, http.StatusNotFound, excNoSuchName, "Invalid event id", "the event id must be percent-encoded in the path")
		return
	}
	if s.notAcceptable(w, r) {
		return
	}
	ev, err := s.idx.Event(id)
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	writeJSON(w, jsonType(r), QueryDocument([]json.RawMessage{ev}, ""))
}
