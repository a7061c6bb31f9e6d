package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a running weir process whose output lines are collected live.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []string // stdout lines
	err  []string // stderr lines
	done chan struct{}
	code int
}

func start(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	return startProgram(t, dir, weirBin, args...)
}

// startProgram is start for any program (ip netns exec NS weir ..., say).
func startProgram(t *testing.T, dir, program string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(program, args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	so, _ := p.cmd.StdoutPipe()
	se, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	collect := func(r io.Reader, into *[]string) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.mu.Lock()
			*into = append(*into, sc.Text())
			p.mu.Unlock()
		}
	}
	wg.Add(2)
	go collect(so, &p.out)
	go collect(se, &p.err)
	go func() {
		wg.Wait()
		err := p.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// await polls until cond holds on the collected output, or fails the test.
func (p *proc) await(t *testing.T, what string, cond func(out, errs []string) bool) {
	t.Helper()
	if p.waitFor(60*time.Second, cond) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		t.Fatalf("process exited (%d) before %s; stderr:\n%s", p.code, what, strings.Join(p.err, "\n"))
	default:
		t.Fatalf("timed out waiting for %s; stdout %q; stderr:\n%s", what, p.out, strings.Join(p.err, "\n"))
	}
}

// waitFor is await without failing the test (for goroutines other than
// the test's): it polls the collected output until cond holds (true), or
// the process exits or timeout passes first (false).
func (p *proc) waitFor(timeout time.Duration, cond func(out, errs []string) bool) bool {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		ok := cond(p.out, p.err)
		p.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-p.done:
			p.mu.Lock()
			defer p.mu.Unlock()
			return cond(p.out, p.err)
		case <-deadline:
			return false
		case <-tick.C:
		}
	}
}

var completedRE = regexp.MustCompile(`msg="checkpoint completed".* checkpoint=(\d+)`)

func completed(errs []string) int {
	n := 0
	for _, l := range errs {
		if completedRE.MatchString(l) {
			n++
		}
	}
	return n
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// TestSeedsSocketRecovery is the seeds' demo: a socket word count with
// checkpoints every 100 ms and fixed-delay restarts (3 attempts). After each
// ERROR line the job restarts from its last checkpoint and the counts go on
// from the restored state; the fourth ERROR exhausts the strategy.
func TestSeedsSocketRecovery(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(conns)
				return
			}
			conns <- c
		}
	}()
	p := start(t, t.TempDir(), "run", "wordcount", "--no-web", "--input", "socket://"+ln.Addr().String(), "--output", "-",
		"--fail-on", "ERROR", "-D", "execution.checkpointing.interval=100ms",
		"-D", "restart-strategy.type=fixed-delay", "-D", "restart-strategy.fixed-delay.attempts=3",
		"-D", "restart-strategy.fixed-delay.delay=200ms")
	for round := 1; round <= 4; round++ {
		var c net.Conn
		select {
		case c = <-conns:
		case <-time.After(60 * time.Second):
			t.Fatalf("round %d: the job did not connect", round)
		}
		fmt.Fprintf(c, "hello world\nhello\n")
		// Each round adds two hellos to the restored count.
		want := fmt.Sprintf("hello,%d", 2*round)
		p.await(t, want, func(out, _ []string) bool { return contains(out, want) })
		// Two more completed checkpoints: the second was triggered after
		// the counts above were in the state.
		p.mu.Lock()
		base := completed(p.err)
		p.mu.Unlock()
		p.await(t, "two checkpoints after the counts", func(_, errs []string) bool { return completed(errs) >= base+2 })
		fmt.Fprintf(c, "ERROR\n")
		c.Close()
	}
	<-p.done
	if p.code == 0 {
		t.Fatal("job survived the fourth ERROR")
	}
	last := p.err[len(p.err)-1]
	want := `weir: job wordcount failed: restart strategy fixed-delay (3 attempts, 200ms delay) exhausted after 3 restarts; last failure: Split (1/1) failed: line "ERROR" matches --fail-on`
	if last != want {
		t.Fatalf("last stderr line\n %q\nwant\n %q", last, want)
	}
	if !contains(p.out, "world,1") || contains(p.out, "world,5") {
		t.Fatalf("world counts wrong: %q", p.out)
	}
	for _, w := range []string{"world,2", "world,3", "world,4"} {
		if !contains(p.out, w) {
			t.Fatalf("missing %s: the count did not go on from the restored state: %q", w, p.out)
		}
	}
}

// TestKillAndResumeExactlyOnce SIGKILLs weir mid-run and starts it again
// with --from-checkpoint latest: the committed part files must hold every
// update exactly once, as a run without failure writes them.
func TestKillAndResumeExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	text, want := corpus(4000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"run", "wordcount", "--no-web", "--input", "in.txt", "--output", "out", "-p", "2",
		"-D", "execution.checkpointing.interval=100ms"}
	p := start(t, dir, append(common, "--rate", "2000")...)
	p.await(t, "three completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 3 })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	r := start(t, dir, append(common, "--from-checkpoint", "latest")...)
	<-r.done
	if r.code != 0 {
		t.Fatalf("resumed run exited %d:\n%s", r.code, strings.Join(r.err, "\n"))
	}
	if !strings.Contains(strings.Join(r.err, "\n"), `msg=restoring`) {
		t.Fatalf("resumed run did not restore:\n%s", strings.Join(r.err, "\n"))
	}
	checkCommittedExactlyOnce(t, filepath.Join(dir, "out"), want)
}
