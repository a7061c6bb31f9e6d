package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hosts is a set of network namespaces joined by a bridge: each is a host
// of its own, with its own address on 10.77.N.0/24, the way
// ../shared/SERVICES.md describes. Cut and Heal set one host's link down
// and up: a partition that closes no connection.
type hosts struct {
	t      *testing.T
	prefix string
	net    int
	addrs  map[string]string
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// newHosts makes the hosts named, or skips the test where network
// namespaces cannot be made (not root, no iproute2).
func newHosts(t *testing.T, names ...string) *hosts {
	t.Helper()
	h := &hosts{t: t, prefix: fmt.Sprintf("w%d", os.Getpid()%100000), net: os.Getpid()%200 + 20, addrs: map[string]string{}}
	hub := h.prefix + "hub"
	if err := ip("netns", "add", hub); err != nil {
		t.Skipf("network namespaces are not available here (the test needs root and iproute2): %v", err)
	}
	t.Cleanup(func() { ip("netns", "del", hub) })
	must := func(args ...string) {
		t.Helper()
		if err := ip(args...); err != nil {
			t.Fatal(err)
		}
	}
	must("-n", hub, "link", "add", "br0", "type", "bridge")
	must("-n", hub, "link", "set", "br0", "up")
	for i, name := range names {
		ns := h.prefix + name
		must("netns", "add", ns)
		t.Cleanup(func() { ip("netns", "del", ns) })
		inner, outer := h.prefix+name+"i", h.prefix+name+"o"
		must("link", "add", inner, "type", "veth", "peer", "name", outer)
		must("link", "set", inner, "netns", ns)
		must("link", "set", outer, "netns", hub)
		must("-n", hub, "link", "set", outer, "master", "br0")
		must("-n", hub, "link", "set", outer, "up")
		addr := fmt.Sprintf("10.77.%d.%d", h.net, i+1)
		must("-n", ns, "addr", "add", addr+"/24", "dev", inner)
		must("-n", ns, "link", "set", inner, "up")
		must("-n", ns, "link", "set", "lo", "up")
		h.addrs[name] = addr
	}
	return h
}

// start runs weir ARGS on host name.
func (h *hosts) start(dir, name string, args ...string) *proc {
	// ip netns exec execs weir: the process is weir's, signals and all.
	return startProgram(h.t, dir, "ip", append([]string{"netns", "exec", h.prefix + name, weirBin}, args...)...)
}

// Cut partitions host name from every other; Heal joins it again.
func (h *hosts) Cut(name string) {
	if err := ip("-n", h.prefix+"hub", "link", "set", h.prefix+name+"o", "down"); err != nil {
		h.t.Fatal(err)
	}
}

func (h *hosts) Heal(name string) {
	if err := ip("-n", h.prefix+"hub", "link", "set", h.prefix+name+"o", "up"); err != nil {
		h.t.Fatal(err)
	}
}

// A job manager and task managers on hosts of their own: one task manager
// is cut off mid-job (its connections stay open, nothing answers), is
// declared lost after heartbeat.timeout, the job fails over to a task
// manager on a fourth host, and the cut one is joined again before the
// end. Every count is committed exactly once.
func TestClusterPartitionedTaskManager(t *testing.T) {
	h := newHosts(t, "jm", "tm1", "tm2", "tm3")
	dir := t.TempDir()
	text, want := corpus(4000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	jmAddr := h.addrs["jm"] + ":6123"
	jm := h.start(dir, "jm", "jobmanager", "wordcount", "--no-web", "--input", "in.txt", "--output", "out", "-p", "2", "--rate", "2000",
		"-D", "jobmanager.rpc.address="+h.addrs["jm"], "-D", "jobmanager.rpc.port=6123",
		"-D", "execution.checkpointing.interval=100ms",
		"-D", "heartbeat.interval=100ms", "-D", "heartbeat.timeout=1500ms",
		"-D", "restart-strategy.type=fixed-delay", "-D", "restart-strategy.fixed-delay.attempts=5",
		"-D", "restart-strategy.fixed-delay.delay=100ms")
	jm.await(t, "the job manager listening", func(_, errs []string) bool {
		return strings.Contains(strings.Join(errs, "\n"), "address="+jmAddr)
	})
	tm := func(name string) *proc {
		return h.start(dir, name, "taskmanager", "--jobmanager", jmAddr, "-D", "taskmanager.host="+h.addrs[name])
	}
	tm("tm1")
	tm("tm2")
	jm.await(t, "three completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 3 })
	h.Cut("tm2")
	jm.await(t, "the cut task manager declared lost", func(_, errs []string) bool {
		return strings.Contains(strings.Join(errs, "\n"), "no heartbeat for")
	})
	tm("tm3")
	awaitSecondAttempt(t, jm)
	h.Heal("tm2")
	<-jm.done
	if jm.code != 0 {
		t.Fatalf("job manager exited %d:\n%s", jm.code, strings.Join(jm.err, "\n"))
	}
	if !strings.Contains(strings.Join(jm.err, "\n"), "reachable from other hosts without TLS") {
		t.Fatalf("a job manager bound to %s without TLS did not warn what it exposes:\n%s", jmAddr, strings.Join(jm.err, "\n"))
	}
	checkCommittedExactlyOnce(t, filepath.Join(dir, "out"), want)
}
