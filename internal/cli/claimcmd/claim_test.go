package claimcmd

import (
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdtest"
	"github.com/trustline/trustline/internal/cli/cmdutil"
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
	var cases []cmdtest.Case
	for _, tt := range tests {
		// No ledger: the command must not get as far as asking for one.
		cases = append(cases, cmdtest.Case{Name: tt.name, Args: tt.args, Stdin: tt.stdin, Code: cmdutil.ExitUsage, Err: tt.want})
	}
	cmdtest.RunCases(t, NewCmd, cases)
}
