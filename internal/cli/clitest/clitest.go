// Package clitest runs the trustline command tree in-process for tests.
package clitest

import (
	"context"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
)

// Result is what a command run printed and its exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run executes `trustline args...` with stdin as standard input, printing
// the error as the real binary does.
func Run(t testing.TB, stdin string, args ...string) Result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	root := cli.NewRootCmd(ios)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		errOut.WriteString("Error: " + err.Error() + "\n")
	}
	return Result{Stdout: out.String(), Stderr: errOut.String(), Code: cmdutil.ExitCode(err)}
}

// FirstLine is the first line of s.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
