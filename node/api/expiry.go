package api

import (
	"bytes"
	"strconv"
	"time"

	"github.com/trustline/trustline/report"
)

// Days to expiry. A lot's trace JSON (and a unit's, which is its lot's)
// carries "daysToExpiry": the whole days from the request's time to the
// lot's expiry (report.DaysToExpiry, as `trustline report expiring`
// counts them), while the lot has not expired; once it has, the field is
// left out and the lot's expiry date says so. The figure changes with the
// clock, not with the index: the trace's entity tag covers it (it is part
// of the body), and the tag cache's key carries the minute, so a cached
// tag is never more than a minute behind the clock.

// now is the server's clock.
func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// lotExpiry is the expiry of the lot record in a trace JSON body (the
// first "expiry" member after "lot", which precedes the events).
func lotExpiry(body []byte) string {
	i := bytes.Index(body, []byte(`,"lot":{`))
	if i < 0 {
		return ""
	}
	const field = `"expiry":"`
	j := bytes.Index(body[i:], []byte(field))
	if j < 0 {
		return ""
	}
	v := body[i+j+len(field):]
	k := bytes.IndexByte(v, '"')
	if k < 0 {
		return ""
	}
	return string(v[:k])
}

// withDaysToExpiry appends "daysToExpiry" to a trace JSON body (which
// ends in "}\n") when its lot has an expiry not yet past at now.
func withDaysToExpiry(body []byte, now time.Time) []byte {
	days, ok := report.DaysToExpiry(lotExpiry(body), now)
	if !ok || days < 0 || !bytes.HasSuffix(body, []byte("}\n")) {
		return body
	}
	body = body[:len(body)-2]
	body = append(body, `,"daysToExpiry":`...)
	body = strconv.AppendInt(body, int64(days), 10)
	return append(body, "}\n"...)
}
