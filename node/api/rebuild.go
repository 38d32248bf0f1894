package api

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RebuildStatus is the progress of a rolling index rebuild (package node):
// a new index built from block 0 behind the one being served, swapped in
// once it has caught up. It is part of /healthz and /metrics while the
// rebuild runs.
type RebuildStatus struct {
	// FromLayout is the layout of the index being served (or that could
	// not be served), ToLayout the layout being built.
	FromLayout int `json:"fromLayout"`
	ToLayout   int `json:"toLayout"`
	// Serving is "old index" while the old index answers, "none" while
	// every request is answered 503 (its layout cannot be served).
	Serving string `json:"serving"`
	// NextBlock is the next block the new index applies; Target the block
	// it must reach before the swap (the old index's height, then the
	// ledger's).
	NextBlock uint64 `json:"nextBlock"`
	Target    uint64 `json:"targetBlock"`
	// Percent is NextBlock of Target, 0 to 100.
	Percent float64 `json:"percent"`
	// Events are the payloads indexed so far.
	Events  uint64    `json:"events"`
	Started time.Time `json:"started"`
}

// registerRebuildMetrics registers the rebuild's gauges.
func (s *Server) registerRebuildMetrics(reg *prometheus.Registry) {
	RegisterRebuildMetrics(reg, s.opts.Rebuild)
}

// RegisterRebuildMetrics registers trustline_node_index_rebuild_* gauges
// of status in reg (the node's 503 handler, which has no Server, uses it
// too).
func RegisterRebuildMetrics(reg *prometheus.Registry, status func() RebuildStatus) {
	gauge := func(name, help string, fn func(RebuildStatus) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return fn(status()) })
	}
	reg.MustRegister(
		gauge("trustline_node_index_rebuild_ratio", "Progress of the rolling index rebuild, 0 to 1.", func(st RebuildStatus) float64 { return st.Percent / 100 }),
		gauge("trustline_node_index_rebuild_next_block", "Next block the rebuilt index applies.", func(st RebuildStatus) float64 { return float64(st.NextBlock) }),
		gauge("trustline_node_index_rebuild_target_block", "Block the rebuilt index must reach before it is swapped in.", func(st RebuildStatus) float64 { return float64(st.Target) }),
	)
}
