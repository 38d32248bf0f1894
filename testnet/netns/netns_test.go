package netns_test

import (
	"context"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/trustline/trustline/internal/testenv"
	"github.com/trustline/trustline/testnet/netns"
)

// TestIntegrationNetnsLab makes three hosts, talks between two of them over
// the bridge, partitions one, heals it, and checks that Close leaves nothing
// behind. It changes the machine's network (under its own names and
// 198.18.0.0/24 only), so it runs with the integration tests, one at a time
// machine-wide, not with the unit tests.
func TestIntegrationNetnsLab(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: changes the host's network")
	}
	// CI runs as root; on a laptop without root this skips and says why.
	err := netns.Available()
	testenv.Require(t, "root and iproute2 for network namespaces", "run as root with the ip command, as CI does", err == nil, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lab, err := netns.New(ctx, "tltest", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close(ctx)
	a, b := lab.Hosts[0], lab.Hosts[1]
	if a.IP != "198.18.0.2" || b.IP != "198.18.0.3" {
		t.Fatalf("addresses %s, %s", a.IP, b.IP)
	}
	l, err := b.Listen(7051)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello from " + b.Name))
			c.Close()
		}
	}()
	dial := func() (string, error) {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		c, err := a.Dial(dctx, b.IP+":7051")
		if err != nil {
			return "", err
		}
		defer c.Close()
		msg, err := io.ReadAll(c)
		return string(msg), err
	}
	if msg, err := dial(); err != nil || msg != "hello from "+b.Name {
		t.Fatalf("dial across the bridge: %q, %v", msg, err)
	}
	// The listener is in b's namespace only: not reachable on loopback here.
	if c, err := net.DialTimeout("tcp", "127.0.0.1:7051", time.Second); err == nil {
		c.Close()
		t.Error("b's listener is reachable on the root namespace's loopback")
	}
	if err := lab.Cut(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(); err == nil {
		t.Error("dial succeeded while b was cut off")
	}
	if err := lab.Heal(ctx, b); err != nil {
		t.Fatal(err)
	}
	var healed error
	for i := 0; i < 20; i++ {
		if _, healed = dial(); healed == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if healed != nil {
		t.Errorf("after heal: %v", healed)
	}
	// A host added later is on the same bridge, at its planned address.
	d, err := lab.AddHost(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.IP != "198.18.0.5" || d.Name != "tltest-h4" || len(lab.Hosts) != 4 {
		t.Fatalf("added host %+v, %d hosts", d, len(lab.Hosts))
	}
	ld, err := d.Listen(7051)
	if err != nil {
		t.Fatal(err)
	}
	defer ld.Close()
	go func() {
		if c, err := ld.Accept(); err == nil {
			c.Close()
		}
	}()
	if c, err := a.Dial(ctx, d.IP+":7051"); err != nil {
		t.Errorf("dial to the added host: %v", err)
	} else {
		c.Close()
	}
	// A command runs inside a host's namespace.
	out, err := a.Command(ctx, "ip", "-o", "-4", "addr", "show", "eth0").Output()
	if err != nil || !strings.Contains(string(out), a.IP+"/24") {
		t.Errorf("ip addr in %s: %q, %v", a.Name, out, err)
	}
	if err := lab.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ns, _ := exec.Command("ip", "netns", "list").Output()
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	if strings.Contains(string(ns), "tltest-") || strings.Contains(string(links), "tltest-") {
		t.Errorf("left behind:\n%s\n%s", ns, links)
	}
}
