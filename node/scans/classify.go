package scans

import (
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Classify decides whether r, a request for a consumer page the node
// found, is a scan, and returns its day, language and country (the caller
// sets GTIN and Lot). It reads the request's headers and forgets them:
// only the returned codes are kept.
//
// Not scans: methods other than GET; prefetches (Sec-Purpose, Purpose);
// navigations from the node's own pages (Sec-Fetch-Site: same-origin,
// such as the language switcher); User-Agents of crawlers, link previews
// and audits (bot, crawl, spider, preview, Lighthouse, headless browsers).
func Classify(r *http.Request, now time.Time) (Key, bool) {
	if r.Method != http.MethodGet {
		return Key{}, false
	}
	h := r.Header
	if strings.Contains(h.Get("Sec-Purpose"), "prefetch") || strings.Contains(h.Get("Purpose"), "prefetch") {
		return Key{}, false
	}
	if h.Get("Sec-Fetch-Site") == "same-origin" {
		return Key{}, false
	}
	if isBot(h.Get("User-Agent")) {
		return Key{}, false
	}
	k := Key{Day: now.UTC().Format(time.DateOnly)}
	k.Lang, k.Country = langCountry(r)
	return k, true
}

// botWords mark the User-Agents that are not a person scanning.
var botWords = []string{"bot", "crawl", "spider", "slurp", "preview", "lighthouse", "headless", "facebookexternalhit"}

func isBot(ua string) bool {
	ua = strings.ToLower(ua)
	for _, w := range botWords {
		if strings.Contains(ua, w) {
			return true
		}
	}
	return false
}

// langCountry is the language the visitor asked for (?lang=, else the
// first of Accept-Language) as an ISO 639 code, and the region it names
// explicitly. Only codes x/text knows come out: a header of any content
// adds at most one language and one region to what is stored.
func langCountry(r *http.Request) (lang, country string) {
	var tag language.Tag
	if q := r.URL.Query().Get("lang"); q != "" {
		t, err := language.Parse(q)
		if err != nil {
			return "", ""
		}
		tag = t
	} else {
		tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
		if err != nil || len(tags) == 0 {
			return "", ""
		}
		tag = tags[0]
	}
	if b, c := tag.Base(); c == language.Exact { // not one x/text guessed
		switch lang = b.String(); lang {
		case "mul", "und", "zxx", "mis": // "*" and other non-languages
			lang = ""
		}
	}
	if reg, c := tag.Region(); c == language.Exact && reg.IsCountry() {
		country = reg.String()
	}
	return lang, country
}
