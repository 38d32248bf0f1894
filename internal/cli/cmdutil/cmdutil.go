// Package cmdutil holds what every trustline command shares: the output
// format flag, exit codes and JSON printing.
package cmdutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes distinguish what went wrong, so scripts can react.
const (
	ExitOK          = 0
	ExitFailure     = 1 // anything not covered below
	ExitUsage       = 2 // bad flags, arguments or input files
	ExitRejected    = 3 // the ledger (chaincode or endorsement policy) refused the request
	ExitUnavailable = 4 // a peer, node or process could not be reached or started
)

// ExitError carries an exit code with an error.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks err as the user's mistake in calling the command.
func UsageError(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// Unavailable marks err as a failure to reach or start something.
func Unavailable(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: ExitUnavailable, Err: err}
}

// Rejected marks err as a refusal by the ledger.
func Rejected(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: ExitRejected, Err: err}
}

// ExitCode returns the exit code that err calls for.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}

// Output formats accepted by --output.
const (
	OutputTable = "table"
	OutputJSON  = "json"
)

// AddOutputFlag registers --output/-o on cmd, bound to *format.
func AddOutputFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVarP(format, "output", "o", OutputTable, "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{OutputTable, OutputJSON}, cobra.ShellCompDirectiveNoFileComp
	})
}

// CheckOutput validates an --output value.
func CheckOutput(format string) error {
	switch format {
	case OutputTable, OutputJSON:
		return nil
	}
	return UsageError("unknown --output %q: use table or json", format)
}

// PrintJSON writes v as indented JSON followed by a newline.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// NoArgs is cobra.NoArgs reporting a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageError("unknown command %q for %q\n\n%s", args[0], cmd.CommandPath(), cmd.UsageString())
	}
	return nil
}
