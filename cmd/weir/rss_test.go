package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssWatch samples the peak resident set (VmHWM in /proc/PID/status) of a
// running process until Stop. The rusage of a waited-for child is no use
// for this: os/exec starts children with a vfork-like clone, and Linux
// carries the memory high-water mark of the pre-exec address space (the
// test binary's, hundreds of MiB under -race) into the child's ru_maxrss.
// VmHWM belongs to the process's own address space after exec. Sampling
// every 10 ms can miss growth in the last few milliseconds before exit.
type rssWatch struct {
	pid  int
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	peak int64
}

// watchRSS starts sampling pid.
func watchRSS(pid int) *rssWatch {
	w := &rssWatch{pid: pid, stop: make(chan struct{})}
	w.wg.Go(func() {
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for {
			w.sample()
			select {
			case <-w.stop:
				return
			case <-tk.C:
			}
		}
	})
	return w
}

func (w *rssWatch) sample() {
	hwm, err := vmHWM(w.pid)
	if err != nil {
		return // the process is gone
	}
	w.mu.Lock()
	w.peak = max(w.peak, hwm)
	w.mu.Unlock()
}

// Stop ends the sampling and returns the peak seen, in bytes. Call it
// before waiting for the process, or after: a last sample is taken first
// while the process may still be there.
func (w *rssWatch) Stop() int64 {
	w.sample()
	close(w.stop)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

// vmHWM reads the peak resident set of pid, in bytes.
func vmHWM(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
