package testnetcmd_test

import (
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/clitest"
	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/cli/testnetcmd"
)

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
			r := clitest.Run(t, "", tc.args...)
			if r.Code != cmdutil.ExitUsage {
				t.Errorf("exit code %d, want %d (usage); stderr: %s", r.Code, cmdutil.ExitUsage, r.Stderr)
			}
			if !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", r.Stderr, tc.want)
			}
		})
	}
}

func TestEnvBeforeUp(t *testing.T) {
	r := clitest.Run(t, "", "testnet", "env", "lab", "--dir", t.TempDir())
	if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Stderr, "run `trustline testnet up` first") {
		t.Errorf("exit %d, stderr %q; want a usage error saying to run testnet up", r.Code, r.Stderr)
	}
}

func TestStatusOfStoppedNetwork(t *testing.T) {
	r := clitest.Run(t, "", "testnet", "status", "--dir", t.TempDir(), "-o", "json")
	if r.Code != cmdutil.ExitUnavailable {
		t.Errorf("exit %d, want %d (unavailable)", r.Code, cmdutil.ExitUnavailable)
	}
	if !strings.Contains(r.Stdout, `"alive": false`) {
		t.Errorf("status JSON does not list dead processes:\n%s", r.Stdout)
	}
}

// TestCommandsWithoutNetwork: help, and what status and down print for a
// network that never started (nothing is started).
func TestCommandsWithoutNetwork(t *testing.T) {
	dir := t.TempDir()
	cmdtest.RunCases(t, testnetcmd.NewCmd, []cmdtest.Case{
		{Name: "help", Args: []string{"--help"}, Out: "  down        Stop every process of the network\n"},
		{Name: "up help", Args: []string{"up", "--help"}, Out: "trustline testnet up --dir /tmp/net2 --base-port 28000"},
		{Name: "status table", Args: []string{"status", "--dir", dir}, Code: cmdutil.ExitUnavailable,
			Out: "channel trustline: not created\n", Err: "the testnet in " + dir + " is not fully up"},
		{Name: "status lists processes", Args: []string{"status", "--dir", dir}, Code: cmdutil.ExitUnavailable, Out: "PROCESS"},
		{Name: "down", Args: []string{"down", "--dir", dir}, Err: "Stopped the testnet in " + dir},
		{Name: "env bad output", Args: []string{"env", "lab", "--dir", dir, "-o", "csv"}, Code: cmdutil.ExitUsage, Err: `unknown --output "csv"`},
	})
}
