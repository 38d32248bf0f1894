package node_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/receipt"
	"github.com/trustline/trustline/receipt/receipttest"
)

// trustlineBinary is the real trustline binary: $TRUSTLINE_BIN's, which
// make builds before the integration tests (make test-integration), else
// one compiled now.
func trustlineBinary(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("TRUSTLINE_BIN"); d != "" {
		if p := filepath.Join(d, "trustline"); fileExists(p) {
			return p
		}
	}
	return buildTrustline(t)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// verifyRun is one run of the real `trustline verify`: its exit code and
// the line of its output naming the problem.
type verifyRun struct {
	code int
	line string
	out  string
}

func runVerify(ctx context.Context, bin, file string, args ...string) (verifyRun, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append([]string{"verify", file}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	r := verifyRun{out: out.String() + errOut.String()}
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		return r, err
	}
	return r, nil
}

// matchLine is the first line of out that is a failure of part naming want
// ("    part: …want…", as verify prints a receipt.PartError).
func matchLine(out string, part receipt.Part, want string) string {
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, string(part)+": ") && strings.Contains(l, want) {
			return l
		}
	}
	return ""
}

// lineWith is the first line of out holding s, trimmed.
func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

var longID = regexp.MustCompile(`((?:ni:///sha-256;)?[0-9a-f]{8})[0-9a-f]{56}(\?[a-zA-Z0-9=:.&]*)?`)

// compact shortens the ids and hashes in a message for the table's log.
func compact(s string) string { return longID.ReplaceAllString(s, "$1…") }

// tamperTable runs receipttest's tampering classes on base (lot B's real
// receipt file, the newest), with other (lot A's) and older (lot B's from
// before its last event was anchored) as sources, plus lot A's receipt with
// its subject changed to lot B, through the real `trustline verify` binary
// offline and with --eth-rpc against the testnet's geth: each tampered
// receipt exits 3 with its part's failure naming the problem; the
// untampered one exits 0 both ways. It logs the table.
func tamperTable(ctx context.Context, t *testing.T, bin, rpcURL string, base, other, older []byte) {
	t.Helper()
	parse := func(b []byte) *receipt.Receipt {
		r, err := receipt.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	br, or := parse(base), parse(other)
	cases, err := receipttest.Cases(br, receipttest.Sources{Other: or, Older: parse(older)})
	if err != nil {
		t.Fatal(err)
	}
	type run struct {
		receipttest.Case
		doc []byte // the receipt tampered with
	}
	var runs []run
	for _, c := range cases {
		runs = append(runs, run{c, base})
	}
	// The issue's own example: lot A's clean receipt presented as lot B's.
	lotB := br.Subject.DigitalLink
	runs = append(runs, run{receipttest.Case{Name: "lot A's receipt, subject changed to lot B", Tamper: func(r *receipt.Receipt) error {
		r.Subject = receipt.Subject{DigitalLink: lotB, Lots: []string{lotB}}
		return nil
	}, Part: receipt.PartSubject, Want: "names neither the subject lot " + lotB}, other})

	dir := t.TempDir()
	var table strings.Builder
	fmt.Fprintf(&table, "%-46s | %-8s | %-8s | phrase\n", "class", "offline", "online")
	t0 := time.Now()
	for i, c := range runs {
		_, doc, err := c.Apply(c.doc)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, fmt.Sprintf("case-%02d.json", i))
		got := verifyBoth(ctx, t, bin, rpcURL, file, doc, c.Name, func(m int, args []string, res verifyRun) verifyRun {
			if c.Tamper == nil {
				res.line = lineWith(res.out, "complete as of ledger block")
				switch {
				case res.code != 0 || res.line == "":
					t.Errorf("%s %v: exit %d, want 0, complete:\n%s", c.Name, args, res.code, res.out)
				case m == 1 && !strings.Contains(res.out, "✓ current: no window anchored after it"):
					t.Errorf("%s %v: not current:\n%s", c.Name, args, res.out)
				}
			} else {
				res.line = matchLine(res.out, c.Part, c.Want)
				if res.code != 3 || res.line == "" {
					t.Errorf("%s %v: exit %d, want 3 with a %s failure naming %q:\n%s", c.Name, args, res.code, c.Part, c.Want, res.out)
				}
			}
			return res
		})
		phrase := string(c.Part) + ": " + c.Want
		if c.Tamper == nil {
			phrase = got[1].line // with the anchor's time, online
		}
		fmt.Fprintf(&table, "%-46s | exit %d%s | exit %d%s | %s\n", c.Name,
			got[0].code, mark(got[0].line != ""), got[1].code, mark(got[1].line != ""), compact(phrase))
	}
	t.Logf("tampering classes on lot B's real receipt, real `trustline verify` offline and --eth-rpc (geth), %d runs in %s:\n%s",
		2*len(runs), time.Since(t0).Round(time.Millisecond), table.String())
}

// verifyBoth writes doc to file and runs the real `trustline verify` on it
// offline and with --eth-rpc against rpcURL; check asserts each run (m is 0
// offline, 1 online) and returns it with its matched line set.
func verifyBoth(ctx context.Context, t *testing.T, bin, rpcURL, file string, doc []byte, name string, check func(m int, args []string, res verifyRun) verifyRun) [2]verifyRun {
	t.Helper()
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	var got [2]verifyRun
	for m, args := range [][]string{nil, {"--eth-rpc", rpcURL}} {
		res, err := runVerify(ctx, bin, file, args...)
		if err != nil {
			t.Fatalf("%s: running verify: %v", name, err)
		}
		got[m] = check(m, args, res)
	}
	return got
}

func mark(found bool) string {
	if found {
		return " ✓"
	}
	return " ✗"
}
