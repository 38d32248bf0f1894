package consortium

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/trustline/trustline/orgca"
)

// JoinOrderer joins the orderer whose channel participation API listens on
// adminAddr (host:port) to the channel of the genesis block, as org's admin
// (mutual TLS with the admin's TLS key pair; the orderer's certificate is
// checked against org's TLS root for adminAddr's host). A channel the
// orderer already has is not an error.
func JoinOrderer(ctx context.Context, org *orgca.Org, adminAddr string, block []byte) error {
	admin := org.Identity(orgca.Admin)
	cert, err := tls.LoadX509KeyPair(admin.TLSCertFile(), admin.TLSKeyFile())
	if err != nil {
		return fmt.Errorf("admin TLS key pair: %w", err)
	}
	caPEM, err := os.ReadFile(org.TLSCAFile())
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	host, _, err := net.SplitHostPort(adminAddr)
	if err != nil {
		return fmt.Errorf("orderer admin address %q: %w", adminAddr, err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("config-block", "genesis.block")
	if err != nil {
		return err
	}
	if _, err := part.Write(block); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+adminAddr+"/participation/v1/channels", &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("joining the orderer at %s: %w", adminAddr, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusCreated || strings.Contains(string(msg), "already exists") {
		return nil
	}
	return fmt.Errorf("joining the orderer at %s: %s: %s", adminAddr, resp.Status, strings.TrimSpace(string(msg)))
}
