package tracecmd

import (
	"context"
	"os"

	"github.com/trustline/trustline/gs1/digitallink"
	"github.com/trustline/trustline/internal/cli/cmdutil"
)

// writeReceipt saves the node's trace receipt of l to file, for
// `trustline verify`. Receipts come from a node's anchoring store, so
// --node is required.
func writeReceipt(ctx context.Context, lo *cmdutil.LedgerOptions, l digitallink.Link, file string) error {
	if lo.NodeURL() == "" {
		return cmdutil.UsageError("--receipt needs --node (or TRUSTLINE_NODE): receipts come from a member node")
	}
	nc, err := lo.NodeClient()
	if err != nil {
		return err
	}
	raw, err := nc.Receipt(ctx, l.String())
	if err != nil {
		return cmdutil.LedgerError(err)
	}
	return os.WriteFile(file, append(raw, '\n'), 0o644)
}
