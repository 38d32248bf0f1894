package testnetcmd_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
)

// run executes the trustline command tree in-process.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	root := cli.NewRootCmd(ios)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), cmdutil.ExitCode(err)
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"env without org", []string{"testnet", "env", "--dir", dir}, "testnet env takes one organisation"},
		{"env unknown org", []string{"testnet", "env", "farm", "--dir", dir}, `unknown organisation "farm"`},
		{"bad output", []string{"testnet", "status", "--dir", dir, "-o", "yaml"}, `unknown --output "yaml"`},
		{"unknown flag", []string{"testnet", "up", "--dir", dir, "--bogus"}, "unknown flag: --bogus"},
		{"base port out of range", []string{"testnet", "up", "--dir", dir, "--base-port", "80"}, "base port 80 out of range"},
		{"extra argument", []string{"testnet", "down", "--dir", dir, "now"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.args...)
			if code != cmdutil.ExitUsage {
				t.Errorf("exit code %d, want %d (usage); stderr: %s", code, cmdutil.ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", stderr, tc.want)
			}
		})
	}
}

func TestEnvBeforeUp(t *testing.T) {
	_, stderr, code := run(t, "testnet", "env", "lab", "--dir", t.TempDir())
	if code != cmdutil.ExitUsage || !strings.Contains(stderr, "run `trustline testnet up` first") {
		t.Errorf("exit %d, stderr %q; want a usage error saying to run testnet up", code, stderr)
	}
}

func TestStatusOfStoppedNetwork(t *testing.T) {
	out, _, code := run(t, "testnet", "status", "--dir", t.TempDir(), "-o", "json")
	if code != cmdutil.ExitUnavailable {
		t.Errorf("exit %d, want %d (unavailable)", code, cmdutil.ExitUnavailable)
	}
	if !strings.Contains(out, `"alive": false`) {
		t.Errorf("status JSON does not list dead processes:\n%s", out)
	}
}
