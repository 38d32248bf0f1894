package index

import "github.com/cockroachdb/pebble/v2"

// The recall set (Index.recalls, a keySet) holds the lots with a recall of
// their own or a recall flag (the r and x tables), so that applying a lot
// made from others does not look up each input's recalls in the index:
// almost no input is recalled, and the look-ups (a point read and a prefix
// scan each, through the batch and every level) were about 7% of a
// catching-up member's apply. A lot is added as such a key is written
// (claimsWriter.Set).

func recallSetKey(gtin, lot string) string { return gtin + "\x00" + lot }

// recallElem is the recall set's element of a key of the r or x table.
func recallElem(parts []string) (string, bool) {
	if len(parts) < 2 {
		return "", false
	}
	return recallSetKey(parts[0], parts[1]), true
}

func loadRecalls(s *keySet, r reader) error {
	return s.load(r, recallElem, []byte{tRecall, sep}, []byte{tRecalledBy, sep})
}

// Set is the writer's Set, noting the lot of a recall or recall flag in
// the recall set.
func (w claimsWriter) Set(k, v []byte, o *pebble.WriteOptions) error {
	if w.recalls != nil && len(k) > 0 && (k[0] == tRecall || k[0] == tRecalledBy) {
		if e, ok := recallElem(split(k)); ok {
			w.recalls.add(e)
		}
	}
	return w.writer.Set(k, v, o)
}

// mayBeRecalled is false only if the lot has neither a recall nor a
// recall flag. Without a recall set it is true.
func mayBeRecalled(r reader, gtin, lot string) bool {
	cw, ok := r.(claimsWriter)
	return !ok || cw.recalls == nil || cw.recalls.has(recallSetKey(gtin, lot))
}
