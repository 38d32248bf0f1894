package testnet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trustline/trustline/testnet/netns"
)

// procSpec says how to run one of the network's processes.
type procSpec struct {
	Name  string   // "peer.brand", "orderer.lab", "chaincode.supplier", "geth"
	Bin   string   // absolute path of the executable
	Args  []string // arguments
	Env   []string // added to a minimal environment
	Ports []int    // every port it listens on (on Host.Addr); the first is its main one
	Dir   string   // working directory
	Host  Host     // where it runs: its address, and its namespace if any
}

// pidRecord is what a process's pid file holds. The start time (in clock
// ticks since boot, from /proc) tells a live process of ours from an unrelated
// one that reused the pid after a reboot or crash.
type pidRecord struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"startTime"`
	Bin       string `json:"bin"`
}

func (n *Network) pidFile(name string) string { return filepath.Join(n.dir, "run", name+".pid") }

// LogFile returns the path of a process's log.
func (n *Network) LogFile(name string) string { return filepath.Join(n.dir, "logs", name+".log") }

// procStartTime reads field 22 of /proc/PID/stat; ok is false when the
// process does not exist or is a zombie.
func procStartTime(pid int) (start uint64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 || fields[0] == "Z" || fields[0] == "X" {
		return 0, false
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	return start, err == nil
}

// running returns the pid of the named process if it is alive and ours.
func (n *Network) running(name string) (int, bool) {
	b, err := os.ReadFile(n.pidFile(name))
	if err != nil {
		return 0, false
	}
	var rec pidRecord
	if json.Unmarshal(b, &rec) != nil || rec.PID <= 0 {
		return 0, false
	}
	start, ok := procStartTime(rec.PID)
	if !ok || start != rec.StartTime {
		return 0, false
	}
	return rec.PID, true
}

// startProc starts p detached from our process group, so it outlives a
// `trustline testnet up` that returns, with output appended to its log.
func (n *Network) startProc(p procSpec) error {
	if _, ok := n.running(p.Name); ok {
		return nil
	}
	for _, port := range p.Ports {
		if err := portFree(p.Host, port); err != nil {
			return fmt.Errorf("cannot start %s: %w", p.Name, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(n.dir, "logs"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(n.dir, "run"), 0o755); err != nil {
		return err
	}
	logf, err := os.OpenFile(n.LogFile(p.Name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n==== %s starting %s\n", time.Now().UTC().Format(time.RFC3339), p.Name)

	cmd := exec.Command(p.Bin, p.Args...)
	if p.Host.Netns != "" {
		// ip netns exec enters the namespace and execs the program: the
		// pid we record is the program's own.
		cmd = exec.Command("ip", append([]string{"netns", "exec", p.Host.Netns, p.Bin}, p.Args...)...)
	}
	cmd.Env = append(baseEnv(), p.Env...)
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	pid := cmd.Process.Pid
	// Reap it when it exits so that a killed child of ours does not linger as
	// a zombie that looks alive.
	go func() { _ = cmd.Wait() }()

	start, ok := procStartTime(pid)
	if !ok {
		return fmt.Errorf("%s exited at once; see %s", p.Name, n.LogFile(p.Name))
	}
	rec, _ := json.Marshal(pidRecord{PID: pid, StartTime: start, Bin: p.Bin})
	return os.WriteFile(n.pidFile(p.Name), rec, 0o644)
}

// baseEnv is the environment handed to every process: enough to run, and
// none of the caller's FABRIC_/CORE_/ORDERER_ settings, which would silently
// override ours.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH", k == "HOME", k == "TMPDIR", k == "LANG", k == "TZ":
			env = append(env, kv)
		}
	}
	return env
}

// stopProc ends the named process: SIGTERM, then SIGKILL after grace.
func (n *Network) stopProc(name string, grace time.Duration) error {
	pid, ok := n.running(name)
	if !ok {
		_ = os.Remove(n.pidFile(name))
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if _, ok := n.running(name); !ok {
			return os.Remove(n.pidFile(name))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s (pid %d): %w", name, pid, err)
	}
	for i := 0; i < 100; i++ {
		if _, ok := n.running(name); !ok {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return os.Remove(n.pidFile(name))
}

// waitListening waits until something accepts connections on addr, or the
// named process dies.
func (n *Network) waitListening(ctx context.Context, name string, addr string) error {
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if _, ok := n.running(name); !ok {
			return fmt.Errorf("%s exited; last lines of %s:\n%s", name, n.LogFile(name), tail(n.LogFile(name), 15))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not listening on %s: %w", name, addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// PortInUseError says a port the network needs is taken.
type PortInUseError struct {
	Addr  string // the host address
	Port  int
	PID   int    // 0 when the owner could not be found
	Owner string // the owner's command name, when known
}

func (e *PortInUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("port %d on %s is in use by %s (pid %d); stop it or choose another --base-port", e.Port, e.Addr, e.Owner, e.PID)
	}
	return fmt.Sprintf("port %d on %s is in use; stop its owner or choose another --base-port", e.Port, e.Addr)
}

// portFree reports a *PortInUseError when port cannot be bound on the
// host's address (inside the host's namespace, if it has one).
func portFree(h Host, port int) error {
	addr := net.JoinHostPort(h.Addr, strconv.Itoa(port))
	listen := func() error {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			return l.Close()
		}
		return err
	}
	var err error
	if h.Netns != "" {
		err = netns.Do(h.Netns, listen)
	} else {
		err = listen()
	}
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	e := &PortInUseError{Addr: h.Addr, Port: port}
	if h.Netns == "" {
		e.PID, e.Owner = portOwner(port)
	}
	return e
}

// portOwner finds the process listening on a TCP port through /proc: the
// socket's inode from /proc/net/tcp{,6}, then the process holding it.
func portOwner(port int) (int, string) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		file, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(p) == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
		file.Close()
	}
	if len(inodes) == 0 {
		return 0, ""
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name()))
			if err == nil && inodes[link] {
				comm, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
				return pid, strings.TrimSpace(string(comm))
			}
		}
	}
	return 0, ""
}
