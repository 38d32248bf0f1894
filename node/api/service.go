package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/node/index"
	"github.com/trustline/trustline/node/service"
	"github.com/trustline/trustline/node/web"
)

// The brand's after-sales desk (package node/service), on the brand's own
// node only:
//
//	POST /service/tickets        a consumer's question or complaint, from the page's form
//	                             (application/x-www-form-urlencoded) or as JSON → 201
//	GET  /service/tickets/{id}?token=…   the ticket and the brand's answer, for its consumer
//
// Anyone may post, so the desk limits what it takes: a form of at most
// MaxServiceBody bytes, a rate per client address and one for the node as
// a whole (every ticket is a ledger transaction). Client addresses are held
// in memory for the rate limits only, never stored.

// MaxServiceBody bounds a ticket request's body.
const MaxServiceBody = 16 << 10

// ServiceOptions put the brand's service desk on the API.
type ServiceOptions struct {
	Desk *service.Desk
	// MSP is the node's organisation: the desk takes tickets about its
	// products only.
	MSP string
	// PerClientPerMinute and ClientBurst limit one client address; 0 means
	// 5 a minute, a burst of 3.
	PerClientPerMinute float64
	ClientBurst        int
	// PerSecond and Burst limit the desk as a whole; 0 means 2 a second, a
	// burst of 10.
	PerSecond float64
	Burst     int
	// MaxMessageRunes is told to the form; 0 means the desk's default.
	MaxMessageRunes int
}

// serviceDesk is the API's state of the desk.
type serviceDesk struct {
	ServiceOptions
	total   *rate.Limiter
	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

func newServiceDesk(o ServiceOptions) *serviceDesk {
	if o.PerClientPerMinute == 0 {
		o.PerClientPerMinute = 5
	}
	if o.ClientBurst == 0 {
		o.ClientBurst = 3
	}
	if o.PerSecond == 0 {
		o.PerSecond = 2
	}
	if o.Burst == 0 {
		o.Burst = 10
	}
	if o.MaxMessageRunes == 0 {
		o.MaxMessageRunes = service.DefaultMaxMessageRunes
	}
	return &serviceDesk{ServiceOptions: o, total: rate.NewLimiter(rate.Limit(o.PerSecond), o.Burst), clients: map[string]*rate.Limiter{}}
}

// allow takes a token for the client at addr and for the desk.
func (d *serviceDesk) allow(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	d.mu.Lock()
	l := d.clients[host]
	if l == nil {
		if len(d.clients) >= 10000 { // forget idle clients rather than grow
			for k, c := range d.clients {
				if c.Tokens() >= float64(d.ClientBurst) {
					delete(d.clients, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Limit(d.PerClientPerMinute/60), d.ClientBurst)
		d.clients[host] = l
	}
	d.mu.Unlock()
	return l.Allow() && d.total.Allow()
}

func (s *Server) serviceRoutes() {
	if s.opts.Service == nil || s.opts.Service.Desk == nil {
		return
	}
	s.desk = newServiceDesk(*s.opts.Service)
	s.mux.Handle("/service/tickets", s.serviceRoute("service-file", s.fileTicket, http.MethodPost))
	s.mux.Handle("/service/tickets/{id}", s.serviceRoute("service-ticket", s.readTicket, http.MethodGet, http.MethodHead))
}

// serviceRoute wraps a desk handler with method checking, panic recovery
// and metrics.
func (s *Server) serviceRoute(name string, h http.HandlerFunc, methods ...string) http.Handler {
	return s.observed(name, s.internalError, func(rec *recorder, r *http.Request) {
		rec.Header().Set("Cache-Control", "no-store")
		if !slices.Contains(methods, r.Method) {
			rec.Header().Set("Allow", strings.Join(methods, ", "))
			s.problem(rec, r, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed",
				fmt.Sprintf("%s is not allowed here; use %s", r.Method, methods[0]))
			return
		}
		h(rec, r)
	})
}

// serviceForm is the page's form for a lot or unit of a product of this
// node's brand; nil elsewhere.
func (s *Server) serviceForm(tr index.Trace) *web.ServiceForm {
	if s.desk == nil || tr.Product == nil || tr.Product.Owner != s.desk.MSP {
		return nil
	}
	return web.NewServiceForm("/service/tickets", tr.ID, tr.Product.Brand, s.desk.MaxMessageRunes)
}

// TicketRequest is POST /service/tickets's JSON body (the form has the
// same fields).
type TicketRequest struct {
	Subject string `json:"subject"`
	Topic   string `json:"topic"`
	Message string `json:"message"`
	Lang    string `json:"lang,omitempty"`
}

// TicketFiled is POST /service/tickets's JSON answer: the ticket and the
// consumer's secret link to read the answer.
type TicketFiled struct {
	Ticket  string `json:"ticket"`
	FiledAt string `json:"filedAt"`
	Link    string `json:"link"`
}

// TicketStatus is GET /service/tickets/{id}'s JSON answer.
type TicketStatus struct {
	Ticket     string `json:"ticket"`
	Subject    string `json:"subject"`
	Topic      string `json:"topic"`
	FiledAt    string `json:"filedAt"`
	Outcome    string `json:"outcome,omitempty"`
	Answer     string `json:"answer,omitempty"`
	AnsweredAt string `json:"answeredAt,omitempty"`
}

func (s *Server) fileTicket(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	form := ct == "application/x-www-form-urlencoded"
	html := form && negotiate(r, typeJSON, typeHTML) == typeHTML
	lang := web.MatchLang(r)
	fail := func(status int, kind, title, detail, titleKey, msgKey string) {
		if html {
			s.htmlError(w, r, status, titleKey, msgKey, detail)
			return
		}
		s.problem(w, r, status, kind, title, detail)
	}
	if !s.desk.allow(r.RemoteAddr) {
		w.Header().Set("Retry-After", "60")
		fail(http.StatusTooManyRequests, "too-many-requests", "Too many requests", "the desk takes a few messages a minute from one address; try again in a minute", "err.tooMany", "err.tooManyMsg")
		return
	}
	if !form && ct != "application/json" {
		fail(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			fmt.Sprintf("send application/x-www-form-urlencoded or application/json, not %q", ct), "err.ticket", "err.ticketMsg")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxServiceBody)
	var req TicketRequest
	var err error
	if form {
		if err = r.ParseForm(); err == nil {
			req = TicketRequest{Subject: r.PostForm.Get("subject"), Topic: r.PostForm.Get("topic"), Message: r.PostForm.Get("message"), Lang: r.PostForm.Get("lang")}
		}
	} else {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		err = dec.Decode(&req)
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		fail(http.StatusRequestEntityTooLarge, "too-large", "Request too large", fmt.Sprintf("a ticket is at most %d bytes", MaxServiceBody), "err.ticket", "err.ticketMsg")
		return
	case err != nil:
		fail(http.StatusBadRequest, "invalid-ticket", "Invalid ticket", "the body cannot be read: "+err.Error(), "err.ticket", "err.ticketMsg")
		return
	}
	if l := web.LangOf(req.Lang); l != nil {
		lang = l
	}
	f := service.Filing{Subject: req.Subject, Topic: req.Topic, Message: req.Message, Lang: lang.Code}
	link, err := s.desk.Desk.CheckFiling(f)
	var ie *service.InputError
	if errors.As(err, &ie) {
		fail(http.StatusBadRequest, "invalid-ticket", "Invalid ticket", ie.Error(), "err.ticket", "err.ticketMsg")
		return
	} else if err != nil {
		fail(http.StatusBadRequest, "invalid-ticket", "Invalid ticket", err.Error(), "err.ticket", "err.ticketMsg")
		return
	}
	tr, err := s.idx.Trace(link.GTIN, link.Lot, link.Serial)
	if errors.Is(err, index.ErrNotFound) {
		fail(http.StatusNotFound, "not-found", "Not found", err.Error(), "err.notFound", "err.notFoundMsg")
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	if tr.Product == nil || tr.Product.Owner != s.desk.MSP {
		fail(http.StatusNotFound, "not-found", "Not found", fmt.Sprintf("this node takes tickets about the products of %s only; %s is not one", s.desk.MSP, link.GTIN), "err.notFound", "err.notFoundMsg")
		return
	}
	f.Subject = tr.ID
	filed, err := s.desk.Desk.File(r.Context(), f)
	if err != nil {
		s.log.Warn("filing a ticket", "subject", tr.ID, "err", err)
		fail(http.StatusBadGateway, "desk-unavailable", "Service desk unavailable", "the ledger did not record the ticket; nothing was kept, try again later", "err.deskDown", "err.deskDownMsg")
		return
	}
	secret := s.base(r) + "/service/tickets/" + filed.Ticket + "?" + url.Values{"token": {filed.Token}, "lang": {lang.Code}}.Encode()
	if !html {
		w.Header().Set("Location", secret)
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, "application/json", TicketFiled{Ticket: filed.Ticket, FiledAt: filed.FiledAt, Link: secret})
		return
	}
	v := web.TicketView{L: lang, ID: filed.Ticket, Topic: f.Topic, Filed: web.ParseTime(filed.FiledAt), Link: secret, Back: tr.ID}
	if l, err := digitallink.Parse(tr.ID); err == nil {
		v.Back = l.Path() + "?lang=" + lang.Code
	}
	s.ticketPage(w, r, http.StatusCreated, v)
}

func (s *Server) readTicket(w http.ResponseWriter, r *http.Request) {
	html := negotiate(r, typeJSON, typeHTML) == typeHTML
	t, err := s.desk.Desk.Read(r.PathValue("id"), r.URL.Query().Get("token"))
	if err != nil {
		if !errors.Is(err, service.ErrNotFound) {
			s.log.Error("reading a ticket", "err", err)
		}
		if html {
			s.htmlError(w, r, http.StatusNotFound, "err.noTicket", "err.noTicketMsg", "")
			return
		}
		s.problem(w, r, http.StatusNotFound, "not-found", "Not found", "no ticket with this id and token")
		return
	}
	st := TicketStatus{Ticket: t.ID, Subject: t.Subject, Topic: t.Topic, FiledAt: t.FiledAt}
	if a := t.Answer; a != nil {
		st.Outcome, st.Answer, st.AnsweredAt = a.Outcome, a.Message, a.At
	}
	if !html {
		writeJSON(w, "application/json", st)
		return
	}
	lang := web.MatchLang(r)
	v := web.TicketView{L: lang, ID: t.ID, Topic: t.Topic, Filed: web.ParseTime(t.FiledAt), Status: st.Outcome, Answer: st.Answer, Answered: web.ParseTime(st.AnsweredAt)}
	if l, err := digitallink.Parse(t.Subject); err == nil {
		v.Back = l.Path() + "?lang=" + lang.Code
	}
	s.ticketPage(w, r, http.StatusOK, v)
}

func (s *Server) ticketPage(w http.ResponseWriter, r *http.Request, status int, v web.TicketView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.L.Code)
	w.Header().Set("Referrer-Policy", "no-referrer") // the link holds the secret token
	w.WriteHeader(status)
	if err := s.page.Ticket(w, v); err != nil {
		s.log.Debug("writing a ticket page", "path", r.URL.Path, "err", err)
	}
}
