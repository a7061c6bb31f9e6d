package weir

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/weirstream/weir/config"
)

// budgetShare is the share of the process's memory that heap state may
// take by default: the rest is for buffers, user code and the garbage
// collector's headroom.
const budgetShare = 0.7

// heapBudget is the heap backend's memory budget and where it comes from:
// state.backend.heap.memory-budget if set, else 70% of the first limit
// found among GOMEMLIMIT, the cgroup's memory.max and physical memory.
func heapBudget(c *config.Config) (int64, string) {
	if v, ok := config.Lookup(c, config.HeapMemoryBudget); ok {
		return v, config.HeapMemoryBudget.Key()
	}
	share := func(n int64, of string) (int64, string) {
		return int64(float64(n) * budgetShare), "70% of " + of
	}
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 {
		return share(lim, "GOMEMLIMIT")
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			return share(n, "the cgroup's memory.max")
		}
	}
	if n := memTotal(); n > 0 {
		return share(n, "physical memory")
	}
	return 0, ""
}

// memTotal reads MemTotal from /proc/meminfo (Linux); 0 elsewhere.
func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n << 10
				}
			}
		}
	}
	return 0
}
