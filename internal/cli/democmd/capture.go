package democmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/trustline/trustline/node/capture"
	"github.com/trustline/trustline/orgca"
)

// erpClient is the name of the demo's identity for a member's own
// systems (its ERP, warehouse system, data loggers): a client certificate
// of the member's CA, which its node's capture listener takes.
const erpClient = "erp"

// memberCapture is how one member's systems reach its node's capture
// listener: its URL and the client's TLS credentials.
type memberCapture struct {
	Org, URL            string
	Cert, Key, ServerCA string
}

// captureSetup enrolls the ERP client of the member whose organisation
// directory (package orgca) is orgDir, once per testnet, and returns its
// node's capture configuration, listening on port, and how the ERP
// reaches it.
func captureSetup(orgDir, org string, port int) (*capture.Config, memberCapture, error) {
	o, err := orgca.Open(orgDir)
	if err != nil {
		return nil, memberCapture{}, err
	}
	if _, err := o.Enroll(erpClient, orgca.EnrollOptions{}); err != nil && !errors.Is(err, orgca.ErrExists) {
		return nil, memberCapture{}, fmt.Errorf("enrolling %s's ERP client: %w", org, err)
	}
	srv, erp := o.Identity(orgca.Node), o.Identity(erpClient)
	cfg := &capture.Config{
		Listen: fmt.Sprintf("127.0.0.1:%d", port), TLSCert: srv.TLSCertFile(), TLSKey: srv.TLSKeyFile(), ClientCA: o.TLSCAFile(),
		// The ERP captures every step, and writes named queries and
		// subscriptions (on this listener only).
		Clients: []capture.Client{{Name: erpClient + "." + o.Card().Domain, Subscribe: true}},
	}
	return cfg, memberCapture{Org: org, URL: fmt.Sprintf("https://127.0.0.1:%d", port),
		Cert: erp.TLSCertFile(), Key: erp.TLSKeyFile(), ServerCA: o.TLSCAFile()}, nil
}

// printCaptureHelp prints, for each member, how its own systems capture
// EPCIS events into its node (the trustline command and its curl
// equivalent, with the member's client certificate), and a query of the
// events of lot on the node at queryNode.
func printCaptureHelp(w io.Writer, members []memberCapture, queryNode, lot string) {
	fmt.Fprintln(w, "Capture EPCIS 2.0 events from a member's own systems into its node (mutual TLS, a client certificate of the member's CA):")
	for _, m := range members {
		fmt.Fprintf(w, "  %s: %s\n", m.Org, m.URL)
		fmt.Fprintf(w, "    trustline epcis capture events.jsonld --node %s --cert %s --key %s --ca %s\n", m.URL, m.Cert, m.Key, m.ServerCA)
		fmt.Fprintf(w, "    curl -i --cert %s --key %s --cacert %s -H 'Content-Type: application/ld+json' --data-binary @events.jsonld %s/capture\n",
			m.Cert, m.Key, m.ServerCA, m.URL)
	}
	fmt.Fprintf(w, "Query a node's events with the standard's parameters (here: lot B's, every page):\n  trustline epcis query --node %s --epc-class %s\n", queryNode, lot)
	if len(members) > 0 {
		m := members[0]
		fmt.Fprintf(w, "Follow new shipments as they are recorded (a named query and its WebSocket stream, as %s's ERP):\n", m.Org)
		fmt.Fprintf(w, "  trustline epcis queries create shipped --biz-step shipping --node %s --cert %s --key %s --ca %s\n", m.URL, m.Cert, m.Key, m.ServerCA)
		fmt.Fprintf(w, "  trustline epcis subscribe shipped --follow --node %s\n", queryNode)
	}
	fmt.Fprintln(w)
}
