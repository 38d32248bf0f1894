package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/node/service"
)

// deskLedger accepts every filing and answer.
type deskLedger struct{ filed []ledger.ServiceRequest }

func (l *deskLedger) FileTicket(_ context.Context, r ledger.ServiceRequest, _ ...client.CallOption) (*ledger.ServiceTicket, error) {
	l.filed = append(l.filed, r)
	return &ledger.ServiceTicket{ID: r.Ticket, FiledAt: "2025-06-08T09:00:00.000000000Z"}, nil
}

func (l *deskLedger) AnswerTicket(_ context.Context, a ledger.ServiceAnswer, _ ...client.CallOption) (*ledger.ServiceTicket, error) {
	return &ledger.ServiceTicket{ID: a.Ticket, Outcome: a.Outcome, AnsweredAt: "2025-06-08T10:00:00.000000000Z"}, nil
}

func deskServer(t *testing.T, msp string) (*Server, *service.Desk, *deskLedger) {
	t.Helper()
	idx := indextest.Empty(t)
	indextest.Apply(t, idx, indextest.SupplySteps(t)[:8]...)
	st, err := service.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	led := &deskLedger{}
	d := service.NewDesk(st, led, nil)
	s := New(idx, &Options{BaseURL: "https://node.example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Service: &ServiceOptions{Desk: d, MSP: msp, PerSecond: 100, Burst: 100}})
	return s, d, led
}

func post(s *Server, ctype, accept, body, from string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/service/tickets", strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.RemoteAddr = from
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func TestServiceDesk(t *testing.T) {
	s, d, led := deskServer(t, "BrandMSP")
	page := func(path string) string {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept", "text/html")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	if p := page(juiceLot + "?lang=de"); !strings.Contains(p, `<form class="service" method="post" action="/service/tickets">`) ||
		!strings.Contains(p, `<label for="svc-msg">Ihre Nachricht</label>`) || !strings.Contains(p, `value="https://id.gs1.org/01/`+gtinB+`/10/J1"`) {
		t.Fatalf("page has no form:\n%s", p)
	}

	// The page's form: a ticket page in the form's language, with the secret link.
	form := url.Values{"subject": {"https://id.gs1.org/01/" + gtinB + "/10/J1"}, "topic": {"complaint"}, "message": {"瓶盖是开着的。"}, "lang": {"zh-CN"}}
	rec := post(s, "application/x-www-form-urlencoded", "text/html,*/*", form.Encode(), "192.0.2.1:4000")
	body := rec.Body.String()
	if rec.Code != 201 || !strings.Contains(body, "谢谢！您的留言已送达品牌方。") || !strings.Contains(body, "https://node.example/service/tickets/tkt-") {
		t.Fatalf("form post: %d\n%s", rec.Code, body)
	}
	if len(led.filed) != 1 || strings.Contains(led.filed[0].MessageSHA256, "瓶盖") || led.filed[0].Topic != "complaint" {
		t.Fatalf("filed %+v", led.filed)
	}

	// JSON, then the consumer reads the answer with the link.
	rec = post(s, "application/json", "", `{"subject":"https://id.gs1.org/01/`+gtinB+`/10/J1","topic":"question","message":"Is the jar recyclable?"}`, "192.0.2.2:4000")
	var filed TicketFiled
	if err := json.Unmarshal(rec.Body.Bytes(), &filed); rec.Code != 201 || err != nil || rec.Header().Get("Location") != filed.Link {
		t.Fatalf("json post: %d %s", rec.Code, rec.Body)
	}
	if _, err := d.Answer(context.Background(), filed.Ticket, "answered", "Yes: glass and lid both."); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(filed.Link)
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", u.RequestURI(), nil))
	var st TicketStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &st); rec.Code != 200 || err != nil || st.Answer != "Yes: glass and lid both." || st.Outcome != "answered" {
		t.Fatalf("read: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/service/tickets/"+filed.Ticket+"?token=guess", nil))
	if rec.Code != 404 {
		t.Fatalf("wrong token: %d", rec.Code)
	}

	for _, tc := range []struct {
		name, ctype, body, from string
		code                    int
		want                    string
	}{
		{"bad topic", "application/json", `{"subject":"https://id.gs1.org/01/` + gtinB + `/10/J1","topic":"praise","message":"hi"}`, "192.0.2.10:1", 400, "topic: must be one of"},
		{"empty message", "application/x-www-form-urlencoded", "subject=https%3A%2F%2Fid.gs1.org%2F01%2F" + gtinB + "%2F10%2FJ1&topic=question&message=+", "192.0.2.11:1", 400, "message: is empty"},
		{"unknown field", "application/json", `{"subject":"x","name":"Alice"}`, "192.0.2.12:1", 400, `unknown field \"name\"`},
		{"unknown lot", "application/json", `{"subject":"https://id.gs1.org/01/` + gtinB + `/10/NOPE","topic":"question","message":"hi"}`, "192.0.2.13:1", 404, "not found"},
		{"plain text", "text/plain", "hello", "192.0.2.14:1", 415, "or application/json, not"},
		{"too large", "application/json", `{"message":"` + strings.Repeat("x", MaxServiceBody) + `"}`, "192.0.2.15:1", 413, "at most 16384 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(s, tc.ctype, "", tc.body, tc.from)
			if rec.Code != tc.code || rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		})
	}
	// A few a minute from one address.
	codes := []int{}
	for range 4 {
		codes = append(codes, post(s, "application/json", "", `{"subject":"https://id.gs1.org/01/`+gtinB+`/10/J1","topic":"question","message":"again"}`, "198.51.100.7:1").Code)
	}
	if codes[2] != 201 || codes[3] != http.StatusTooManyRequests {
		t.Fatalf("codes from one address: %v", codes)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/service/tickets", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "POST" {
		t.Fatalf("GET /service/tickets: %d %v", rec.Code, rec.Header())
	}
}

// Another member's node shows no form and takes no tickets about the brand's products.
func TestServiceDeskOtherMember(t *testing.T) {
	s, _, led := deskServer(t, "SupplierMSP")
	req := httptest.NewRequest("GET", juiceLot, nil)
	req.Header.Set("Accept", "text/html")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if strings.Contains(rec.Body.String(), "<form") {
		t.Fatal("the page of another member's product has a form")
	}
	rec = post(s, "application/json", "", `{"subject":"https://id.gs1.org/01/`+gtinB+`/10/J1","topic":"question","message":"hi"}`, "192.0.2.1:1")
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "products of SupplierMSP only") || len(led.filed) != 0 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
