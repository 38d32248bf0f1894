package index

import (
	"bytes"
	"encoding/json"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/trustline/trustline/epcis"
)

// eventCache keeps the EPCIS events most recently applied, decoded, by
// event id: applying a transaction re-evaluates the claims on its lots,
// whose traces are the lots' events and their upstream lots' events, and
// decoding every one of them again for every transaction made an index
// with claims apply milliseconds per event (BenchmarkApplyState). The
// events of a lot are recent when it is written to, so a small cache
// holds them. An entry is used only for the very bytes it was decoded
// from, so whatever a batch that failed put there, the index reads and
// evaluates what is stored.
type eventCache struct {
	c *lru.Cache[string, cachedEvent]
}

type cachedEvent struct {
	raw []byte
	ev  *epcis.Event
}

// eventCacheSize bounds the cache: some 30 MiB of decoded events.
const eventCacheSize = 16 << 10

func newEventCache() *eventCache {
	c, _ := lru.New[string, cachedEvent](eventCacheSize)
	return &eventCache{c}
}

// put keeps ev, decoded from raw (json.Unmarshal); the cache owns neither.
func (c *eventCache) put(id string, raw json.RawMessage, ev *epcis.Event) {
	if c != nil {
		c.c.Add(id, cachedEvent{raw, ev})
	}
}

// get returns event id decoded if it was decoded from raw, else nil.
func (c *eventCache) get(id string, raw []byte) *epcis.Event {
	if c == nil {
		return nil
	}
	e, ok := c.c.Get(id)
	if !ok || !bytes.Equal(e.raw, raw) {
		return nil
	}
	return e.ev
}

// eventCacheOf is r's eventCache when r is an apply's writer, nil otherwise.
func eventCacheOf(r reader) *eventCache {
	if cw, ok := r.(claimsWriter); ok {
		return cw.events
	}
	return nil
}
