package apitest

// Conformance checks the node's EPCIS interface against the standard
// itself: GS1's EPCIS 2.0 REST binding (gs1/openapi.yaml, the repository
// gs1/EPCIS, "REST Bindings/openapi.yaml") with kin-openapi, and EPCIS
// documents against GS1's EPCIS 2.0 JSON schema (gs1/EPCIS-JSON-Schema.json)
// with santhosh-tekuri/jsonschema. The REST binding's bodies refer to a
// stub of that schema (gs1/JSON-Schema-Stub.json, as GS1 validates the
// binding itself), so documents are checked against the full schema
// separately.
//
// The binding documents some errors on some operations only (400 on
// /eventTypes/{eventType}/events but not on /events, for instance): an
// error status an operation does not list is checked against the binding's
// own response for that status (400QueryIssues, 404ResourceNotFound, ...),
// so every error is still held to the standard's exception types.

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed gs1/openapi.yaml gs1/JSON-Schema-Stub.json gs1/EPCIS-JSON-Schema.json
var gs1Files embed.FS

// The addresses the binding and the schema refer to themselves by.
const (
	stubURL   = "https://gs1.github.io/EPCIS/REST%20Bindings/JSON-Schema-Stub.json"
	schemaURL = "https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json"
)

// Conformance validates requests, responses and documents against GS1's
// EPCIS 2.0 REST binding and JSON schema. It is safe for concurrent use.
type Conformance struct {
	doc    *openapi3.T
	router routers.Router
	schema *jsonschema.Schema
}

var (
	conformanceOnce sync.Once
	conformance     *Conformance
	conformanceErr  error
)

// GS1 returns the conformance checker, loading the standard's files once.
func GS1(t testing.TB) *Conformance {
	t.Helper()
	conformanceOnce.Do(func() { conformance, conformanceErr = loadConformance() })
	if conformanceErr != nil {
		t.Fatal(conformanceErr)
	}
	return conformance
}

func loadConformance() (*Conformance, error) {
	spec, err := gs1Files.ReadFile("gs1/openapi.yaml")
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	// The binding's only external references are to the schema stub; the
	// tests never reach the network.
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if strings.HasSuffix(u.Path, "JSON-Schema-Stub.json") {
			stub, err := gs1Files.ReadFile("gs1/JSON-Schema-Stub.json")
			if err != nil {
				return nil, err
			}
			return discriminatedStub(stub) // gs1fixes.go
		}
		return nil, fmt.Errorf("apitest: the EPCIS binding refers to %s, which is not in gs1/", u)
	}
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("apitest: loading GS1's openapi.yaml: %w", err)
	}
	flattenHeaderSchemas(doc) // gs1fixes.go
	fixCaptureJob(doc)
	fix409(doc)
	// The binding's cron patterns use PCRE recursion (\g<element>), which
	// no Go regexp engine compiles: they are not checked. Nor are the
	// examples, some of which do not follow the binding's own schemas
	// (AbstractQuerySubscription requires a "secret" its example lacks).
	router, err := legacy.NewRouter(doc, openapi3.DisableSchemaPatternValidation(), openapi3.DisableExamplesValidation())
	if err != nil {
		return nil, fmt.Errorf("apitest: routing GS1's openapi.yaml: %w", err)
	}
	raw, err := gs1Files.ReadFile("gs1/EPCIS-JSON-Schema.json")
	if err != nil {
		return nil, err
	}
	sdoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	// The schema's patterns are ECMA-262 (negative lookahead), which Go's
	// regexp does not support; regexp2 in ECMAScript mode does.
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
		re, err := regexp2.Compile(s, regexp2.ECMAScript)
		if err != nil {
			return nil, err
		}
		return ecmaRegexp{re}, nil
	})
	if err := c.AddResource(schemaURL, sdoc); err != nil {
		return nil, err
	}
	schema, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("apitest: compiling GS1's EPCIS JSON schema: %w", err)
	}
	return &Conformance{doc: doc, router: router, schema: schema}, nil
}

func (c *Conformance) options() *openapi3filter.Options {
	return &openapi3filter.Options{
		IncludeResponseStatus: true,
		// Defaults are not the client's: "stream" defaults to true, which
		// would make a scheduled subscription match both of oneOf.
		SkipSettingDefaults: true,
		MultiError:          true,
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.DisablePatternValidation(),
		},
	}
}

// route finds the binding's operation of req.
func (c *Conformance) route(req *http.Request) (*routers.Route, map[string]string, error) {
	// The router matches the request's URL against the binding's paths,
	// which have no servers: match on the path alone.
	r := req.Clone(context.Background())
	// Path parameters are URIs (an event id, an EPC) percent-encoded in
	// one segment: route on the path as sent.
	r.URL = &url.URL{Path: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery}
	r.Host = ""
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s is not an operation of the EPCIS 2.0 REST binding: %w", req.Method, req.URL.Path, err)
	}
	return route, params, nil
}

func (c *Conformance) requestInput(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := c.route(req)
	if err != nil {
		return nil, err
	}
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: c.options()}, nil
}

// CheckRequest validates a request (with its body) against the binding.
func (c *Conformance) CheckRequest(req *http.Request, body []byte) error {
	in, err := c.requestInput(req, body)
	if err != nil {
		return err
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("request %s %s does not conform to the EPCIS 2.0 REST binding: %w", req.Method, req.URL, err)
	}
	if isDocument(body) {
		if err := c.CheckDocument(body); err != nil {
			return fmt.Errorf("request %s %s: %w", req.Method, req.URL, err)
		}
	}
	return nil
}

// fallbackResponses are the binding's responses for an error status an
// operation does not list.
var fallbackResponses = map[int]string{
	http.StatusBadRequest:            "400QueryIssues",
	http.StatusUnauthorized:          "401UnauthorizedRequest",
	http.StatusForbidden:             "403ClientUnauthorized",
	http.StatusNotFound:              "404ResourceNotFound",
	http.StatusNotAcceptable:         "406NotAcceptable",
	http.StatusConflict:              "409ResourceAlreadyExistsException",
	http.StatusRequestEntityTooLarge: "413QueryScopeOrSize",
	http.StatusRequestURITooLong:     "414URLTooLong",
	http.StatusUnsupportedMediaType:  "415UnsupportedMediaType",
	http.StatusInternalServerError:   "500ImplementationException",
	http.StatusNotImplemented:        "501NotImplemented",
}

// CheckResponse validates the response to req (sent with reqBody) against
// the binding, and an EPCIS document in it against the JSON schema.
func (c *Conformance) CheckResponse(req *http.Request, reqBody []byte, resp *http.Response, body []byte) error {
	return c.checkResponse(req, reqBody, resp, body, true)
}

func (c *Conformance) checkResponse(req *http.Request, reqBody []byte, resp *http.Response, body []byte, validRequest bool) error {
	in, err := c.requestInput(req, reqBody)
	if err != nil {
		return err
	}
	op := in.Route.Operation
	if op.Responses.Status(resp.StatusCode) == nil && resp.StatusCode >= 400 {
		name, ok := fallbackResponses[resp.StatusCode]
		if !ok || c.doc.Components.Responses[name] == nil {
			return fmt.Errorf("%s %s answered %d, a status the EPCIS 2.0 REST binding does not define", req.Method, req.URL.Path, resp.StatusCode)
		}
		// Check against a copy of the operation with the binding's own
		// response for the status.
		cp := *op
		cp.Responses = openapi3.NewResponses()
		cp.Responses.Set(fmt.Sprint(resp.StatusCode), c.doc.Components.Responses[name])
		route := *in.Route
		route.Operation = &cp
		in.Route = &route
	}
	if !validRequest {
		// The request's parameters are not decoded against the binding.
		o := *in.Options
		o.ExcludeRequestQueryParams, o.ExcludeRequestBody = true, true
		in.Options = &o
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                c.options(),
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response %d to %s %s does not conform to the EPCIS 2.0 REST binding: %w\n%s", resp.StatusCode, req.Method, req.URL, err, body)
	}
	if isDocument(body) {
		if err := c.CheckDocument(body); err != nil {
			return fmt.Errorf("response %d to %s %s: %w", resp.StatusCode, req.Method, req.URL, err)
		}
	}
	return nil
}

// ecmaRegexp is a regexp2 expression as jsonschema.Regexp.
type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

func (r ecmaRegexp) String() string { return r.re.String() }

// isDocument reports whether body is an EPCISDocument or EPCISQueryDocument.
func isDocument(body []byte) bool {
	var d struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(body, &d) == nil && (d.Type == "EPCISDocument" || d.Type == "EPCISQueryDocument")
}

// CheckDocument validates an EPCIS document (EPCISDocument or
// EPCISQueryDocument) against GS1's EPCIS 2.0 JSON schema.
func (c *Conformance) CheckDocument(doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := c.schema.Validate(v); err != nil {
		return fmt.Errorf("document does not conform to the EPCIS 2.0 JSON schema: %w", err)
	}
	return nil
}

// DoInvalid is Do for a request that deliberately breaks the binding (to
// see the node refuse it): only the response is checked.
func (c *Conformance) DoInvalid(t testing.TB, client *http.Client, req *http.Request, body []byte) (*http.Response, []byte) {
	t.Helper()
	return c.do(t, client, req, body, false)
}

// Do sends req with body through client (nil: http.DefaultClient),
// validates the request and the response against the standard, failing
// the test on any deviation, and returns the response with its body read.
func (c *Conformance) Do(t testing.TB, client *http.Client, req *http.Request, body []byte) (*http.Response, []byte) {
	t.Helper()
	return c.do(t, client, req, body, true)
}

func (c *Conformance) do(t testing.TB, client *http.Client, req *http.Request, body []byte, checkRequest bool) (*http.Response, []byte) {
	t.Helper()
	if checkRequest {
		if err := c.CheckRequest(req, body); err != nil {
			t.Error(err)
		}
	}
	if client == nil {
		client = http.DefaultClient
	}
	send := req.Clone(req.Context())
	if body != nil {
		send.Body = io.NopCloser(bytes.NewReader(body))
		send.ContentLength = int64(len(body))
	}
	resp, err := client.Do(send)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.checkResponse(req, body, resp, got, checkRequest); err != nil {
		t.Error(err)
	}
	return resp, got
}
