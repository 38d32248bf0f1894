package cmdutil

import "github.com/spf13/cobra"

// ExactArgs is cobra.ExactArgs reporting a usage error that names what the
// arguments are and shows the usage.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return UsageError("%s takes %s, got %d arguments\n\n%s", cmd.CommandPath(), what, len(args), cmd.UsageString())
		}
		return nil
	}
}
