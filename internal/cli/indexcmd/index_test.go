package indexcmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
)

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rebuild"}, "give --config FILE or --testnet-org ORG"},
		{[]string{"verify"}, "give --config FILE or --testnet-org ORG"},
		{[]string{"rebuild", "--config", "x.yaml", "--testnet-org", "supplier"}, "exclude each other"},
		{[]string{"verify", "--testnet-org", "supplier", "-o", "yaml"}, "unknown --output"},
		{[]string{"rebuild", "--config", "does-not-exist.yaml"}, "does-not-exist.yaml"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			cmd := NewCmd(ios)
			cmd.SetArgs(tc.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v (exit %d), want a usage error with %q", err, cmdutil.ExitCode(err), tc.want)
			}
		})
	}
}

func TestSwap(t *testing.T) {
	for _, tc := range []struct {
		name     string
		liveHere bool
	}{{"replaces the live index", true}, {"first index", false}} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			live, fresh := filepath.Join(d, "index"), filepath.Join(d, "index.rebuild")
			if tc.liveHere {
				os.MkdirAll(live, 0o755)
				os.WriteFile(filepath.Join(live, "old"), nil, 0o644)
			}
			os.MkdirAll(fresh, 0o755)
			os.WriteFile(filepath.Join(fresh, "new"), nil, 0o644)
			if err := swap(live, fresh); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(live, "new")); err != nil {
				t.Error(err)
			}
			for _, gone := range []string{filepath.Join(live, "old"), fresh, live + ".old"} {
				if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s still there: %v", gone, err)
				}
			}
		})
	}
}
