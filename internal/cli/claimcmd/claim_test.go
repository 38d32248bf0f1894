package claimcmd

import (
	"errors"
	"strings"
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
)

// Mistakes in a claim are usage errors, found before any connection.
func TestAddRejectsBadClaimsOffline(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"no file", []string{"add"}, "", "-f is required"},
		{"unknown kind", []string{"add", "-f", "-"}, `{"subject":"09506000134352","kind":"tasty","wording":"x","params":{}}`, `claim kind "tasty"`},
		{"params of another kind", []string{"add", "-f", "-"}, `{"subject":"09506000134352","kind":"cold_chain","wording":"x","params":{"labTested":{"analytes":["Lead"],"maxAgeDays":3}}}`, "needs params.coldChain"},
		{"yaml, zero gap", []string{"add", "-f", "-"}, "subject: \"09506000134352\"\nkind: cold_chain\nwording: x\nparams:\n  coldChain:\n    maxGapMinutes: 0\n", "maxGapMinutes 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, _, _ := iostreams.Test()
			in.WriteString(tt.stdin)
			cmd := NewCmd(cmdutil.NewFactory(ios))
			cmd.SetArgs(tt.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			var ee *cmdutil.ExitError
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &ee) || ee.Code != cmdutil.ExitUsage {
				t.Fatalf("error %v, want usage error containing %q", err, tt.want)
			}
		})
	}
}
