package api

// Query subscriptions of the REST binding (package subscription delivers
// them), on the member surface only (memberwrites.go):
//
//	POST /queries/{name}/subscriptions           {dest, signatureToken, stream | schedule, reportIfEmpty} → 201, Location
//	GET /queries/{name}/subscriptions            the query's subscriptions (never their secrets)
//	GET, DELETE /queries/{name}/subscriptions/{id}
//	GET /queries/{name}/events?stream=true with Upgrade: websocket   the query's new events as they are recorded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/trustline/trustline/node/subscription"
	"github.com/trustline/trustline/nodeapi"
)

func (s *Server) subscriptionRoutes() {
	s.mux.Handle("/queries/{name}/subscriptions", s.epcisRoute("subscriptions", s.subscriptions, http.MethodGet, http.MethodPost))
	s.mux.Handle("/queries/{name}/subscriptions/{id}", s.epcisRoute("subscription", s.subscription, http.MethodGet, http.MethodDelete))
}

// subscriptionRequest is the binding's subscription body.
type subscriptionRequest struct {
	Dest           string `json:"dest"`
	SignatureToken string `json:"signatureToken,omitempty"`
	// Secret is the binding schema's required name for the token.
	Secret            string                 `json:"secret,omitempty"`
	Stream            *bool                  `json:"stream,omitempty"`
	Schedule          *subscription.Schedule `json:"schedule,omitempty"`
	ReportIfEmpty     bool                   `json:"reportIfEmpty,omitempty"`
	InitialRecordTime string                 `json:"initialRecordTime,omitempty"`
}

// subscriptionView is a subscription as served: never its secret.
type subscriptionView struct {
	ID             string                 `json:"subscriptionID"`
	QueryName      string                 `json:"queryName,omitempty"`
	Dest           string                 `json:"dest"`
	Stream         *bool                  `json:"stream,omitempty"`
	Schedule       *subscription.Schedule `json:"schedule,omitempty"`
	ReportIfEmpty  *bool                  `json:"reportIfEmpty,omitempty"`
	CreatedAt      string                 `json:"createdAt"`
	LastNotifiedAt string                 `json:"lastNotifiedAt,omitempty"`
}

func view(sub subscription.Subscription) subscriptionView {
	v := subscriptionView{ID: sub.ID, QueryName: sub.QueryName, Dest: sub.Dest, Schedule: sub.Schedule,
		CreatedAt: sub.CreatedAt.UTC().Format(time.RFC3339)}
	if sub.Stream {
		t := true
		v.Stream = &t
	} else {
		r := sub.ReportIfEmpty
		v.ReportIfEmpty = &r
	}
	if sub.LastNotifiedAt != nil {
		v.LastNotifiedAt = sub.LastNotifiedAt.UTC().Format(time.RFC3339)
	}
	return v
}

func (s *Server) noSubscriptions(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Subscriptions != nil {
		return false
	}
	s.epcisProblem(w, r, http.StatusNotImplemented, "epcisException:ImplementationException", "Not implemented",
		"this node runs no subscriptions")
	return true
}

func (s *Server) subscriptions(w http.ResponseWriter, r *http.Request) {
	if s.membersOnlyWrite(w, r) || s.noSubscriptions(w, r) {
		return
	}
	nq, params, ok := s.lookupQuery(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodGet {
		if s.notAcceptable(w, r) {
			return
		}
		subs, err := s.opts.Subscriptions.List(nq.Name)
		if err != nil {
			s.epcisFail(w, r, err)
			return
		}
		out := []subscriptionView{}
		for _, sub := range subs {
			out = append(out, view(sub))
		}
		writeJSON(w, "application/json", out)
		return
	}
	body, ok := s.jsonBody(w, r, maxQueryBody)
	if !ok {
		return
	}
	var req subscriptionRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.epcisProblem(w, r, http.StatusBadRequest, excValidation, "Invalid subscription", "not a subscription: "+err.Error())
		return
	}
	secret := req.SignatureToken
	if secret == "" {
		secret = req.Secret
	}
	sub := subscription.Subscription{QueryName: nq.Name, Params: params, Dest: req.Dest, Secret: secret,
		Stream: req.Stream != nil && *req.Stream, Schedule: req.Schedule, ReportIfEmpty: req.ReportIfEmpty}
	sub, err := s.opts.Subscriptions.Subscribe(sub)
	if err != nil {
		var ie *subscription.InvalidError
		var qe *nodeapi.QueryError
		if errors.As(err, &ie) || errors.As(err, &qe) {
			s.epcisProblem(w, r, http.StatusBadRequest, excValidation, "Invalid subscription", err.Error())
			return
		}
		s.epcisFail(w, r, err)
		return
	}
	w.Header().Set("Location", s.base(r)+"/queries/"+url.PathEscape(nq.Name)+"/subscriptions/"+sub.ID)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(view(sub))
}

func (s *Server) subscription(w http.ResponseWriter, r *http.Request) {
	if s.membersOnlyWrite(w, r) || s.noSubscriptions(w, r) {
		return
	}
	nq, _, ok := s.lookupQuery(w, r)
	if !ok {
		return
	}
	sub, err := s.opts.Subscriptions.Get(r.PathValue("id"))
	if err == nil && sub.QueryName != nq.Name {
		err = subscription.ErrNotFound
	}
	if errors.Is(err, subscription.ErrNotFound) {
		s.epcisProblem(w, r, http.StatusNotFound, excNoSuchName, "Not found", fmt.Sprintf("query %q has no subscription %q", nq.Name, r.PathValue("id")))
		return
	}
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	if r.Method == http.MethodDelete {
		if err := s.opts.Subscriptions.Unsubscribe(sub.ID); err != nil {
			s.epcisFail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if s.notAcceptable(w, r) {
		return
	}
	writeJSON(w, "application/json", view(sub))
}

// unsubscribeAll deletes a query's subscriptions (the query is being
// deleted).
func (s *Server) unsubscribeAll(name string) error {
	if s.opts.Subscriptions == nil {
		return nil
	}
	subs, err := s.opts.Subscriptions.List(name)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if err := s.opts.Subscriptions.Unsubscribe(sub.ID); err != nil && !errors.Is(err, subscription.ErrNotFound) {
			return err
		}
	}
	return nil
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// streamQuery streams a named query's new events on a WebSocket: one
// EPCISQueryDocument text message per batch, in ledger order, from the
// moment the socket opens until either side closes it.
func (s *Server) streamQuery(w http.ResponseWriter, r *http.Request, nq NamedQuery, fixed url.Values) {
	if s.noSubscriptions(w, r) {
		return
	}
	if r.URL.Query().Get("stream") != "true" {
		// The binding gives this answer (400SubscriptionIssues) as
		// application/json.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(Problem{Type: excSubscription, Title: "Invalid subscription", Status: http.StatusBadRequest,
			Detail: "a WebSocket subscription takes stream=true (this node streams; it does not schedule WebSockets)", Instance: r.URL.RequestURI()})
		return
	}
	q, err := nodeapi.ParseQuery(fixed)
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept answered the client
	}
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ctx = c.CloseRead(ctx) // the client sends nothing; its close ends ctx
	st := &websocketStream{cancel: cancel}
	s.epcis.addStream(st)
	defer s.epcis.removeStream(st)
	err = s.opts.Subscriptions.Stream(ctx, q, func(events []json.RawMessage) error {
		b, err := s.opts.Subscriptions.Render(events, "") // as its webhooks: recall notices included
		if err != nil {
			return err
		}
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, b)
	})
	if err != nil && ctx.Err() == nil {
		s.log.Debug("query stream ended", "query", nq.Name, "err", err)
	}
	c.Close(websocket.StatusNormalClosure, "")
}
