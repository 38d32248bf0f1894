package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzhttp"

	"github.com/trustline/trustline/node/index"
)

// HTTP caching. Traces, consumer pages, badges and receipts carry an
// entity tag derived from what the index holds for the subject (the
// stored trace, the page's bytes, the lot's state and claim verdicts, the
// receipt's contents and proofs) and the representation (format), never
// from the replica or the time of the request: every node replica that
// follows the same peer serves the same tags, so a CDN or a load balancer
// in front of several replicas revalidates against any of them. A request
// whose If-None-Match holds the tag gets 304 Not Modified without a body.
//
// The tags are weak (W/"…"): a response is the same whether it is sent
// gzip- or zstd-compressed or not, and a receipt's generatedAt differs
// between two builds of the same receipt.
//
// Last-Modified is the latest ledger time of the subject's state (its
// lots' updates, recalls, claim evaluations). If-Modified-Since is honoured
// only where that date covers everything shown (trace JSON, badges): the
// page and the receipt also show anchors, which arrive without a ledger
// date, so for them only the entity tag decides.

// cacheControl lets browsers, proxies and CDNs keep a response for a
// minute and serve it for another minute while they revalidate: a recall
// reaches shoppers within about two minutes, and a spike of scans of one
// lot (a livestream) costs the node one revalidation a minute per cache.
const cacheControl = "public, max-age=60, stale-while-revalidate=60"

// privateCacheControl is cacheControl for a member's records.
const privateCacheControl = "private, max-age=60, stale-while-revalidate=60"

// etag is the weak entity tag of a representation: kind names the format
// (a page and the trace JSON of one lot differ), parts are what it is
// derived from.
func etag(kind string, parts ...[]byte) string {
	h := sha256.New()
	h.Write([]byte(kind))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write(p)
	}
	var sum [sha256.Size]byte
	return `W/"` + kind + "-" + base64.RawURLEncoding.EncodeToString(h.Sum(sum[:0])[:18]) + `"`
}

// styleTag leaves a page's style sheet out of its tag (pageTag).
type styleTag struct {
	sheet string
	sum   [sha256.Size]byte
}

func newStyleTag(sheet string) styleTag {
	return styleTag{sheet: sheet, sum: sha256.Sum256([]byte(sheet))}
}

// pageTag is the tag of a rendered page. The inline style sheet, 5 of a
// trace page's 7 KB and the same on every page of this build, is hashed
// as its own digest, computed once, in its place: a tag still changes
// with any byte of the page and is the same on every replica, and a cold
// page hashes a third of the bytes (the digest was a seventh of its CPU).
func (st *styleTag) pageTag(body []byte) string {
	const open = "<style>"
	i := bytes.Index(body, []byte(open))
	if i < 0 || st.sheet == "" {
		return etag("html", body)
	}
	start := i + len(open)
	end := start + len(st.sheet)
	if end > len(body) || string(body[start:end]) != st.sheet {
		return etag("html", body)
	}
	return etag("html", body[:start], st.sum[:], body[end:])
}

// validators are what a response is revalidated against.
type validators struct {
	ETag string
	// Modified is the latest ledger time of what is shown; zero: unknown.
	Modified time.Time
	// SinceOK is true when Modified covers everything shown, so that
	// If-Modified-Since may be answered with 304.
	SinceOK bool
	// Private marks a member's record (a recall scope): browsers may keep
	// it, shared caches may not.
	Private bool
}

// notModified sets the caching headers of a cacheable 200 response and
// answers 304 when the request's preconditions say the client has it
// (RFC 9110 §13.2.2: If-None-Match, else If-Modified-Since). It returns
// true when it answered.
func notModified(w http.ResponseWriter, r *http.Request, v validators) bool {
	h := w.Header()
	h.Set("ETag", v.ETag)
	h.Set("Cache-Control", cacheControl)
	if v.Private {
		h.Set("Cache-Control", privateCacheControl)
	}
	if !v.Modified.IsZero() {
		h.Set("Last-Modified", v.Modified.UTC().Format(http.TimeFormat))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if !etagListMatches(inm, v.ETag) {
			return false
		}
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" && v.SinceOK && !v.Modified.IsZero() {
		t, err := http.ParseTime(ims)
		if err != nil || v.Modified.Truncate(time.Second).After(t) {
			return false
		}
	} else {
		return false
	}
	// A 304 carries the validators and caching headers, not the body's.
	h.Del("Content-Type")
	h.Del("Content-Disposition")
	w.WriteHeader(http.StatusNotModified)
	return true
}

// etagListMatches is the weak comparison of If-None-Match's list with tag.
func etagListMatches(list, tag string) bool {
	opaque := strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == opaque {
			return true
		}
	}
	return false
}

// ledgerTimes is the latest of the ledger times (ledger.TimeLayout, which
// sorts as text) held by the stateTimes members of the JSON document body,
// read without decoding it. Zero when there is none. Every such name ends
// in "At": one pass finds each `At":"` and checks the name before it (a
// pass per name was a tenth of a cold trace request).
func ledgerTimes(body []byte) time.Time {
	var latest []byte
	const tail = `At":"`
	for off := 0; ; {
		i := bytes.Index(body[off:], []byte(tail))
		if i < 0 {
			break
		}
		at := off + i // body[at:] starts with tail
		off = at + len(tail)
		named := false
		for _, name := range stateTimes {
			stem := name[:len(name)-2] // the name without "At"
			if at > len(stem) && body[at-len(stem)-1] == '"' && string(body[at-len(stem):at]) == stem {
				named = true
				break
			}
		}
		if !named {
			continue
		}
		end := bytes.IndexByte(body[off:], '"')
		if end < 0 {
			break
		}
		if v := body[off : off+end]; bytes.Compare(v, latest) > 0 {
			latest = v
		}
		off += end
	}
	t, err := time.Parse(time.RFC3339Nano, string(latest))
	if err != nil {
		return time.Time{}
	}
	return t
}

// stateTimes are the members whose ledger times date a subject's state;
// each ends in "At" (ledgerTimes).
var stateTimes = []string{"updatedAt", "recalledAt", "evaluatedAt", "registeredAt"}

// writeCachedJSON writes v as JSON with validators derived from its
// encoding (kind names the representation), or 304.
func writeCachedJSON(w http.ResponseWriter, r *http.Request, kind, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeJSON(w, contentType, v) // fails the same way, uncached
		return
	}
	body := buf.Bytes()
	if notModified(w, r, validators{ETag: etag(kind, body), Modified: ledgerTimes(body), SinceOK: true}) {
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(body)
}

// tagCache remembers the validators of the responses derived from the
// index alone (trace JSON, badges) for the index state they were computed
// at, so that a revalidation of them is answered without reading the
// index while nothing was applied since: a spike of scans of one lot is
// then a map lookup per request. Any commit starts it afresh, and it never
// holds more than maxTagCache entries.
type tagCache struct {
	mu sync.Mutex
	at indexState
	m  map[string]validators
}

// maxTagCache bounds the tag cache (about 200 bytes an entry).
const maxTagCache = 1 << 16

// indexState identifies what the index holds: it changes with every
// transaction applied and every block completed.
type indexState struct {
	pos             index.Position
	applied, blocks uint64
}

func stateOf(cp index.Checkpoint) indexState {
	return indexState{pos: cp.Position, applied: cp.Applied, blocks: cp.Blocks}
}

// get returns key's validators computed at state st.
func (c *tagCache) get(st indexState, key string) (validators, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != st {
		return validators{}, false
	}
	v, ok := c.m[key]
	return v, ok
}

// put records key's validators, computed from the index read after it was
// at state st (a commit in between makes them stale, never wrongly fresh:
// the state has moved on by the next get).
func (c *tagCache) put(st indexState, key string, v validators) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != st || len(c.m) >= maxTagCache {
		c.at, c.m = st, make(map[string]validators)
	}
	c.m[key] = v
}

// minute is the minute a request was served in, as the tag cache's
// keys name it (minuteOf).
type minute struct {
	unix int64 // the minute's start, in seconds
	s    string
}

var lastMinute atomic.Pointer[minute]

// minuteOf is now's minute, "2006-01-02T15:04" in UTC, formatted once a
// minute rather than once a request.
func minuteOf(now time.Time) string {
	u := now.Unix()
	if u < 0 {
		return now.UTC().Format("2006-01-02T15:04") // u % 60 is not the minute's
	}
	u -= u % 60
	if m := lastMinute.Load(); m != nil && m.unix == u {
		return m.s
	}
	m := &minute{unix: u, s: now.UTC().Format("2006-01-02T15:04")}
	lastMinute.Store(m)
	return m.s
}

// cachedNotModified answers 304 from the tag cache when the request
// revalidates key's response and the index has not changed since its
// validators were computed; it returns the index state to compute them at
// otherwise.
func (s *Server) cachedNotModified(w http.ResponseWriter, r *http.Request, key string) (indexState, bool) {
	st := stateOf(s.idx.Checkpoint())
	if r.Header.Get("If-None-Match") == "" {
		return st, false
	}
	v, ok := s.tags.get(st, key)
	if !ok || !etagListMatches(r.Header.Get("If-None-Match"), v.ETag) {
		return st, false
	}
	return st, notModified(w, r, v)
}

// compress negotiates the response's content coding (gzip or zstd, from
// Accept-Encoding) through klauspost/compress's gzhttp. Server-sent
// streams and PNG images are sent as they are: a stream must not wait on
// a compressor's buffer, and PNG is compressed already.
var compress = func() func(http.Handler) http.HandlerFunc {
	wrap, err := gzhttp.NewWrapper(gzhttp.EnableZstd(true), gzhttp.ExceptContentTypes([]string{"text/event-stream", "image/png"}))
	if err != nil {
		panic(err) // the options are constant
	}
	return wrap
}()
