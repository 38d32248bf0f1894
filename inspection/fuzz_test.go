package inspection

import (
	"encoding/json"
	"testing"
)

// FuzzReport decodes arbitrary JSON as a report and arbitrary bytes as a
// signature: validation, hashing and recovery never panic, and a report
// that validates always hashes.
func FuzzReport(f *testing.F) {
	good, _ := json.Marshal(sampleReport())
	f.Add(good, make([]byte, 65))
	f.Add([]byte(`{"reportId":"x","lots":[""],"analytes":[{}]}`), []byte{27})
	f.Add([]byte(`{"lots":null,"analytes":[{"value":"1.","limit":"-0"}]}`), []byte{})
	f.Fuzz(func(t *testing.T, reportJSON, sig []byte) {
		var r Report
		if json.Unmarshal(reportJSON, &r) != nil {
			return
		}
		if err := r.Validate(); err == nil {
			if _, err := Hash(r); err != nil {
				t.Fatalf("valid report does not hash: %v", err)
			}
		}
		_, _ = Recover(r, sig)
		_, _ = ParseSignature(string(sig))
	})
}
