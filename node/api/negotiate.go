package api

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
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
	best, bestQ, bestSpec := offers[0], 0.0, -1
	for i, offer := range offers {
		q, spec := acceptQ(header, offer)
		if q > bestQ || (q == bestQ && q > 0 && spec > bestSpec) {
			best, bestQ, bestSpec = offers[i], q, spec
		}
	}
	return best
}

// acceptQ returns the q the Accept header gives offer, from its most
// specific matching range, and that range's specificity (2 exact, 1
// type/*, 0 */*, -1 none).
func acceptQ(header, offer string) (float64, int) {
	otype, _, _ := strings.Cut(offer, "/")
	q, spec := 0.0, -1
	for _, part := range strings.Split(header, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		s := -1
		switch {
		case mt == offer:
			s = 2
		case mt == otype+"/*":
			s = 1
		case mt == "*/*":
			s = 0
		}
		if s <= spec {
			continue
		}
		pq := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				pq = f
			}
		}
		q, spec = pq, s
	}
	return q, spec
}
