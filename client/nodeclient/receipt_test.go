package nodeclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestReceipt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("format") != "receipt" {
			http.Error(w, "no format", http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/01/09506000134352/10/PENDING" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"title":"Not anchored yet","status":409,"unanchored":["ni:///x"]}`))
			return
		}
		w.Write([]byte(`{"version":1}`))
	}))
	defer srv.Close()
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		link   string
		want   string
		status int // of the *Problem; 0: none
		fails  bool
	}{
		{"https://id.gs1.org/01/09506000134352/10/L1", `{"version":1}`, 0, false},
		{"https://id.gs1.org/01/09506000134352/10/PENDING", "", 409, true},
		{"https://id.gs1.org/01/09506000134352", "", 0, true},
	}
	for _, tc := range tests {
		raw, err := c.Receipt(ctx, tc.link)
		var p *Problem
		if (err != nil) != tc.fails || string(raw) != tc.want || tc.status != 0 && (!errors.As(err, &p) || p.Status != tc.status) {
			t.Errorf("Receipt(%s) = %s, %v", tc.link, raw, err)
		}
	}
}
