package api

// Named queries of the REST binding, kept in the node's own store
// (index.LocalPut, namespace "query"), not on the ledger: a query is a
// member's view, not a fact.
//
//	POST /queries                {"name": …, "query": {EQ_bizStep: […], …}} → 201, Location (member surface only: memberwrites.go)
//	GET /queries                 the named queries, paged
//	GET, DELETE /queries/{name}  one (as the binding's one-element array); delete it and its subscriptions
//	GET /queries/{name}/events   its events, paged; a WebSocket stream with Upgrade (subscriptions.go)

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/nodeapi"
)

var base64URL = base64.RawURLEncoding

// queryNS is the local namespace of named queries.
const queryNS = "query"

// NamedQuery is a named query as stored and listed (the wire type, shared
// with the node's client).
type NamedQuery = nodeapi.NamedQuery

// queryName is what a query's name may be: it is a path segment.
var queryName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// maxQueryBody bounds a query definition.
const maxQueryBody = 64 << 10

func (s *Server) queryRoutes() {
	s.mux.Handle("/queries", s.epcisRoute("queries", s.queries, http.MethodGet, http.MethodPost))
	s.mux.Handle("/queries/{name}", s.epcisRoute("query", s.namedQuery, http.MethodGet, http.MethodDelete))
	s.mux.Handle("/queries/{name}/events", s.epcisRoute("query-events", s.queryEvents, http.MethodGet))
	s.subscriptionRoutes() // subscriptions.go
}

func (s *Server) queries(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		if s.membersOnlyWrite(w, r) { // memberwrites.go
			return
		}
		s.createQuery(w, r)
		return
	}
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
		if err != nil || !queryName.Match(b) {
			s.epcisFail(w, r, &nodeapi.QueryError{Param: nodeapi.ParamPageToken, Reason: "not a token this node issued"})
			return
		}
		after = string(b)
	}
	out := []NamedQuery{}
	more := false
	var ferr error
	err := s.idx.LocalScan(queryNS, after, func(_ string, v []byte) bool {
		if len(out) == per {
			more = true
			return false
		}
		var nq NamedQuery
		if ferr = json.Unmarshal(v, &nq); ferr != nil {
			return false
		}
		nq.CreatedAt = "" // the binding lists name and query
		out = append(out, nq)
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	if more {
		next := url.Values{nodeapi.ParamPerPage: {strconv.Itoa(per)}, nodeapi.ParamPageToken: {base64URL.EncodeToString([]byte(out[len(out)-1].Name))}}
		w.Header().Set("Link", fmt.Sprintf("<%s/queries?%s>; rel=\"next\"", s.base(r), next.Encode()))
	}
	writeJSON(w, "application/json", out)
}

// jsonBody reads a JSON request body of at most max bytes, answering
// 415 or 413 itself; ok is false when it did.
func (s *Server) jsonBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/ld+json") {
		s.epcisProblem(w, r, http.StatusUnsupportedMediaType, excUnsupported, "Unsupported media type", "send application/json")
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		s.epcisProblem(w, r, http.StatusRequestEntityTooLarge, "epcisException:QueryTooComplexException", "Too large",
			fmt.Sprintf("the body is larger than %d bytes", max))
		return nil, false
	}
	return b, true
}

func (s *Server) createQuery(w http.ResponseWriter, r *http.Request) {
	body, ok := s.jsonBody(w, r, maxQueryBody)
	if !ok {
		return
	}
	var nq NamedQuery
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&nq); err != nil {
		s.epcisProblem(w, r, http.StatusBadRequest, excValidation, "Invalid query definition", "not a JSON object with name and query: "+err.Error())
		return
	}
	if !queryName.MatchString(nq.Name) {
		s.epcisProblem(w, r, http.StatusBadRequest, excValidation, "Invalid query name",
			fmt.Sprintf("%q: a query name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", nq.Name))
		return
	}
	if len(nq.Query) == 0 {
		s.epcisProblem(w, r, http.StatusBadRequest, excValidation, "Invalid query definition", "query is required")
		return
	}
	if _, err := nodeapi.ParseQueryJSON(nq.Query); err != nil {
		s.epcisFail(w, r, err)
		return
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, nq.Query); err == nil {
		nq.Query = compact.Bytes()
	}
	s.epcis.queriesMu.Lock()
	defer s.epcis.queriesMu.Unlock()
	if _, exists, err := s.idx.LocalGet(queryNS, nq.Name); err != nil {
		s.epcisFail(w, r, err)
		return
	} else if exists {
		s.epcisProblem(w, r, http.StatusConflict, excAlreadyExists, "Query exists", fmt.Sprintf("a query named %q exists; delete it first", nq.Name))
		return
	}
	nq.CreatedAt = time.Now().UTC().Format(time.RFC3339Nano)
	b, _ := json.Marshal(nq)
	if err := s.idx.LocalPut(queryNS, nq.Name, b); err != nil {
		s.epcisFail(w, r, err)
		return
	}
	w.Header().Set("Location", "/queries/"+url.PathEscape(nq.Name))
	w.WriteHeader(http.StatusCreated)
}

// lookupQuery reads the named query of the request's path, answering 404
// itself; ok is false when it did.
func (s *Server) lookupQuery(w http.ResponseWriter, r *http.Request) (NamedQuery, url.Values, bool) {
	name := r.PathValue("name")
	nq, v, err := s.NamedQuery(name)
	if err != nil {
		s.epcisFail(w, r, err)
		return nq, nil, false
	}
	return nq, v, true
}

// NamedQuery returns a named query and its parameters.
func (s *Server) NamedQuery(name string) (NamedQuery, url.Values, error) {
	var nq NamedQuery
	b, ok, err := s.idx.LocalGet(queryNS, name)
	if err != nil {
		return nq, nil, err
	}
	if !ok || !queryName.MatchString(name) {
		return nq, nil, &noSuchQuery{name}
	}
	if err := json.Unmarshal(b, &nq); err != nil {
		return nq, nil, err
	}
	v, err := nodeapi.QueryJSONValues(nq.Query)
	return nq, v, err
}

type noSuchQuery struct{ name string }

func (e *noSuchQuery) Error() string { return fmt.Sprintf("no query named %q", e.name) }

// Is makes a missing query an index.ErrNotFound for epcisFail.
func (e *noSuchQuery) Is(target error) bool { return target == index.ErrNotFound }

func (s *Server) namedQuery(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete && s.membersOnlyWrite(w, r) {
		return
	}
	if r.Method != http.MethodDelete && s.notAcceptable(w, r) {
		return
	}
	nq, _, ok := s.lookupQuery(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodDelete {
		s.epcis.queriesMu.Lock()
		defer s.epcis.queriesMu.Unlock()
		if err := s.unsubscribeAll(nq.Name); err != nil { // subscriptions.go
			s.epcisFail(w, r, err)
			return
		}
		if err := s.idx.LocalDelete(queryNS, nq.Name); err != nil {
			s.epcisFail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	nq.CreatedAt = ""
	// The binding's schema of this answer is an array (its example is one
	// object): the array of the one query conforms.
	writeJSON(w, "application/json", []NamedQuery{nq})
}

func (s *Server) queryEvents(w http.ResponseWriter, r *http.Request) {
	nq, fixed, ok := s.lookupQuery(w, r)
	if !ok {
		return
	}
	if isWebSocket(r) {
		s.streamQuery(w, r, nq, fixed) // subscriptions.go
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.epcisFail(w, r, &nodeapi.QueryError{Param: "query string", Reason: "malformed: " + err.Error()})
		return
	}
	s.answerQuery(w, r, q, fixed)
}
