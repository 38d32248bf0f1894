// Package testnetcmd implements `trustline testnet`: a local four-organisation
// Fabric consortium and a geth dev chain, run as native processes.
package testnetcmd

import (
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/iostreams"
)

// NewCmd returns the testnet command group.
func NewCmd(ios *iostreams.IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Run a local four-organisation consortium for development and tests",
	}
	return cmd
}
