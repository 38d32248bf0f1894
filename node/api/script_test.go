package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/trustline/trustline/node/api/apitest"
	"github.com/trustline/trustline/node/web"
)

// TestScript: the page names its script with a version, under which the
// node serves it as immutable JavaScript; the script's ETag revalidates it
// as 304.
func TestScript(t *testing.T) {
	n := apitest.Start(t, &apitest.Options{Anchoring: apitest.Anchored})
	req, _ := http.NewRequest(http.MethodGet, n.URL+"/01/"+apitest.GTINJuice+"/10/J1", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, after, ok := strings.Cut(string(page), `<script src="`)
	src, _, _ := strings.Cut(after, `"`)
	if !ok || !strings.HasPrefix(src, web.ScriptPath+"?v=") {
		t.Fatalf("page names its script %q", src)
	}
	resp, err = http.Get(n.URL + src)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(string(js), "var TL") {
		t.Fatalf("%s: %d %v, %d bytes", src, resp.StatusCode, resp.Header, len(js))
	}
	req, _ = http.NewRequest(http.MethodGet, n.URL+src, nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidated: %d, want 304", resp.StatusCode)
	}
}
