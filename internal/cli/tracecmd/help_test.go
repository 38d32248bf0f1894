package tracecmd

import (
	"testing"

	"github.com/trustline/trustline/internal/cli/cmdtest"
)

// TestHelp: trace's help names what --receipt takes (issue 13 saw it name
// "trustline verify" instead).
func TestHelp(t *testing.T) {
	cmdtest.RunCases(t, NewCmd, []cmdtest.Case{
		{Name: "receipt placeholder", Args: []string{"--help"}, Out: "--receipt FILE "},
		{Name: "examples", Args: []string{"--help"}, Out: "--receipt l1.json"},
	})
}
