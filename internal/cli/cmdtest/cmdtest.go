// Package cmdtest runs one command package's commands in tests with a
// cmdutil.Factory of fakes: a ledger client the test gives (or an error in
// its place) and buffered streams.
package cmdtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
)

// Result is what a command printed and its exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Ledger is what the fake factory's ledger gives: Client, or Err when set
// (a *client.UnavailableError for an unreachable gateway, say); the zero
// Ledger fails the command that asks for one.
type Ledger struct {
	Client cmdutil.LedgerClient
	Err    error
}

// Factory returns a factory whose ledger is l, writing to buffers, and the
// streams.
func Factory(l Ledger) (*cmdutil.Factory, *iostreams.IO) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios)
	f.Ledger = func(context.Context, cmdutil.LedgerOptions) (cmdutil.LedgerClient, error) {
		if l.Err != nil {
			return nil, l.Err
		}
		if l.Client == nil {
			return nil, errors.New("cmdtest: the case gives no ledger, yet the command asked for one")
		}
		return l.Client, nil
	}
	return f, ios
}

// Run builds a command with newCmd from a factory whose ledger is l, runs
// it with args and stdin, and reports its output and exit code as the
// binary would (flag errors are usage errors).
func Run(t testing.TB, newCmd func(*cmdutil.Factory) *cobra.Command, l Ledger, stdin string, args ...string) Result {
	t.Helper()
	for _, k := range []string{"TRUSTLINE_CONFIG", "TRUSTLINE_NODE", "TRUSTLINE_PROFILE", "TRUSTLINE_GATEWAY"} {
		t.Setenv(k, "")
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	f, ios := Factory(l)
	cmd := newCmd(f)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.UsageError("%v\n\n%s", err, c.UsageString())
	})
	return Exec(cmd, ios, stdin, args...)
}

// Exec runs cmd, built on ios (iostreams.Test's), with args and stdin,
// and reports what it printed and its exit code, the error printed as the
// binary prints it ("Error: " and the message on standard error). Every
// test that runs a command, one package's or the whole tree, runs it here.
func Exec(cmd *cobra.Command, ios *iostreams.IO, stdin string, args ...string) Result {
	ios.In.(*bytes.Buffer).WriteString(stdin)
	out, errOut := ios.Out.(*bytes.Buffer), ios.ErrOut.(*bytes.Buffer)
	cmd.SetArgs(args)
	cmd.SetIn(ios.In)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		errOut.WriteString("Error: " + err.Error() + "\n")
	}
	return Result{Stdout: out.String(), Stderr: errOut.String(), Code: cmdutil.ExitCode(err)}
}

// ErrorLine is the error a run printed, without the usage that may follow
// it after a blank line; oneLine is false when the error itself takes more
// than one line.
func (r Result) ErrorLine() (line string, oneLine bool) {
	msg, _, _ := strings.Cut(r.Stderr, "\n\n")
	msg = strings.TrimSuffix(msg, "\n")
	return msg, !strings.Contains(msg, "\n")
}

// Case is one run of a command in a table-driven test: its arguments and
// standard input, the ledger it meets, and what it must show.
type Case struct {
	Name   string
	Args   []string
	Stdin  string
	Ledger Ledger
	// Code is the exit code wanted; Out and Err are texts stdout and
	// stderr must contain ("" checks nothing).
	Code     int
	Out, Err string
	// JSON, when set, must be what stdout decodes to under the same
	// decoding (compared as re-encoded JSON).
	JSON string
}

// RunCases runs each case as a subtest.
func RunCases(t *testing.T, newCmd func(*cmdutil.Factory) *cobra.Command, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			r := Run(t, newCmd, tc.Ledger, tc.Stdin, tc.Args...)
			if r.Code != tc.Code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.Code, tc.Code, r.Stdout, r.Stderr)
			}
			if !strings.Contains(r.Stdout, tc.Out) {
				t.Errorf("stdout lacks %q:\n%s", tc.Out, r.Stdout)
			}
			if !strings.Contains(r.Stderr, tc.Err) {
				t.Errorf("stderr lacks %q:\n%s", tc.Err, r.Stderr)
			}
			if tc.Code != cmdutil.ExitOK && tc.Code != cmdutil.ExitUsage && strings.Count(r.Stderr, "\n") != 1 {
				t.Errorf("a ledger error in more than one line:\n%s", r.Stderr)
			}
			if tc.JSON != "" {
				var got, want any
				if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
					t.Fatalf("stdout is no JSON: %v\n%s", err, r.Stdout)
				}
				if err := json.Unmarshal([]byte(tc.JSON), &want); err != nil {
					t.Fatal(err)
				}
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				if string(g) != string(w) {
					t.Errorf("JSON output\n%s\nwant\n%s", g, w)
				}
			}
		})
	}
}

// Rejected is the error of a ledger that refuses fn for reason (exit 3).
func Rejected(fn, reason string) error { return Refused(nil, fn, reason) }

// Refused is the error of a ledger that refuses fn for reason with a class
// (client.ErrNotFound, client.ErrForbidden, …), as the client reads it from
// the chaincode's code; errors.Is(err, class) holds.
func Refused(class error, fn, reason string) error {
	return &client.RejectedError{Function: fn, Reason: reason, Class: class, Err: errors.New(reason)}
}

// Unavailable is the error of a gateway nobody answers at (exit 4).
func Unavailable() error {
	return &client.UnavailableError{Address: "127.0.0.1:1", Err: errors.New("connection refused")}
}
