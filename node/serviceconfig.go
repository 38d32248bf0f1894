package node

import (
	"context"
	"fmt"

	"github.com/trustline/trustline/client"
	"github.com/trustline/trustline/node/api"
	"github.com/trustline/trustline/node/service"
)

// ServiceConfig turns on the brand's after-sales desk (package
// node/service): the consumer page of the brand's own products gets a
// form for questions and complaints, which the node files on the ledger
// through the organisation's gateway, as the node's identity, keeping the
// messages in dataDir/service. Zero limits mean the API's defaults
// (api.ServiceOptions).
//
//	service:
//	  perClientPerMinute: 5
//	  perSecond: 2
type ServiceConfig struct {
	PerClientPerMinute float64 `json:"perClientPerMinute,omitempty"`
	ClientBurst        int     `json:"clientBurst,omitempty"`
	PerSecond          float64 `json:"perSecond,omitempty"`
	Burst              int     `json:"burst,omitempty"`
	MaxMessageRunes    int     `json:"maxMessageRunes,omitempty"`
}

// serviceDesk is a node's running desk; nil when Config.Service is unset.
type serviceDesk struct {
	cl   *client.Client
	opts api.ServiceOptions
}

func openService(ctx context.Context, c *ServiceConfig, dataDir string, peer client.Config) (*serviceDesk, error) {
	if c == nil {
		return nil, nil
	}
	if c.PerClientPerMinute < 0 || c.PerSecond < 0 || c.ClientBurst < 0 || c.Burst < 0 || c.MaxMessageRunes < 0 {
		return nil, &ConfigError{"service", "limits must not be negative"}
	}
	st, err := service.OpenStore(service.Dir(dataDir))
	if err != nil {
		return nil, err
	}
	cl, err := client.Connect(ctx, peer)
	if err != nil {
		return nil, fmt.Errorf("service: connecting to the gateway: %w", err)
	}
	d := service.NewDesk(st, cl, &service.Options{MaxMessageRunes: c.MaxMessageRunes})
	return &serviceDesk{cl: cl, opts: api.ServiceOptions{Desk: d, MSP: cl.MSPID(), PerClientPerMinute: c.PerClientPerMinute,
		ClientBurst: c.ClientBurst, PerSecond: c.PerSecond, Burst: c.Burst, MaxMessageRunes: c.MaxMessageRunes}}, nil
}

func (d *serviceDesk) close() {
	if d != nil {
		d.cl.Close()
	}
}
