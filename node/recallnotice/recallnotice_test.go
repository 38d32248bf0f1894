package recallnotice_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/trustline/trustline/node/index/indextest"
	"github.com/trustline/trustline/node/recallnotice"
)

// TestNotice: when the index records the demo story's recall of yogurt
// lot B, the notifier publishes its notice, with the scope (lot B at the
// store, its shipment) and the members it concerns, to every listener.
func TestNotice(t *testing.T) {
	steps := indextest.DemoSteps(t)
	idx := indextest.Empty(t)
	last := len(steps) - 1 // Product:Recall of lot B
	if steps[last].Event.Function != "Product:Recall" {
		t.Fatalf("the fixture's last step is %s", steps[last].Event.Function)
	}
	indextest.Apply(t, idx, steps[:last]...)
	stream := &recallnotice.Stream{}
	ch, cancel := stream.Subscribe()
	defer cancel()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	n := recallnotice.New(idx, nil, stream)
	go func() { done <- n.Run(ctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	indextest.Apply(t, idx, steps[last])
	select {
	case nt := <-ch:
		lotB := "https://id.gs1.org/01/04260123450021/10/YG-F1-B"
		if nt.Type != "recall" || nt.Recall.Lot != lotB || nt.Recall.Class != "III" || nt.Scope == nil || nt.Scope.Lot != lotB ||
			len(nt.Scope.Lots) != 1 || nt.Scope.Lots[0].Custodian != "BrandMSP" || len(nt.Scope.Shipments) != 1 ||
			!slices.Equal(nt.Members, []string{"BrandMSP", "SupplierMSP"}) || nt.Position.Block != steps[last].Block {
			t.Errorf("notice %+v", nt)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notice within 10s")
	}
	stream.Close()
	if _, ok := <-ch; ok {
		t.Error("subscription open after Close")
	}
}
