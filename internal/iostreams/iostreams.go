// Package iostreams carries a command's standard streams so that commands can
// be run and inspected in tests without touching the process's own streams.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IO is the set of streams a command reads from and writes to.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// IsTerminal reports whether Out is an interactive terminal; progress bars
	// and colours are shown only then.
	IsTerminal bool
}

// System returns the process's own streams.
func System() *IO {
	return &IO{
		In:         os.Stdin,
		Out:        os.Stdout,
		ErrOut:     os.Stderr,
		IsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// Test returns streams backed by buffers, plus the buffers.
func Test() (ios *IO, in, out, errOut *bytes.Buffer) {
	in, out, errOut = new(bytes.Buffer), new(bytes.Buffer), new(bytes.Buffer)
	return &IO{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}
