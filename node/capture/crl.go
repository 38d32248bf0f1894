package capture

// Revocation on the capture listener. An organisation revokes an
// identity with `trustline org revoke`, which writes its CAs' CRLs into
// its MSP's crls directory (package orgca: the TLS CA's CRL names the
// TLS certificates its systems present here). The listener reads every
// CRL of that directory (Config.CRLs), and refuses a client whose
// verified certificate a CRL of its issuer, signed by that issuer,
// lists: 401 problem+json naming the revocation. The directory is
// checked for changes at most once a second (names, sizes and modification
// times), so a revocation takes effect without a restart; a CRL that does
// not parse while it is being written keeps the previous set until it
// does.

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// CRLs are the certificate revocation lists of a directory (or one
// file), re-read when they change.
type CRLs struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	checked time.Time
	stamp   string
	lists   []*x509.RevocationList
}

// crlRecheck is how often the CRLs' files are looked at.
const crlRecheck = time.Second

// OpenCRLs reads the CRLs of path: a directory (the organisation's
// msp/crls: every file in it with X509 CRL PEM blocks) or one PEM file.
// A path that does not exist yet holds none (an organisation that has
// revoked nothing has no CRL); one that does not parse is an error.
func OpenCRLs(path string, log *slog.Logger) (*CRLs, error) {
	if log == nil {
		log = slog.Default()
	}
	c := &CRLs{path: path, log: log}
	stamp, files, err := c.look()
	if err != nil {
		return nil, err
	}
	lists, err := readCRLs(files)
	if err != nil {
		return nil, err
	}
	c.stamp, c.lists, c.checked = stamp, lists, time.Now()
	return c, nil
}

// look lists the CRL files and a stamp that changes when they do.
func (c *CRLs) look() (string, []string, error) {
	fi, err := os.Stat(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("CRLs: %w", err)
	}
	files := []string{c.path}
	if fi.IsDir() {
		ents, err := os.ReadDir(c.path)
		if err != nil {
			return "", nil, fmt.Errorf("CRLs: %w", err)
		}
		files = files[:0]
		for _, e := range ents {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(c.path, e.Name()))
			}
		}
		sort.Strings(files)
	}
	var stamp strings.Builder
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return "", nil, fmt.Errorf("CRLs: %w", err)
		}
		fmt.Fprintf(&stamp, "%s %d %d\n", f, fi.Size(), fi.ModTime().UnixNano())
	}
	return stamp.String(), files, nil
}

func readCRLs(files []string) ([]*x509.RevocationList, error) {
	var out []*x509.RevocationList
	for _, f := range files {
		rest, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("CRLs: %w", err)
		}
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type != "X509 CRL" {
				continue
			}
			l, err := x509.ParseRevocationList(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("CRL %s: %w", filepath.Base(f), err)
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// refresh re-reads the CRLs if their files changed since the last look
// (at most once per crlRecheck).
func (c *CRLs) refresh() []*x509.RevocationList {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) < crlRecheck {
		return c.lists
	}
	c.checked = time.Now()
	stamp, files, err := c.look()
	if err == nil && stamp != c.stamp {
		var lists []*x509.RevocationList
		if lists, err = readCRLs(files); err == nil {
			c.stamp, c.lists = stamp, lists
			c.log.Info("capture CRLs read", "lists", len(lists))
		}
	}
	if err != nil {
		c.log.Warn("capture CRLs: keeping the previous ones", "err", err)
	}
	return c.lists
}

// Revoked reports whether a CRL issued, and signed, by issuer lists cert.
func (c *CRLs) Revoked(cert, issuer *x509.Certificate) bool {
	for _, l := range c.refresh() {
		if !bytes.Equal(l.RawIssuer, cert.RawIssuer) || l.CheckSignatureFrom(issuer) != nil {
			continue
		}
		for _, e := range l.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return true
			}
		}
	}
	return false
}
