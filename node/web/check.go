package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/trustline/trustline/receipt"
)

// The page's receipt check (receipt.CheckJS, run by templates/page.js) says
// in the page's language what the receipt it fetches proves: "complete
// and current as of ledger block M", or what is missing. Its messages are
// in messages.go, with {n} for the n-th argument, which the script fills.
var checkArgs = map[string]int{
	"check.running": 0, "check.pending": 0, "check.unavailable": 0, "check.bad": 0, "check.note": 0, "check.weak": 0, "check.time": 1,
	"check.current": 3, "check.complete": 3, "check.unchained": 1,
	"check.missing": 3, "check.noRecall": 0, "check.noBreach": 0, "check.added": 3, "check.reordered": 1,
	"check.norecord": 1, "check.stale": 2, "check.state": 0,
	"check.path": 1, "check.anchor": 1, "check.block": 1, "check.id": 1,
	"check.foreign": 1, "check.unit": 1, "check.record": 1, "check.claim": 1, "check.subject": 1, "check.page": 1,
	"check.unproven": 1, "check.unshown": 1,
	"check.svcmissing": 3, "check.svcadded": 3, "check.svcreordered": 1, "check.svcnorecord": 1, "check.svcstale": 2,
}

// checkMessages are the check's messages in l, by key.
func checkMessages(l *Lang) map[string]string {
	out := make(map[string]string, len(checkArgs))
	for k, n := range checkArgs {
		args := make([]any, n)
		for i := range args {
			args[i] = "{" + strconv.Itoa(i+1) + "}"
		}
		out[k] = l.T(k, args...)
	}
	return out
}

// ScriptPath is where a node serves the page's script (Renderer.Script):
// the page loads it deferred, under a URL with its version, so a phone
// fetches it once and every later scan only pays for the page.
const ScriptPath = "/check.js"

// script is receipt.CheckJS and templates/page.js without their comment
// lines and indentation, and its version: the start of its SHA-256.
func script() (js []byte, version string) {
	page, err := files.ReadFile("templates/page.js")
	if err != nil {
		panic(err)
	}
	var b bytes.Buffer
	for _, line := range bytes.Split(append([]byte(receipt.CheckJS()+"\n"), page...), []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	sum := sha256.Sum256(b.Bytes())
	return b.Bytes(), hex.EncodeToString(sum[:6])
}

// Script is the page's script, served at ScriptPath, and its version,
// which the page names in the script's URL (?v=).
func (r *Renderer) Script() (js []byte, version string) { return r.js, r.jsVersion }
