package cluster

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDefaultBudgetLeavesGCHeadroom: a limit the garbage collector does
// not know about (a cgroup's, physical memory) is divided by 1+GOGC/100
// before the 70%, since the heap grows to twice the live heap between
// collections; GOMEMLIMIT at or below it is used as is.
func TestDefaultBudgetLeavesGCHeadroom(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name         string
		goLimit      int64
		gogc         int
		cgroup, phys int64
		want         int64
		wantFrom     string
	}{
		{"GOMEMLIMIT", 200 * mib, 100, 0, 24 << 30, 140 * mib, "70% of GOMEMLIMIT"},
		{"GOMEMLIMIT under the cgroup's", 200 * mib, 100, 256 * mib, 24 << 30, 140 * mib, "70% of GOMEMLIMIT"},
		{"cgroup alone", 0, 100, 256 * mib, 24 << 30, 256 * mib * 35 / 100,
			"35% of the cgroup's memory limit of 256.0 MiB, leaving the garbage collector its headroom at GOGC=100"},
		{"GOMEMLIMIT above the cgroup's", 512 * mib, 100, 256 * mib, 24 << 30, 256 * mib * 35 / 100,
			"35% of the cgroup's memory limit of 256.0 MiB, leaving the garbage collector its headroom at GOGC=100"},
		{"GOGC=50", 0, 50, 300 * mib, 24 << 30, 140 * mib,
			"47% of the cgroup's memory limit of 300.0 MiB, leaving the garbage collector its headroom at GOGC=50"},
		{"physical memory", 0, 100, 0, 1 << 30, 1 << 30 * 35 / 100,
			"35% of physical memory of 1.0 GiB, leaving the garbage collector its headroom at GOGC=100"},
		{"nothing known", 0, 100, 0, 0, 0, ""},
	} {
		got, from := defaultBudget(c.goLimit, c.gogc, c.cgroup, c.phys)
		if d := got - c.want; d < -mib/100 || d > mib/100 || from != c.wantFrom {
			t.Errorf("%s: %d (%q), want %d (%q)", c.name, got, from, c.want, c.wantFrom)
		}
	}
}

// TestCgroupLimitOf reads the least memory limit of the process's cgroup
// and its ancestors, v2 (memory.max, "max" for none) and v1
// (memory.limit_in_bytes, a huge number for none).
func TestCgroupLimitOf(t *testing.T) {
	root := t.TempDir()
	write := func(rel, v string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("memory.max", "max")
	write("a/memory.max", "536870912")
	write("a/b/memory.max", "max")
	write("memory/memory.limit_in_bytes", "9223372036854771712")
	write("memory/x/memory.limit_in_bytes", "268435456")
	write("memory/x/y/memory.limit_in_bytes", "9223372036854771712")
	for _, c := range []struct {
		proc string
		want int64
	}{
		{"0::/a/b\n", 512 << 20},
		{"0::/\n", 0},
		{"0::/elsewhere\n", 0}, // a namespace hides the path: the root says max
		{"4:memory:/x/y\n0::/\n", 256 << 20},
		{"5:cpu,memory:/x\n", 256 << 20},
		{"4:memory:/x/y\n0::/a/b\n", 256 << 20},
		{"3:cpu:/x\n", 0},
	} {
		if got := cgroupLimitOf(c.proc, root); got != c.want {
			t.Errorf("cgroupLimitOf(%q) = %d, want %d", c.proc, got, c.want)
		}
	}
}
