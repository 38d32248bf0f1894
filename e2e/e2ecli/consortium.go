package e2ecli

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/trustline/trustline/consortium"
)

// Status is what the tests read of `consortium status -o json`. (The
// command's own type lives with the CLI, whose package brings node code
// that helpers outside node/ may not import.)
type Status struct {
	ConfigBlock uint64 `json:"configBlock"`
	Members     []struct {
		MSPID     string `json:"mspId"`
		Consenter bool   `json:"consenter"`
	} `json:"members"`
	Consenters []consortium.ConsenterState `json:"consenters"`
}

// Status runs `consortium status` as the admin of the organisation in
// orgDir, with the pending updates given.
func (c *CLI) Status(orgDir string, updates ...string) Status {
	c.T.Helper()
	var st Status
	out := c.Must(append([]string{"consortium", "status", "--org-dir", orgDir, "-o", "json"}, updates...)...)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		c.T.Fatalf("consortium status: %v\n%s", err, out)
	}
	return st
}

// WaitConsentersHealthy waits until the channel has k consenters, every
// one answering and in step, as orgDir's admin sees them.
func (c *CLI) WaitConsentersHealthy(orgDir string, k int, within time.Duration) Status {
	c.T.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(time.Second) {
		st := c.Status(orgDir)
		ok := len(st.Consenters) == k
		for _, s := range st.Consenters {
			ok = ok && s.Healthy()
		}
		if ok {
			return st
		}
		if time.Now().After(deadline) {
			c.T.Fatalf("consenters not all healthy within %s: %+v", within, st.Consenters)
		}
	}
}

// Refused runs a command that must be refused with exit code and a
// one-line message containing want, and checks that the channel's
// configuration did not move (its config block, as orgDir's admin sees
// it).
func (c *CLI) Refused(orgDir string, code int, want string, args ...string) {
	c.T.Helper()
	base := c.Status(orgDir).ConfigBlock
	out, errOut, got := c.Run(args...)
	if got != code || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		c.T.Errorf("trustline %s: exit %d, want %d and one line naming %q\n%s%s", strings.Join(args, " "), got, code, want, out, errOut)
	} else {
		c.T.Logf("refused (exit %d): %s", got, strings.TrimSpace(errOut))
	}
	if after := c.Status(orgDir).ConfigBlock; after != base {
		c.T.Errorf("after a refused %s the config block is %d, was %d", strings.Join(args[:min(2, len(args))], " "), after, base)
	}
}
