package capture

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"github.com/trustline/trustline/client"
)

// Client is one of the organisation's systems allowed to capture, named
// by the common name of its TLS client certificate.
type Client struct {
	// Name is the certificate's subject common name
	// ("erp.supplier.example"); "*" is any certificate the client CA
	// issued.
	Name string `json:"name"`
	// BizSteps are the business steps (bare CBV words: "shipping") it may
	// capture; empty means all.
	BizSteps []string `json:"bizSteps,omitempty"`
	// Reports lets it read the member records served on this listener
	// (HandlerOptions.Member: reports for regulators, recall scope and
	// notices).
	Reports bool `json:"reports,omitempty"`
	// Subscribe lets it create and delete named queries and read, create
	// and delete subscriptions (HandlerOptions.Member's /queries routes),
	// which make the node send requests to URLs of the client's choice.
	// Any client may read the named queries and their events here, as
	// anyone may on the public listener.
	Subscribe bool `json:"subscribe,omitempty"`
}

// may reports whether c may capture an event of bizStep.
func (c Client) may(bizStep string) bool {
	return len(c.BizSteps) == 0 || slices.Contains(c.BizSteps, bizStep)
}

// HandlerOptions configure Handler.
type HandlerOptions struct {
	// Clients are the systems allowed to capture.
	Clients []Client
	// RatePerSecond and Burst limit each client's requests; zero means
	// 10 per second with bursts of 20.
	RatePerSecond float64
	Burst         int
	// CRLs, when set, refuse the client certificates they revoke (401;
	// crl.go).
	CRLs *CRLs
	// Member serves the node's member records (GET /reports/..., GET
	// /recall/..., GET /scans) to the clients with Reports, and the named
	// queries and subscriptions (/queries...) to the clients with
	// Subscribe (reads of queries to any client); nil: not served (404).
	Member http.Handler
}

// Headers of the EPCIS 2.0 REST binding.
const (
	HeaderErrorBehaviour = "GS1-Capture-Error-Behaviour"
	HeaderCaptureLimit   = "GS1-EPCIS-Capture-Limit"
	HeaderFileSizeLimit  = "GS1-EPCIS-Capture-File-Size-Limit"
)

type handler struct {
	s       *Service
	crls    *CRLs
	member  http.Handler
	clients []Client
	rate    rate.Limit
	burst   int

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// Handler serves the capture interface: OPTIONS/POST/GET /capture,
// GET/OPTIONS /capture/{captureID} and POST /events. It must be served
// over TLS with client certificates verified against the organisation's
// CA (tls.VerifyClientCertIfGiven, so that a request without one gets a
// 401 problem rather than a failed handshake): the verified leaf's common
// name names the Client.
func (s *Service) Handler(opts HandlerOptions) http.Handler {
	h := &handler{s: s, crls: opts.CRLs, member: opts.Member, clients: opts.Clients, rate: rate.Limit(opts.RatePerSecond), burst: opts.Burst, limiters: map[string]*rate.Limiter{}}
	if h.rate <= 0 {
		h.rate = 10
	}
	if h.burst <= 0 {
		h.burst = 20
	}
	mux := http.NewServeMux()
	mux.HandleFunc("OPTIONS /capture", h.auth(h.options))
	mux.HandleFunc("POST /capture", h.auth(h.capture))
	mux.HandleFunc("GET /capture", h.auth(h.list))
	mux.HandleFunc("GET /capture/{id}", h.auth(h.job))
	mux.HandleFunc("OPTIONS /capture/{id}", h.auth(h.jobOptions))
	mux.HandleFunc("POST /events", h.auth(h.event))
	mux.HandleFunc("GET /reports/", h.auth(h.records))
	mux.HandleFunc("GET /recall/", h.auth(h.records))
	mux.HandleFunc("GET /scans", h.auth(h.records))
	mux.HandleFunc("/queries", h.auth(h.queries))
	mux.HandleFunc("/queries/", h.auth(h.queries))
	return mux
}

// queries serves the named queries and subscriptions of the member
// surface: their reads to any client, their writes and the subscriptions
// to a client allowed to subscribe.
func (h *handler) queries(w http.ResponseWriter, r *http.Request, c Client) {
	if h.member == nil {
		writeProblem(w, Problem{Type: NoSuchNameException, Title: "Not served", Status: http.StatusNotFound,
			Detail: "this listener serves no named queries"})
		return
	}
	read := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions
	if !c.Subscribe && (!read || strings.Contains(r.URL.Path, "/subscriptions")) {
		writeProblem(w, Problem{Type: SecurityException, Title: "Access to resource forbidden", Status: http.StatusForbidden,
			Detail: fmt.Sprintf("client %q may not write named queries or use subscriptions (its capture.clients entry needs subscribe: true)", c.Name)})
		return
	}
	h.member.ServeHTTP(w, r)
}

// records serves the member records to a client allowed to read them.
func (h *handler) records(w http.ResponseWriter, r *http.Request, c Client) {
	if h.member == nil {
		writeProblem(w, Problem{Type: NoSuchNameException, Title: "Not served", Status: http.StatusNotFound,
			Detail: "this listener serves no member records"})
		return
	}
	if !c.Reports {
		writeProblem(w, Problem{Type: SecurityException, Title: "Access to resource forbidden", Status: http.StatusForbidden,
			Detail: fmt.Sprintf("client %q may not read the member records (its capture.clients entry needs reports: true)", c.Name)})
		return
	}
	h.member.ServeHTTP(w, r)
}

type authedFunc func(w http.ResponseWriter, r *http.Request, c Client)

// auth authenticates the caller by its verified client certificate and
// limits its rate.
func (h *handler) auth(next authedFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		versionHeaders(w)
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
			writeProblem(w, Problem{Type: SecurityException, Title: "Unauthorised request", Status: http.StatusUnauthorized,
				Detail: "capture needs a TLS client certificate issued by the organisation's CA"})
			return
		}
		chain := r.TLS.VerifiedChains[0]
		cn := chain[0].Subject.CommonName
		if h.crls != nil && len(chain) > 1 && h.crls.Revoked(chain[0], chain[1]) {
			writeProblem(w, Problem{Type: SecurityException, Title: "Certificate revoked", Status: http.StatusUnauthorized,
				Detail: fmt.Sprintf("the client certificate of %q (serial %x) is revoked: the organisation's CRL lists it", cn, chain[0].SerialNumber)})
			return
		}
		i := slices.IndexFunc(h.clients, func(c Client) bool { return c.Name == cn })
		if i < 0 {
			i = slices.IndexFunc(h.clients, func(c Client) bool { return c.Name == "*" })
		}
		if i < 0 {
			writeProblem(w, Problem{Type: SecurityException, Title: "Access to resource forbidden", Status: http.StatusForbidden,
				Detail: fmt.Sprintf("client %q is not allowed to capture on this node", cn)})
			return
		}
		c := h.clients[i]
		c.Name = cn
		if !h.limiter(cn).Allow() {
			w.Header().Set("Retry-After", "1")
			writeProblem(w, Problem{Type: ImplementationException, Title: "Too many requests", Status: http.StatusTooManyRequests,
				Detail: fmt.Sprintf("client %q exceeds %g requests per second", cn, float64(h.rate))})
			return
		}
		next(w, r, c)
	}
}

func (h *handler) limiter(name string) *rate.Limiter {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.limiters[name]
	if !ok {
		l = rate.NewLimiter(h.rate, h.burst)
		h.limiters[name] = l
	}
	return l
}

func versionHeaders(w http.ResponseWriter) {
	w.Header().Set("GS1-EPCIS-Version", "2.0.0")
	w.Header().Set("GS1-CBV-Version", "2.0.0")
}

func (h *handler) limitHeaders(w http.ResponseWriter) {
	w.Header().Set(HeaderCaptureLimit, strconv.Itoa(h.s.opts.MaxEvents))
	w.Header().Set(HeaderFileSizeLimit, strconv.FormatInt(h.s.opts.MaxBytes, 10))
}

func (h *handler) options(w http.ResponseWriter, r *http.Request, c Client) {
	w.Header().Set("Allow", "OPTIONS, POST, GET")
	w.Header().Set("GS1-EPCIS-Min", "2.0.0")
	w.Header().Set("GS1-EPCIS-Max", "2.0.0")
	w.Header().Set("GS1-CBV-Min", "2.0.0")
	w.Header().Set("GS1-CBV-Max", "2.0.0")
	w.Header().Set(HeaderErrorBehaviour, string(Rollback)) // the default; proceed on request
	h.limitHeaders(w)
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) jobOptions(w http.ResponseWriter, r *http.Request, c Client) {
	if _, ok := h.s.Job(c.Name, r.PathValue("id")); !ok {
		writeProblem(w, noSuchJob(r.PathValue("id")))
		return
	}
	w.Header().Set("Allow", "OPTIONS, GET")
	w.WriteHeader(http.StatusNoContent)
}

// body reads a capture body within the size limit: 413 beyond it, 415
// for a type other than JSON.
func (h *handler) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/ld+json") {
			writeProblem(w, Problem{Type: UnsupportedMediaTypeException, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
				Detail: fmt.Sprintf("Content-Type %q: capture takes application/json or application/ld+json", ct)})
			return nil, false
		}
	}
	if r.ContentLength > h.s.opts.MaxBytes {
		h.limitHeaders(w)
		writeProblem(w, tooLarge(fmt.Sprintf("%d bytes, more than the capture file size limit of %d", r.ContentLength, h.s.opts.MaxBytes)))
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.s.opts.MaxBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		h.limitHeaders(w)
		writeProblem(w, tooLarge(fmt.Sprintf("more than the capture file size limit of %d bytes", h.s.opts.MaxBytes)))
		return nil, false
	}
	if err != nil {
		writeProblem(w, Problem{Type: ValidationException, Title: "Invalid capture request", Status: http.StatusBadRequest, Detail: "reading the body: " + err.Error()})
		return nil, false
	}
	return b, true
}

func behaviour(r *http.Request) (Behaviour, error) {
	switch v := r.Header.Get(HeaderErrorBehaviour); v {
	case "", string(Rollback):
		return Rollback, nil
	case string(Proceed):
		return Proceed, nil
	default:
		return "", badRequest("%s %q: this node supports rollback and proceed", HeaderErrorBehaviour, v)
	}
}

// forbidden checks the client's permissions for every event: one step
// it may not capture refuses the whole request.
func forbidden(c Client, ps []prepared) *Problem {
	for i, p := range ps {
		if !c.may(p.call.BizStep) {
			return &Problem{Type: SecurityException, Title: "Access to resource forbidden", Status: http.StatusForbidden,
				Detail: fmt.Sprintf("event %d (%s): client %q may not capture bizStep %q (it may capture %v)", i, p.call.SourceEventID, c.Name, p.call.BizStep, c.BizSteps)}
		}
	}
	return nil
}

func (h *handler) capture(w http.ResponseWriter, r *http.Request, c Client) {
	b, err := behaviour(r)
	if err != nil {
		writeError(w, err)
		return
	}
	body, ok := h.body(w, r)
	if !ok {
		return
	}
	ps, err := h.s.prepare(body)
	if err != nil {
		if re := (*RequestError)(nil); errors.As(err, &re) && re.Problem.Status == http.StatusRequestEntityTooLarge {
			h.limitHeaders(w)
		}
		writeError(w, err)
		return
	}
	if p := forbidden(c, ps); p != nil {
		writeProblem(w, *p)
		return
	}
	j, err := h.s.start(c.Name, b, ps)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/capture/"+j.CaptureID)
	w.WriteHeader(http.StatusAccepted)
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, c Client) {
	writeJSON(w, http.StatusOK, h.s.Jobs(c.Name))
}

func noSuchJob(id string) Problem {
	return Problem{Type: NoSuchNameException, Title: "No such capture job", Status: http.StatusNotFound, Detail: fmt.Sprintf("no capture job %q of this client", id)}
}

func (h *handler) job(w http.ResponseWriter, r *http.Request, c Client) {
	j, ok := h.s.Job(c.Name, r.PathValue("id"))
	if !ok {
		writeProblem(w, noSuchJob(r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// event captures one event synchronously: 201 with the recorded event,
// 409 when its id is already on the ledger.
func (h *handler) event(w http.ResponseWriter, r *http.Request, c Client) {
	body, ok := h.body(w, r)
	if !ok {
		return
	}
	p, err := prepareOne(body)
	if err != nil {
		writeError(w, err)
		return
	}
	if pr := forbidden(c, []prepared{p}); pr != nil {
		writeProblem(w, *pr)
		return
	}
	if p.err != nil {
		writeProblem(w, eventProblem(0, p.call.SourceEventID, p.err))
		return
	}
	rec, err := h.s.submit(r.Context(), p.call)
	var dup *client.DuplicateError
	switch {
	case errors.As(err, &dup):
		writeProblem(w, Problem{Type: ResourceAlreadyExists, Title: "A resource with the provided identifier already exists.", Status: http.StatusConflict,
			Detail: fmt.Sprintf("event %s is already recorded as %s", p.call.SourceEventID, dup.EventID), EventID: p.call.SourceEventID})
		return
	case err != nil:
		writeProblem(w, eventProblem(0, p.call.SourceEventID, err))
		return
	}
	w.Header().Set("Location", "/events/"+url.PathEscape(rec.EventID))
	stored, err := h.s.ledger.Event(r.Context(), rec.EventID)
	if err != nil {
		// Recorded; only reading it back failed.
		writeJSON(w, http.StatusCreated, rec)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(stored)
}

func writeError(w http.ResponseWriter, err error) {
	var re *RequestError
	if errors.As(err, &re) {
		writeProblem(w, re.Problem)
		return
	}
	writeProblem(w, Problem{Type: ImplementationException, Title: "Internal error", Status: http.StatusInternalServerError, Detail: err.Error()})
}

func writeProblem(w http.ResponseWriter, p Problem) {
	b, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
