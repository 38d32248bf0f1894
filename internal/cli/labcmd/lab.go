// Package labcmd implements `trustline lab`: a laboratory's signing key,
// signer registration and revocation, and signed inspection reports.
package labcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/client/lab"
	"github.com/trustline/trustline/inspection"
	"github.com/trustline/trustline/internal/cli/cmdutil"
	"github.com/trustline/trustline/internal/iostreams"
	"github.com/trustline/trustline/ledger"
)

// NewCmd returns the lab command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	ios, lo := f.IOStreams, f.LedgerOptions()
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Lab signing keys and EIP-712 signed inspection reports (labs)",
		Long: `A lab signs each inspection report with an Ethereum key (EIP-712 typed data,
so a hardware wallet or ethers.js can sign too) whose address it registered
on the ledger; the chaincode recovers the signer from the report and the
signature and records the report only if that signer belongs to the lab.

Keys are a geth keystore file (--keystore, password from --password-file or
$TRUSTLINE_LAB_PASSWORD) or a hex private key ($TRUSTLINE_LAB_KEY or
--key-file).`,
		Args: cmdutil.NoArgs,
		// Runnable, so that an unknown subcommand is a usage error (exit 2)
		// rather than help.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmdutil.AddLedgerFlags(cmd, lo)
	cmd.AddCommand(newKeygenCmd(ios), newRegisterCmd(ios, lo), newRevokeCmd(ios, lo), newSignersCmd(ios, lo),
		newSignCmd(ios), newSubmitCmd(ios, lo), newInspectionCmd(ios, lo), newVerifyCmd(ios))
	return cmd
}

// labLedger is what the lab commands call of the ledger client.
type labLedger interface {
	RegisterLabSigner(ctx context.Context, address, name, accreditation string, opts ...client.CallOption) (*ledger.LabSigner, error)
	RevokeLabSigner(ctx context.Context, address, reason string, opts ...client.CallOption) (*ledger.LabSigner, error)
	LabSigners(ctx context.Context, opts ...client.CallOption) ([]ledger.LabSigner, error)
	SubmitInspection(ctx context.Context, report inspection.Report, signature []byte, opts ...client.CallOption) (*ledger.InspectionRecord, error)
	Inspection(ctx context.Context, reportID string, opts ...client.CallOption) (*ledger.InspectionRecord, error)
	Close() error
}

// keyOptions locate the lab's signing key.
type keyOptions struct {
	keystore, passwordFile, keyFile string
}

func (k *keyOptions) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&k.keystore, "keystore", "", "geth keystore file of the signing key")
	cmd.Flags().StringVar(&k.passwordFile, "password-file", "", "file holding the keystore password (default $TRUSTLINE_LAB_PASSWORD)")
	cmd.Flags().StringVar(&k.keyFile, "key-file", "", "file holding a hex private key (default $TRUSTLINE_LAB_KEY)")
}

func (k *keyOptions) password() (string, error) {
	if k.passwordFile != "" {
		b, err := os.ReadFile(k.passwordFile)
		if err != nil {
			return "", cmdutil.UsageError("%v", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if p, ok := os.LookupEnv("TRUSTLINE_LAB_PASSWORD"); ok {
		return p, nil
	}
	return "", cmdutil.UsageError("no keystore password: pass --password-file or set TRUSTLINE_LAB_PASSWORD")
}

func (k *keyOptions) signer() (*lab.Signer, error) {
	if k.keystore != "" && k.keyFile != "" {
		return nil, cmdutil.UsageError("give one of --keystore and --key-file, not both")
	}
	switch {
	case k.keystore != "":
		pw, err := k.password()
		if err != nil {
			return nil, err
		}
		s, err := lab.SignerFromKeystore(k.keystore, pw)
		if err != nil {
			return nil, cmdutil.UsageError("%v", err)
		}
		return s, nil
	case k.keyFile != "":
		b, err := os.ReadFile(k.keyFile)
		if err != nil {
			return nil, cmdutil.UsageError("%v", err)
		}
		s, err := lab.SignerFromHex(string(b))
		if err != nil {
			return nil, cmdutil.UsageError("%s: %v", k.keyFile, err)
		}
		return s, nil
	case os.Getenv("TRUSTLINE_LAB_KEY") != "":
		s, err := lab.SignerFromHex(os.Getenv("TRUSTLINE_LAB_KEY"))
		if err != nil {
			return nil, cmdutil.UsageError("TRUSTLINE_LAB_KEY: %v", err)
		}
		return s, nil
	}
	return nil, cmdutil.UsageError("no signing key: pass --keystore or --key-file, or set TRUSTLINE_LAB_KEY")
}

func newKeygenCmd(ios *iostreams.IO) *cobra.Command {
	var k keyOptions
	var light bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make a new signing key in an encrypted keystore file and print its address",
		Long: `Make a new secp256k1 signing key and write it, encrypted with the password,
as a geth keystore file (--keystore, never overwritten). Register the printed
address with ` + "`trustline lab register-signer`" + `.`,
		Example: `  TRUSTLINE_LAB_PASSWORD=... trustline lab keygen --keystore lab-signer.json`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if k.keystore == "" {
				return cmdutil.UsageError("--keystore FILE is required\n\n%s", cmd.UsageString())
			}
			pw, err := k.password()
			if err != nil {
				return err
			}
			s, err := lab.GenerateSigner()
			if err != nil {
				return err
			}
			if err := s.WriteKeystore(k.keystore, pw, light); err != nil {
				return cmdutil.UsageError("%v", err)
			}
			fmt.Fprintln(ios.Out, s.Address().Hex())
			return nil
		},
	}
	cmd.Flags().StringVar(&k.keystore, "keystore", "", "keystore file to create")
	cmd.Flags().StringVar(&k.passwordFile, "password-file", "", "file holding the password (default $TRUSTLINE_LAB_PASSWORD)")
	cmd.Flags().BoolVar(&light, "light-kdf", false, "cheaper key derivation (tests only)")
	return cmd
}

func newRegisterCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var name, accreditation, output string
	var k keyOptions
	cmd := &cobra.Command{
		Use:   "register-signer [ADDRESS]",
		Short: "Register an address your lab signs reports with",
		Long: `Register a signing address for your lab (Lab:RegisterLabSigner): the address
as argument, or the one of --keystore/--key-file.`,
		Example: `  trustline lab register-signer 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23 --profile lab \
    --name "Lab One, residue analysis" --accreditation "ISO/IEC 17025 D-PL-12345"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.UsageError("lab register-signer takes at most one address\n\n%s", cmd.UsageString())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			var addr string
			if len(args) == 1 {
				if !common.IsHexAddress(args[0]) {
					return cmdutil.UsageError("%q is not an Ethereum address", args[0])
				}
				addr = common.HexToAddress(args[0]).Hex()
			} else {
				s, err := k.signer()
				if err != nil {
					return err
				}
				addr = s.Address().Hex()
			}
			if name == "" || accreditation == "" {
				return cmdutil.UsageError("--name and --accreditation are required\n\n%s", cmd.UsageString())
			}
			c, err := cmdutil.Ledger[labLedger](cmd.Context(), lo)
			if err != nil {
				return err
			}
			defer c.Close()
			ls, err := c.RegisterLabSigner(cmd.Context(), addr, name, accreditation)
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(ls, func(w io.Writer) error {
				return cmdutil.Fields(w, [2]string{"Signer", ls.Address}, [2]string{"Lab", ls.Lab}, [2]string{"Name", ls.Name},
					[2]string{"Accreditation", ls.Accreditation}, [2]string{"Registered", ls.RegisteredAt})
			})
		},
	}
	k.add(cmd)
	cmd.Flags().StringVar(&name, "name", "", "name of the signer (lab, department or analyst)")
	cmd.Flags().StringVar(&accreditation, "accreditation", "", "accreditation, e.g. ISO/IEC 17025 and its number")
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newSignCmd(ios *iostreams.IO) *cobra.Command {
	var k keyOptions
	cmd := &cobra.Command{
		Use:   "sign REPORT",
		Short: "Sign an inspection report (JSON or YAML) and print the signed report",
		Long: `Validate an inspection report and sign it (EIP-712) with the lab's key. The
report file (JSON or YAML, - for standard input) has the fields of
inspection.Report: reportId, lots, method, standard, sampledAt, analytes
[{name, value, unit, limit, pass}], verdict, issuedAt and document {sha256,
uri}; times are UTC with whole seconds (2025-06-01T08:00:00Z), values and
limits decimal strings. The output, {report, signature, signer}, is what
` + "`lab submit` and `lab verify`" + ` take.`,
		Example: `  trustline lab sign report.yaml --keystore lab-signer.json > signed.json`,
		Args:    cmdutil.ExactArgs(1, "a report file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r inspection.Report
			if err := cmdutil.LoadInput(args[0], ios.In, &r); err != nil {
				return err
			}
			s, err := k.signer()
			if err != nil {
				return err
			}
			sr, err := s.SignReport(r)
			if err != nil {
				return cmdutil.UsageError("%v", err)
			}
			return cmdutil.PrintJSON(ios.Out, sr)
		},
	}
	k.add(cmd)
	return cmd
}

func loadSigned(path string, in io.Reader) (lab.SignedReport, error) {
	var sr lab.SignedReport
	err := cmdutil.LoadInput(path, in, &sr)
	return sr, err
}

func newSubmitCmd(ios *iostreams.IO, lo *cmdutil.LedgerOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "submit SIGNED-REPORT",
		Short: "Record a signed inspection report on the ledger",
		Long: `Submit a signed report (Lab:SubmitInspection), as ` + "`lab sign`" + ` prints it. The
signature is checked locally first, then by the chaincode, which also
requires the signer to be a registered, unrevoked signer of your lab and
every lot to exist.`,
		Example: `  trustline lab submit signed.json --profile lab`,
		Args:    cmdutil.ExactArgs(1, "a signed report file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			sr, err := loadSigned(args[0], ios.In)
			if err != nil {
				return err
			}
			if _, err := sr.Verify(); err != nil {
				return cmdutil.UsageError("%s: %v", args[0], err)
			}
			sig, _ := inspection.ParseSignature(sr.Signature) // checked by Verify
			c, err := cmdutil.Ledger[labLedger](cmd.Context(), lo)
			if err != nil {
				return err
			}
			defer c.Close()
			rec, err := c.SubmitInspection(cmd.Context(), sr.Report, sig)
			if err != nil {
				return cmdutil.LedgerError(err)
			}
			return cmdutil.Printer{Format: output, Out: ios.Out}.Print(rec, func(w io.Writer) error {
				return cmdutil.Fields(w, [2]string{"Report", rec.Report.ReportID}, [2]string{"Verdict", rec.Report.Verdict},
					[2]string{"Lots", strings.Join(rec.Report.Lots, ", ")}, [2]string{"Signer", rec.Signer},
					[2]string{"Lab", rec.Lab}, [2]string{"Event", rec.EventID}, [2]string{"Transaction", rec.TxID})
			})
		},
	}
	cmdutil.AddOutputFlag(cmd, &output)
	return cmd
}

func newVerifyCmd(ios *iostreams.IO) *cobra.Command {
	var signer string
	cmd := &cobra.Command{
		Use:   "verify SIGNED-REPORT",
		Short: "Check a signed report's signature offline and print the signer",
		Long: `Recover the address that signed a report and check it against the report's
"signer" field and --signer, when given. Exits 0 and prints the address when
the signature is valid, 2 when it is not.`,
		Example: `  trustline lab verify signed.json --signer 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23`,
		Args:    cmdutil.ExactArgs(1, "a signed report file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			sr, err := loadSigned(args[0], ios.In)
			if err != nil {
				return err
			}
			got, err := sr.Verify()
			if err != nil {
				return cmdutil.UsageError("%s: %v", args[0], err)
			}
			if signer != "" {
				if !common.IsHexAddress(signer) {
					return cmdutil.UsageError("--signer %q is not an Ethereum address", signer)
				}
				if got != common.HexToAddress(signer) {
					return cmdutil.UsageError("%s: %v: signed by %s, not %s", args[0], lab.ErrWrongSigner, got.Hex(), common.HexToAddress(signer).Hex())
				}
			}
			fmt.Fprintln(ios.Out, got.Hex())
			return nil
		},
	}
	cmd.Flags().StringVar(&signer, "signer", "", "the address the report must be signed by")
	return cmd
}
