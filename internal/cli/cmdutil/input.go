package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/trustline/trustline/internal/jsonyaml"
)

// ReadInput reads the file -f names ("-" is standard input).
func ReadInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, UsageError("reading standard input: %v", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, UsageError("%v", err)
	}
	return b, nil
}

// DecodeInput decodes a JSON or YAML input file into v, whose JSON field
// names apply to both; unknown fields are errors. Files named *.yaml or
// *.yml are YAML, others JSON unless they do not start with '{' or '['.
func DecodeInput(name string, b []byte, v any) error {
	decode := jsonyaml.DecodeJSON
	if isYAML(name, b) {
		decode = jsonyaml.Decode
	}
	if err := decode(b, v); err != nil {
		return UsageError("%s: %v", name, err)
	}
	return nil
}

func isYAML(name string, b []byte) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		return true
	case ".json", ".jsonld":
		return false
	}
	t := bytes.TrimSpace(b)
	return len(t) > 0 && t[0] != '{' && t[0] != '['
}

// LoadInput reads and decodes the -f file into v.
func LoadInput(path string, stdin io.Reader, v any) error {
	b, err := ReadInput(path, stdin)
	if err != nil {
		return err
	}
	return DecodeInput(path, b, v)
}

// ExclusiveInput fails when both -f and any of the request flags are set.
func ExclusiveInput(file string, flagsSet bool) error {
	if file != "" && flagsSet {
		return UsageError("give the request either as flags or with -f, not both")
	}
	return nil
}

// Printer writes a command's result as JSON or as a table.
type Printer struct {
	Format string
	Out    io.Writer
}

// Print writes v as JSON, or calls table for --output table.
func (p Printer) Print(v any, table func(w io.Writer) error) error {
	if p.Format == OutputJSON || table == nil {
		return PrintJSON(p.Out, v)
	}
	return table(p.Out)
}

// Fields writes label/value rows aligned, skipping empty values.
func Fields(w io.Writer, rows ...[2]string) error {
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		if r[1] == "" {
			continue
		}
		if _, err := fmt.Fprintf(w, "%-*s  %s\n", width+1, r[0]+":", r[1]); err != nil {
			return err
		}
	}
	return nil
}
