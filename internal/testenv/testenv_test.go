package testenv

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a test would end.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Skip(args ...any)               { r.skipped = args[0].(string) }
func (r *recorder) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestMissing(t *testing.T) {
	tests := []struct {
		env        string
		skip, fail bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
	}
	for _, tc := range tests {
		t.Run("TRUSTLINE_REQUIRE_TOOLS="+tc.env, func(t *testing.T) {
			t.Setenv(RequireTools, tc.env)
			r := &recorder{}
			Missing(r, "/usr/bin/chromium", "Debian package chromium", errors.New("no such file"))
			if (r.skipped != "") != tc.skip || (r.failed != "") != tc.fail {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", r.skipped, r.failed, tc.skip, tc.fail)
			}
			for _, msg := range []string{r.skipped + r.failed} {
				if !strings.Contains(msg, "/usr/bin/chromium") || !strings.Contains(msg, "no such file") {
					t.Errorf("message %q does not name the tool and the cause", msg)
				}
			}
			if tc.fail && !strings.Contains(r.failed, RequireTools) {
				t.Errorf("failure %q does not say which variable made it one", r.failed)
			}
		})
	}
}

func TestRequirePresent(t *testing.T) {
	t.Setenv(RequireTools, "1")
	r := &recorder{}
	Require(r, "sh", "POSIX", true, nil)
	NeedCommand(r, "sh", "POSIX shell")
	if r.skipped != "" || r.failed != "" {
		t.Fatalf("a present tool ended the test: %q %q", r.skipped, r.failed)
	}
	NeedFile(r, "/nonexistent/trustline", "make trustline")
	if !strings.Contains(r.failed, "/nonexistent/trustline") {
		t.Fatalf("missing file: failure %q", r.failed)
	}
}
