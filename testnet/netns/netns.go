// Package netns places test "hosts" in Linux network namespaces on one
// bridge, so that a consortium's members talk over real TCP between
// distinct addresses, and a member's link can be cut and healed.
//
// Addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544), on
// the harness's own bridge only. Every namespace, link and bridge is named
// with the lab's prefix; New first sweeps leftovers of a crashed earlier run
// with the same prefix, and Close removes everything, so a failing test
// leaves nothing behind when it defers Close.
//
// It needs root (CAP_NET_ADMIN) and the ip command; Available says why not.
package netns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Subnet is the lab's network; the bridge has .1, host i has .(i+2).
const subnetPrefix = "198.18.0."

// maxHosts keeps every host's address inside the /24.
const maxHosts = 200

// Available reports why namespaces cannot be made here (nil when they can).
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("network namespaces need root (CAP_NET_ADMIN): run as root, as CI does")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New("the ip command (iproute2) is missing")
	}
	return nil
}

// Lab is a bridge and the hosts on it.
type Lab struct {
	prefix string
	Bridge string
	Hosts  []*Host
}

// Host is one network namespace with its own address on the bridge.
type Host struct {
	Name string // namespace name
	IP   string // its address
	veth string // the bridge side of its link
}

// New sweeps leftovers with prefix (at most 8 characters, so that link
// names stay within 15), then makes a bridge and n hosts.
func New(ctx context.Context, prefix string, n int) (*Lab, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if len(prefix) == 0 || len(prefix) > 8 || n < 1 || n > maxHosts {
		return nil, fmt.Errorf("netns: prefix %q (1 to 8 characters) or %d hosts (1 to %d) out of range", prefix, n, maxHosts)
	}
	Sweep(ctx, prefix)
	l := &Lab{prefix: prefix, Bridge: prefix + "-br"}
	fail := func(err error) (*Lab, error) {
		_ = l.Close(ctx)
		return nil, err
	}
	for _, args := range [][]string{
		{"link", "add", l.Bridge, "type", "bridge"},
		{"addr", "add", subnetPrefix + "1/24", "dev", l.Bridge},
		{"link", "set", l.Bridge, "up"},
	} {
		if err := ip(ctx, args...); err != nil {
			return fail(err)
		}
	}
	for range n {
		if _, err := l.AddHost(ctx); err != nil {
			return fail(err)
		}
	}
	return l, nil
}

// Planned is host number i (from 0, as in Hosts) of the lab, whether it
// has been made or not: its namespace name and address are fixed by its
// number, so a member's certificates can name the address of a machine
// that is set up later (AddHost).
func (l *Lab) Planned(i int) Host {
	return Host{Name: fmt.Sprintf("%s-h%d", l.prefix, i+1), IP: fmt.Sprintf("%s%d", subnetPrefix, i+2), veth: fmt.Sprintf("%s-v%d", l.prefix, i+1)}
}

// AddHost makes the lab's next host (Planned(len(Hosts))) on the bridge:
// a machine joining the network later.
func (l *Lab) AddHost(ctx context.Context) (*Host, error) {
	i := len(l.Hosts)
	if i >= maxHosts {
		return nil, fmt.Errorf("netns: the lab has %d hosts already, the most it can hold", i)
	}
	h := l.Planned(i)
	peer := fmt.Sprintf("%s-p%d", l.prefix, i+1)
	for _, args := range [][]string{
		{"netns", "add", h.Name},
		{"link", "add", h.veth, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", h.Name},
		{"link", "set", h.veth, "master", l.Bridge},
		{"link", "set", h.veth, "up"},
		{"-n", h.Name, "addr", "add", h.IP + "/24", "dev", peer},
		{"-n", h.Name, "link", "set", peer, "name", "eth0"},
		{"-n", h.Name, "link", "set", "eth0", "up"},
		{"-n", h.Name, "link", "set", "lo", "up"},
		{"-n", h.Name, "route", "add", "default", "via", subnetPrefix + "1"},
	} {
		if err := ip(ctx, args...); err != nil {
			// Half a host is removed with the lab (Close sweeps the prefix).
			return nil, err
		}
	}
	l.Hosts = append(l.Hosts, &h)
	return &h, nil
}

// BridgeIP is the bridge's own address: the root namespace as the hosts
// reach it.
func (l *Lab) BridgeIP() string { return subnetPrefix + "1" }

// Close removes the lab's namespaces, links and bridge.
func (l *Lab) Close(ctx context.Context) error {
	return Sweep(ctx, l.prefix)
}

// Sweep removes every namespace and link named with prefix-. A process
// still running in one of those namespaces (left by a crashed run) is
// killed first: it would keep the namespace alive, unnamed, holding its
// address.
func Sweep(ctx context.Context, prefix string) error {
	var errs []error
	if out, err := exec.CommandContext(ctx, "ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
			if strings.HasPrefix(name, prefix+"-") {
				killAll(ctx, name)
				errs = append(errs, ip(ctx, "netns", "delete", name))
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "ip", "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if strings.HasPrefix(name, prefix+"-") {
				if err := ip(ctx, "link", "delete", name); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// killAll sends SIGKILL to every process in the named namespace and waits
// (briefly) until they are gone.
func killAll(ctx context.Context, name string) {
	for range 50 {
		out, err := exec.CommandContext(ctx, "ip", "netns", "pids", name).Output()
		pids := strings.Fields(string(out))
		if err != nil || len(pids) == 0 {
			return
		}
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil && pid > 1 && pid != os.Getpid() {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Command runs name with args inside the host's namespace.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
}

// Cut takes the host's link down: it is partitioned from every other host.
func (l *Lab) Cut(ctx context.Context, h *Host) error { return ip(ctx, "link", "set", h.veth, "down") }

// Heal brings the host's link back up.
func (l *Lab) Heal(ctx context.Context, h *Host) error { return ip(ctx, "link", "set", h.veth, "up") }

// Listen opens a TCP listener inside the host's namespace, from this
// process: the socket belongs to the namespace it was made in.
func (h *Host) Listen(port int) (net.Listener, error) {
	var l net.Listener
	err := h.do(func() error {
		var err error
		l, err = net.Listen("tcp", net.JoinHostPort(h.IP, fmt.Sprint(port)))
		return err
	})
	return l, err
}

// Dial connects from inside the host's namespace.
func (h *Host) Dial(ctx context.Context, addr string) (net.Conn, error) {
	var c net.Conn
	err := h.do(func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		return err
	})
	return c, err
}

// do runs f on an OS thread switched into the host's namespace. The thread
// is discarded afterwards rather than switched back, so no goroutine can
// ever run in the wrong namespace.
func (h *Host) do(f func() error) error { return Do(h.Name, f) }

// Do runs f on an OS thread switched into the named namespace, for sockets
// opened there from this process; the thread is discarded afterwards.
func Do(name string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the goroutine exits with the thread locked, and
		// the runtime then ends that thread.
		fd, err := unix.Open(filepath.Join("/var/run/netns", name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("netns %s: %w", name, err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("entering netns %s: %w", name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

func ip(ctx context.Context, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
