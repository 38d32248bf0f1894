package anchoring_test

import (
	"testing"

	"github.com/trustline/trustline/node/anchoring"
	"github.com/trustline/trustline/node/anchoring/storetest"
)

func TestMemStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) anchoring.Store { return anchoring.NewMemStore() })
}
