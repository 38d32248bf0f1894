package chaincode

// Interim event hashing until the shared epcis package lands: same form as
// the CBV 2.0 event hash (ni:///sha-256;…?ver=CBV2.0) but over the event's
// canonical JSON rather than the CBV pre-hash string.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

func hashEvent(eventJSON []byte) (string, error) {
	var v any
	if err := json.Unmarshal(eventJSON, &v); err != nil {
		return "", err
	}
	b, err := marshalCanonical(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "ni:///sha-256;" + hex.EncodeToString(sum[:]) + "?ver=CBV2.0", nil
}

func canonicalEvent(ev *epcisEvent) ([]byte, error) { return marshalCanonical(ev) }
