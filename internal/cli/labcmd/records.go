package labcmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
)

func newRevokeCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var reason, output string
	cmd := &cobra.Command{
		Use:   "revoke-signer ADDRESS",
		Short: "Revoke a signing address of your lab",
		Long: `Revoke a signer of your lab (Lab:RevokeLabSigner), e.g. when its key is lost or
compromised. From then on the ledger refuses every report it signed, whenever
the report was issued; reports already accepted stay on the ledger. A
revocation cannot be undone: register a new key instead.`,
		Example: `  trustline lab revoke-signer 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23 --profile lab \
    --reason "key leaked with a stolen laptop"`,
		Args: cmdutil.ExactArgs(1, "a signer's address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			addr, err := address(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(reason) == "" {
				return cmdutil.UsageError("--reason is required\n\n%s", cmd.UsageString())
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c labLedger) (*ledger.LabSigner, error) {
					return c.RevokeLabSigner(ctx, addr, reason)
				},
				signerTable)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the signer is revoked (recorded on the ledger)")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func address(s string) (string, error) {
	if !common.IsHexAddress(s) {
		return "", cmdutil.UsageError("%q is not an Ethereum address", s)
	}
	return common.HexToAddress(s).Hex(), nil
}

func signerTable(w io.Writer, s *ledger.LabSigner) error {
	rows := [][2]string{{"Signer", s.Address}, {"Lab", s.Lab}, {"Name", s.Name},
		{"Accreditation", s.Accreditation}, {"Registered", s.RegisteredAt}}
	if s.Revoked {
		rows = append(rows, [2]string{"Revoked", s.RevokedAt + " (" + s.RevokedReason + ")"})
	}
	return cmdutil.Fields(w, rows...)
}

func newSignersCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output, labMSP string
	var active bool
	cmd := &cobra.Command{
		Use:   "signers",
		Short: "List the lab signers on the ledger",
		Long: `List the registered lab signers (Lab:ListLabSigners) of every lab, or of one
(--lab MSP-ID), by address. Revoked signers are listed too unless --active.`,
		Example: `  trustline lab signers --profile brand
  trustline lab signers --lab LabMSP --active -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			c, err := cmdutil.Ledger[labLedger](cmd.Context(), lo)
			if err != nil {
				return err
			}
			defer c.Close()
			ss, err := c.LabSigners(cmd.Context())
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			out := []ledger.LabSigner{}
			for _, s := range ss {
				if (labMSP == "" || s.Lab == labMSP) && (!active || !s.Revoked) {
					out = append(out, s)
				}
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(out, func(w io.Writer) error { return signersTable(w, out) })
		},
	}
	cmd.Flags().StringVar(&labMSP, "lab", "", "only the signers of this lab (MSP id)")
	cmd.Flags().BoolVar(&active, "active", false, "leave out revoked signers")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func signersTable(w io.Writer, ss []ledger.LabSigner) error {
	if len(ss) == 0 {
		_, err := fmt.Fprintln(w, "No lab signers.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tLAB\tNAME\tACCREDITATION\tSTATE")
	for _, s := range ss {
		state := "active since " + s.RegisteredAt
		if s.Revoked {
			state = "revoked " + s.RevokedAt + ": " + s.RevokedReason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Address, s.Lab, s.Name, s.Accreditation, state)
	}
	return tw.Flush()
}

func newInspectionCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "inspection REPORT-ID",
		Short: "Show a submitted inspection report",
		Long: `Show an inspection report as the ledger recorded it (Lab:GetInspection): its
lots, method, analytes, verdict, the address that signed it and the lab that
submitted it. -o json prints the whole record, the signed report and its
signature included.`,
		Example: `  trustline lab inspection R-2025-0042 --profile brand
  trustline lab inspection R-2025-0042 -o json`,
		Args: cmdutil.ExactArgs(1, "a report id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			return cmdutil.RunLedger(cmd.Context(), lo, ios.Out, output,
				func(ctx context.Context, c labLedger) (*ledger.InspectionRecord, error) {
					return c.Inspection(ctx, args[0])
				},
				inspectionTable)
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func inspectionTable(w io.Writer, rec *ledger.InspectionRecord) error {
	r := rec.Report
	if err := cmdutil.Fields(w,
		[2]string{"Report", r.ReportID}, [2]string{"Verdict", r.Verdict}, [2]string{"Lots", strings.Join(r.Lots, ", ")},
		[2]string{"Method", r.Method}, [2]string{"Standard", r.Standard},
		[2]string{"Sampled", r.SampledAt}, [2]string{"Issued", r.IssuedAt},
		[2]string{"Document", strings.TrimSpace(r.Document.URI + " sha256:" + r.Document.SHA256)},
		[2]string{"Signer", rec.Signer}, [2]string{"Lab", rec.Lab}, [2]string{"Submitted", rec.SubmittedAt},
		[2]string{"Event", rec.EventID}, [2]string{"Transaction", rec.TxID},
	); err != nil {
		return err
	}
	if len(r.Analytes) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ANALYTE\tVALUE\tLIMIT\tRESULT")
	for _, a := range r.Analytes {
		res := "pass"
		if !a.Pass {
			res = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s %s\t%s\n", a.Name, a.Value, a.Unit, a.Limit, a.Unit, res)
	}
	return tw.Flush()
}
