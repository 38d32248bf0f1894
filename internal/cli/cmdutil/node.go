package cmdutil

import (
	"net/http"

	"github.com/spf13/cobra"
)

// AddNodeFlags registers --node, --cert, --key and --ca on cmd: the one
// connection configuration of the commands that speak a node's EPCIS 2.0
// interface (capture, queries, subscriptions). The node's capture
// listener authenticates the organisation's own systems by a TLS client
// certificate of its CA; its public listener needs none. Defaults come
// from TRUSTLINE_NODE, TRUSTLINE_NODE_CERT, TRUSTLINE_NODE_KEY and
// TRUSTLINE_NODE_CA, then the config file (node, nodeCert, nodeKey,
// nodeCA).
func AddNodeFlags(cmd *cobra.Command, o *LedgerOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Node, "node", "", "URL of your node (https://host:port of its capture listener for member requests; default $TRUSTLINE_NODE)")
	f.StringVar(&o.NodeCert, "cert", "", "your TLS client certificate (PEM), issued by your organisation's CA (default $TRUSTLINE_NODE_CERT)")
	f.StringVar(&o.NodeKey, "key", "", "its private key (PEM) (default $TRUSTLINE_NODE_KEY)")
	f.StringVar(&o.NodeCA, "ca", "", "the CA of the node's TLS certificate (PEM; default $TRUSTLINE_NODE_CA, else the system's)")
	o.tlsFlag = "--"
}

func (o LedgerOptions) tlsFlagPrefix() string {
	if o.tlsFlag == "" {
		return "--node-"
	}
	return o.tlsFlag
}

// NodeHTTP is the node the options name (flags, then environment, then
// config file; "" when none) and an HTTP client presenting their TLS
// client certificate, without a timeout: the caller's context bounds
// its requests.
func (o LedgerOptions) NodeHTTP() (string, *http.Client, error) {
	o, _, err := o.resolve()
	if err != nil {
		return "", nil, err
	}
	hc, err := ClientTLS(o.tlsFlagPrefix(), o.NodeCert, o.NodeKey, o.NodeCA)
	return o.Node, hc, err
}
