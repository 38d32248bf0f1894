package index

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Pebble's messages reach the index's slog logger at their level; a fatal
// one is logged before Pebble's panic.
func TestPebbleLogger(t *testing.T) {
	var buf bytes.Buffer
	l := pebbleLogger{slog.New(slog.NewTextHandler(&buf, nil))}
	l.Infof("WAL %d recovered", 3)
	l.Errorf("background error: %s", "disk full")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Fatalf returned")
			}
		}()
		l.Fatalf("corruption in %s", "000001.sst")
	}()
	for _, want := range []string{
		`level=INFO msg="WAL 3 recovered"`,
		`level=ERROR msg="background error: disk full"`,
		`level=ERROR msg="corruption in 000001.sst" fatal=true`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, buf.String())
		}
	}
}
