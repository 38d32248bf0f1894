package api

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// negotiate picks the offer the request's Accept header prefers (RFC 9110
// §12.5.1): the highest q wins, an exact media type beats a type/* range,
// which beats */*; remaining ties go to the earlier offer. With no Accept
// header, or nothing acceptable, it returns offers[0]: API clients that
// send nothing or */* keep getting what they always got.
func negotiate(r *http.Request, offers ...string) string {
	header := r.Header.Get("Accept")
	if header == "" {
		return offers[0]
	}
	ranges := acceptRanges(header)
	best, bestQ, bestSpec := offers[0], 0.0, -1
	for i, offer := range offers {
		q, spec := rangesQ(ranges, offer)
		if q > bestQ || (q == bestQ && q > 0 && spec > bestSpec) {
			best, bestQ, bestSpec = offers[i], q, spec
		}
	}
	return best
}

// acceptQ returns the q the Accept header gives offer, from its most
// specific matching range, and that range's specificity (2 exact, 1
// type/*, 0 */*, -1 none).
func acceptQ(header, offer string) (float64, int) { return rangesQ(acceptRanges(header), offer) }

// An acceptRange is a media range of an Accept header and its q.
type acceptRange struct {
	mt string
	q  float64
}

// parsedAccept holds Accept headers parsed, by header: clients send a
// handful of distinct ones (each browser its own), and parsing one took
// about 5% of a cold trace request, once per offer. Bounded: past
// maxParsedAccept headers, and for a header longer than
// maxParsedAcceptLen, the header is parsed on each request.
var (
	parsedAccept    sync.Map // string → []acceptRange
	parsedAcceptLen atomic.Int32
)

const (
	maxParsedAccept    = 256
	maxParsedAcceptLen = 512
)

func acceptRanges(header string) []acceptRange {
	if v, ok := parsedAccept.Load(header); ok {
		return v.([]acceptRange)
	}
	var ranges []acceptRange
	for _, part := range strings.Split(header, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
		}
		ranges = append(ranges, acceptRange{mt, q})
	}
	if len(header) <= maxParsedAcceptLen && parsedAcceptLen.Load() < maxParsedAccept {
		if _, loaded := parsedAccept.LoadOrStore(header, ranges); !loaded {
			parsedAcceptLen.Add(1)
		}
	}
	return ranges
}

func rangesQ(ranges []acceptRange, offer string) (float64, int) {
	otype, _, _ := strings.Cut(offer, "/")
	q, spec := 0.0, -1
	for _, r := range ranges {
		s := -1
		switch {
		case r.mt == offer:
			s = 2
		case len(r.mt) == len(otype)+2 && strings.HasPrefix(r.mt, otype) && strings.HasSuffix(r.mt, "/*"):
			s = 1
		case r.mt == "*/*":
			s = 0
		}
		if s <= spec {
			continue
		}
		q, spec = r.q, s
	}
	return q, spec
}
