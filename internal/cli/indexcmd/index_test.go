package indexcmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
)

func TestUsageErrors(t *testing.T) {
	var cases []cmdtest.Case
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
		cases = append(cases, cmdtest.Case{Name: strings.Join(tc.args, " "), Args: tc.args, Code: cmdutil.ExitUsage, Err: tc.want})
	}
	cmdtest.RunCases(t, NewCmd, cases)
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
