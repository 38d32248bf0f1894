package consortium

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// labelRE is what Fabric accepts as a chaincode package label.
var labelRE = regexp.MustCompile(`^[[:alnum:]][[:alnum:]_.+-]*$`)

// CCaaSPackage is a chaincode-as-a-service package: metadata.json (type
// ccaas, label) and code.tar.gz holding connection.json, which tells the
// peer's external builder to dial the chaincode server at address. The
// bytes are deterministic (fixed order and times), so the same label and
// address always give the same package id: a member can compute the id
// its chaincode server must be started with before installing anything.
func CCaaSPackage(label, address string) (pkg []byte, packageID string, err error) {
	if !labelRE.MatchString(label) {
		return nil, "", fmt.Errorf("%w: chaincode package label %q: use letters, digits, '_', '.', '+' and '-'", ErrInvalid, label)
	}
	conn, _ := json.Marshal(map[string]any{
		"address":      address,
		"dial_timeout": "10s",
		"tls_required": false,
	})
	code, err := targz([]tarFile{{"connection.json", conn}})
	if err != nil {
		return nil, "", err
	}
	meta, _ := json.Marshal(map[string]string{"type": "ccaas", "label": label})
	// metadata.json first, as Fabric's packager writes it.
	pkg, err = targz([]tarFile{{"metadata.json", meta}, {"code.tar.gz", code}})
	if err != nil {
		return nil, "", err
	}
	return pkg, PackageID(label, pkg), nil
}

// PackageID is Fabric's id of a chaincode package: label:sha256(package).
func PackageID(label string, pkg []byte) string {
	sum := sha256.Sum256(pkg)
	return label + ":" + hex.EncodeToString(sum[:])
}

type tarFile struct {
	name string
	data []byte
}

func targz(files []tarFile) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.ModTime = time.Unix(0, 0)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
