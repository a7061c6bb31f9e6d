package cluster

import (
	"fmt"
	"math"
	"os"
	"path"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/internal/units"
)

// budgetShare is the share of the process's memory that heap state may
// take by default: the rest is for buffers, user code, the encoded
// snapshot a checkpoint holds until stored and the garbage collector's
// overshoot while it marks.
const budgetShare = 0.7

// heapBudget is the heap backend's memory budget and where it comes from:
// state.backend.heap.memory-budget if set, else 70% of the memory the heap
// may reach, the least of:
//   - GOMEMLIMIT, which the garbage collector keeps the process under;
//   - the cgroup's memory limit (v2 memory.max or v1
//     memory.limit_in_bytes, of the process's cgroup and its ancestors);
//   - physical memory.
//
// The collector knows nothing of the last two: at GOGC=100 it lets the heap
// grow to twice the live heap before collecting, so a live heap of 70% of
// a cgroup's limit would be killed long before the budget fired. Those
// limits are divided by 1+GOGC/100 first (halved at the default GOGC),
// unless GOMEMLIMIT is at most the limit (then the collector itself keeps
// the heap under it).
func heapBudget(c *config.Config) (int64, string) {
	if v, ok := config.Lookup(c, config.HeapMemoryBudget); ok {
		return v, config.HeapMemoryBudget.Key()
	}
	goLimit := debug.SetMemoryLimit(-1)
	if goLimit <= 0 || goLimit == math.MaxInt64 {
		goLimit = 0
	}
	return defaultBudget(goLimit, gcPercent(), cgroupLimit(), memTotal())
}

// defaultBudget is heapBudget's default from GOMEMLIMIT (0: unset), GOGC
// (negative: off), the cgroup's limit and physical memory (0: unknown).
func defaultBudget(goLimit int64, gogc int, cgroup, physical int64) (int64, string) {
	// Each limit the heap may reach: the limit itself and how much of it
	// the heap may take.
	var best struct {
		heap, of int64
		what     string
	}
	consider := func(heap, of int64, what string) {
		if heap > 0 && (best.heap == 0 || heap < best.heap) {
			best.heap, best.of, best.what = heap, of, what
		}
	}
	if goLimit > 0 {
		consider(goLimit, goLimit, "GOMEMLIMIT")
	}
	// unmanaged is a limit the collector does not know about.
	unmanaged := func(n int64, what string) {
		if n <= 0 || (goLimit > 0 && goLimit <= n) {
			return
		}
		g := gogc
		if g < 0 {
			// GOGC=off and no GOMEMLIMIT below the limit: nothing bounds
			// the heap but the budget; keep the default headroom.
			g = 100
		}
		consider(int64(float64(n)/(1+float64(g)/100)), n,
			fmt.Sprintf("%s of %s, leaving the garbage collector its headroom at GOGC=%d", what, units.Bytes(n), g))
	}
	unmanaged(cgroup, "the cgroup's memory limit")
	unmanaged(physical, "physical memory")
	if best.heap == 0 {
		return 0, ""
	}
	budget := int64(float64(best.heap) * budgetShare)
	return budget, fmt.Sprintf("%.0f%% of %s", 100*float64(budget)/float64(best.of), best.what)
}

// gcPercent is GOGC as the runtime holds it; negative when off.
func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 100
	}
	return int(int32(s[0].Value.Uint64()))
}

// cgroupLimit is the least memory limit of the process's cgroup and its
// ancestors, cgroup v2 or v1; 0 for none (or not Linux).
func cgroupLimit() int64 {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	return cgroupLimitOf(string(b), "/sys/fs/cgroup")
}

// cgroupLimitOf reads the limits for the cgroup membership procCgroup (the
// text of /proc/self/cgroup) under the cgroup file system at root. A cgroup
// namespace or a container's mount may hide the ancestors' directories:
// those not found are skipped, and the file system's own root is read too.
func cgroupLimitOf(procCgroup, root string) int64 {
	var least int64
	take := func(file string, unlimited int64) {
		b, err := os.ReadFile(file)
		if err != nil {
			return
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= unlimited {
			return // "max" (v2) or a page-rounded MaxInt64 (v1)
		}
		if least == 0 || n < least {
			least = n
		}
	}
	walk := func(dir, p, file string, unlimited int64) {
		for p = path.Clean("/" + p); ; p = path.Dir(p) {
			take(path.Join(dir, p, file), unlimited)
			if p == "/" {
				return
			}
		}
	}
	for line := range strings.SplitSeq(procCgroup, "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			// v2: the unified hierarchy at root, or at root/unified in
			// the hybrid layout.
			walk(root, f[2], "memory.max", math.MaxInt64)
			walk(path.Join(root, "unified"), f[2], "memory.max", math.MaxInt64)
		case hasController(f[1], "memory"):
			walk(path.Join(root, "memory"), f[2], "memory.limit_in_bytes", 1<<62)
		}
	}
	return least
}

func hasController(list, c string) bool {
	for x := range strings.SplitSeq(list, ",") {
		if x == c {
			return true
		}
	}
	return false
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
