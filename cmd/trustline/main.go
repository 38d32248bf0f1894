// Command trustline is the command-line interface for every consortium role:
// brands, suppliers, labs, logistics, and the operators who run nodes and the
// local test network.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/trustline/trustline/internal/cli"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ios := iostreams.System()
	err := cli.NewRootCmd(ios).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(ios.ErrOut, "Error:", err)
	}
	os.Exit(cmdutil.ExitCode(err))
}
