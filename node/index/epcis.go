package index

import (
	"strings"

	"github.com/trustline/trustline/nodeapi"
)

// Query is the EPCIS 2.0 SimpleEventQuery a node answers (package
// nodeapi, the API's wire types).
type Query = nodeapi.Query

// Page sizes.
const (
	DefaultPerPage = nodeapi.DefaultPerPage
	MaxPerPage     = nodeapi.MaxPerPage
)

// QueryError is a query the index cannot answer as asked: the caller's
// mistake.
type QueryError = nodeapi.QueryError

// bizStepName reduces a CBV business step URI to its bare name.
func bizStepName(s string) string {
	for _, p := range []string{"https://ref.gs1.org/cbv/BizStep-", "urn:epcglobal:cbv:bizstep:"} {
		if strings.HasPrefix(s, p) {
			return s[len(p):]
		}
	}
	return s
}
