// Package testenv decides what a test does when a tool it needs is missing:
// on a developer's machine it skips, naming the tool; in CI, where the
// tools are installed and a skip would hide an untested feature, it fails,
// naming the tool. CI (.ci/run) sets RequireTools=1 to make the difference.
//
// Tests that need a tool (Chromium, root for network namespaces, a built
// binary) call Require or one of its shorthands instead of t.Skip, so that
// no skip goes unnoticed in CI. Import it from _test files only.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// RequireTools is the environment variable that turns a missing tool into
// a failure; CI sets it to 1.
const RequireTools = "TRUSTLINE_REQUIRE_TOOLS"

// ToolsRequired reports whether RequireTools is set (to anything but "" or
// "0").
func ToolsRequired() bool {
	v := os.Getenv(RequireTools)
	return v != "" && v != "0"
}

// Missing ends the test for a missing tool: a skip naming it, or, when
// ToolsRequired, a failure naming it. how says how to get the tool.
func Missing(t testing.TB, tool, how string, cause error) {
	t.Helper()
	msg := fmt.Sprintf("this test needs %s (%s)", tool, how)
	if cause != nil {
		msg += ": " + cause.Error()
	}
	if ToolsRequired() {
		t.Fatalf("%s; %s=1 makes a missing tool a failure", msg, RequireTools)
		return
	}
	t.Skip(msg)
}

// Require checks that the tool is present: ok reports it, cause says why
// not; Missing ends the test otherwise.
func Require(t testing.TB, tool, how string, ok bool, cause error) {
	t.Helper()
	if !ok {
		Missing(t, tool, how, cause)
	}
}

// Chromium is the Chromium binary the browser tests drive: Debian's
// package "chromium", which CI installs (make chromium).
const Chromium = "/usr/bin/chromium"

// NeedChromium returns Chromium's path, or ends the test when it is not
// installed.
func NeedChromium(t testing.TB) string {
	t.Helper()
	_, err := os.Stat(Chromium)
	Require(t, Chromium, "Debian package chromium; make chromium installs it", err == nil, err)
	return Chromium
}

// NeedRoot ends the test unless it runs as root, which creating network
// namespaces needs.
func NeedRoot(t testing.TB, why string) {
	t.Helper()
	Require(t, "root", why, os.Geteuid() == 0, nil)
}

// NeedCommand returns the path of a command on PATH, or ends the test.
func NeedCommand(t testing.TB, name, how string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	Require(t, name, how, err == nil, err)
	return p
}

// NeedFile ends the test unless path exists (a built binary, say).
func NeedFile(t testing.TB, path, how string) {
	t.Helper()
	_, err := os.Stat(path)
	Require(t, path, how, err == nil, err)
}
