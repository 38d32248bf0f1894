// Package servicecmd implements `trustline service answer|list|show|delete`:
// brand staff answering consumers' questions and complaints (package
// node/service), and keeping or deleting their messages at the brand's
// node.
package servicecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
	"github.com/trustline/trustline/node/service"
)

// NewCmd returns `trustline service`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Answer consumers' questions and complaints, and delete their messages (brands)",
		Long: `Consumers file questions and complaints from the scan page of a brand's own
node; the node keeps each message under its data directory (service/) and the
ledger records only a ticket id and a salted hash. A service_within claim
("complaints answered within 24 h") is judged on the ledger's filing and
answer times.

"service answer" records the brand's answer on the ledger (Service:Answer) and,
with --data-dir, keeps its text at the node for the consumer to read. "list",
"show" and "delete" work on the node's data directory alone: delete removes a
message and its salt for good; the ledger's hash then links to nothing.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.AddCommand(newAnswerCmd(ios, lo), newListCmd(ios), newShowCmd(ios), newDeleteCmd(ios))
	return cmd
}

// serviceLedger is what answer calls of the ledger client.
type serviceLedger interface {
	service.Ledger
	Close() error
}

func checkTicket(arg string) (string, error) {
	id := strings.TrimSpace(arg)
	if err := ledger.CheckTicketID(id); err != nil {
		return "", cmdutil.UsageError("%v", err)
	}
	return id, nil
}

func openStore(dataDir string) (*service.Store, error) {
	if dataDir == "" {
		return nil, cmdutil.UsageError("--data-dir is required: the node's data directory, where it keeps the messages")
	}
	return service.OpenStore(service.Dir(dataDir))
}

func newAnswerCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var outcome, message, dataDir, output string
	cmd := &cobra.Command{
		Use:   "answer TICKET",
		Short: "Record your answer to a ticket on the ledger",
		Long: fmt.Sprintf(`Record the brand's answer to a ticket filed with it (Service:Answer), once; its
time on the ledger is what service_within claims measure. --outcome is one of
%s. --message is the answer's text for the consumer: the ledger
gets its salted hash, and with --data-dir the node keeps the text, where the
consumer's secret link shows it.`, strings.Join(ledger.ServiceOutcomes(), ", ")),
		Example: `  trustline service answer tkt-2zq… --outcome replaced \
    --message "Sorry about that: a new jar is on its way." --data-dir /var/lib/trustline --profile brand`,
		Args: cmdutil.ExactArgs(1, "a ticket id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			id, err := checkTicket(args[0])
			if err != nil {
				return err
			}
			if !slices.Contains(ledger.ServiceOutcomes(), outcome) {
				return cmdutil.UsageError("--outcome %q is not one of %s", outcome, strings.Join(ledger.ServiceOutcomes(), ", "))
			}
			var st *service.Store
			if dataDir != "" {
				if st, err = openStore(dataDir); err != nil {
					return err
				}
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c serviceLedger) (*ledger.ServiceTicket, error) {
					tk, err := service.NewDesk(st, c, nil).Answer(ctx, id, outcome, message)
					var ie *service.InputError
					if errors.As(err, &ie) || errors.Is(err, service.ErrNotFound) {
						return nil, cmdutil.UsageError("%v", err)
					}
					return tk, err
				},
				TicketTable)
		},
	}
	cmd.Flags().StringVar(&outcome, "outcome", "answered", "how the ticket is closed: "+strings.Join(ledger.ServiceOutcomes(), ", "))
	cmd.Flags().StringVar(&message, "message", "", "the answer's text for the consumer")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the node's data directory, to keep the answer's text for the consumer")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

// TicketTable writes a ticket's ledger state as label/value rows.
func TicketTable(w io.Writer, t *ledger.ServiceTicket) error {
	if t == nil {
		return nil
	}
	return cmdutil.Fields(w, [2]string{"Ticket", t.ID}, [2]string{"Lot", t.Lot}, [2]string{"Topic", t.Topic},
		[2]string{"Filed", t.FiledAt}, [2]string{"Outcome", t.Outcome}, [2]string{"Answered", t.AnsweredAt})
}

func newListCmd(ios *iostreams.IO) *cobra.Command {
	var dataDir, output string
	cmd := &cobra.Command{
		Use:     "list --data-dir DIR",
		Short:   "List the tickets whose messages the node keeps",
		Example: `  trustline service list --data-dir /var/lib/trustline`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			st, err := openStore(dataDir)
			if err != nil {
				return err
			}
			ts, err := st.List()
			if err != nil {
				return err
			}
			if ts == nil {
				ts = []service.Ticket{}
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(ts, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TICKET\tFILED\tTOPIC\tLANG\tANSWERED\tSUBJECT")
				for _, t := range ts {
					answered := "-"
					if t.Answer != nil {
						answered = t.Answer.Outcome + " " + t.Answer.At
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.FiledAt, t.Topic, t.Lang, answered, t.Subject)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the node's data directory")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newShowCmd(ios *iostreams.IO) *cobra.Command {
	var dataDir, output string
	cmd := &cobra.Command{
		Use:     "show TICKET --data-dir DIR",
		Short:   "Show a ticket's message and answer",
		Example: `  trustline service show tkt-2zq… --data-dir /var/lib/trustline`,
		Args:    cmdutil.ExactArgs(1, "a ticket id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			id, err := checkTicket(args[0])
			if err != nil {
				return err
			}
			st, err := openStore(dataDir)
			if err != nil {
				return err
			}
			t, err := st.Get(id)
			if errors.Is(err, service.ErrNotFound) {
				return cmdutil.UsageError("the node keeps no message of ticket %s (never filed here, or deleted)", id)
			} else if err != nil {
				return err
			}
			t.Salt, t.TokenSHA256 = "", "" // secrets of the hashes; not for reading
			if t.Answer != nil {
				t.Answer.Salt = ""
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(t, func(w io.Writer) error {
				rows := [][2]string{{"Ticket", t.ID}, {"Subject", t.Subject}, {"Topic", t.Topic}, {"Language", t.Lang}, {"Filed", t.FiledAt}, {"Message", t.Message}}
				if a := t.Answer; a != nil {
					rows = append(rows, [2]string{"Outcome", a.Outcome}, [2]string{"Answered", a.At}, [2]string{"Answer", a.Message})
				}
				return cmdutil.Fields(w, rows...)
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the node's data directory")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newDeleteCmd(ios *iostreams.IO) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "delete TICKET --data-dir DIR",
		Short: "Delete a ticket's message for good",
		Long: `Delete the message, the answer's text and their salts of a ticket from the
node's data directory. The ledger keeps the ticket id, its times and the
hashes, which link to nothing once the salts are gone; the service_within
verdicts do not change.`,
		Example: `  trustline service delete tkt-2zq… --data-dir /var/lib/trustline`,
		Args:    cmdutil.ExactArgs(1, "a ticket id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := checkTicket(args[0])
			if err != nil {
				return err
			}
			st, err := openStore(dataDir)
			if err != nil {
				return err
			}
			if err := st.Delete(id); errors.Is(err, service.ErrNotFound) {
				return cmdutil.UsageError("the node keeps no message of ticket %s (never filed here, or deleted)", id)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(ios.Out, "deleted the message of ticket %s\n", id)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the node's data directory")
	return cmd
}
