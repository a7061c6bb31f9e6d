package weir_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/internal/testutil"
)

// BenchmarkPebbleCheckpoint measures, on the pebble backend, the checkpoint
// taken right after 1% of the keys changed, for 100 MB and 1 GB of state,
// full and incremental: its synchronous and asynchronous parts, its
// end-to-end duration and the bytes it wrote. One iteration per case
// (-benchtime 1x): the state is built, the LSM left to settle, 1% of the
// keys rewritten, and the next checkpoint read from the job's statistics.
//
//	go test -run '^$' -bench PebbleCheckpoint -benchtime 1x -timeout 60m .
func BenchmarkPebbleCheckpoint(b *testing.B) {
	for _, keys := range []int{100_000, 1_000_000} {
		for _, incremental := range []bool{false, true} {
			mode := map[bool]string{false: "full", true: "incremental"}[incremental]
			b.Run(fmt.Sprintf("state=%dMB/%s", keys*1024/1e6, mode), func(b *testing.B) {
				for b.Loop() {
					benchCheckpointOnce(b, keys, incremental)
				}
			})
		}
	}
}

func benchCheckpointOnce(b *testing.B, keys int, incremental bool) {
	dir := b.TempDir()
	changed := keys / 100
	first := make([]update, keys)
	for i := range first {
		first[i] = update{Key: int64(i), Phase: 1}
	}
	second := make([]update, changed)
	for i := range second {
		second[i] = update{Key: int64(i * 100), Phase: 2}
	}
	src := &phasedSource{phases: [][]update{first, second}, release: make(chan struct{})}
	cfg := []string{"parallelism.default=1", "state.backend.type=pebble",
		fmt.Sprintf("execution.checkpointing.incremental=%v", incremental),
		"execution.checkpointing.interval=1s", "execution.checkpointing.dir=" + dir,
		"execution.checkpointing.externalized-checkpoint-retention=NO_EXTERNALIZED_CHECKPOINTS",
		"state.backend.rocksdb.localdir=" + filepath.Join(dir, "local")}
	e := weir.NewEnvironment(nil)
	for _, kv := range cfg {
		if err := e.Config().SetPairs([]string{kv}); err != nil {
			b.Fatal(err)
		}
	}
	var seen atomic.Int64
	s := weir.FromSource(e, weir.Source[update](src), "Updates")
	weir.Process(weir.KeyBy(s, func(u update) int64 { return u.Key }), func() weir.KeyedProcessFunction[int64, update, int64] {
		return &blobStore{seen: &seen}
	}).UID("blobs").SinkTo(discard.New[int64](), "Discard")
	done := make(chan error, 1)
	go func() { done <- e.Execute(context.Background(), "blobs") }()
	stats := func() checkpoint.Stats { s, _ := e.Job().CheckpointStats(); return s }
	wait := func(cond func() bool) {
		testutil.Await(b, 30*time.Minute, cond, func() string { return "the job did not settle" })
	}
	wait(func() bool { return seen.Load() == int64(keys) })
	c0 := stats().Completed
	// Settled: five checkpoints in a row that wrote under 1% (incremental),
	// or simply five checkpoints (full).
	wait(func() bool {
		st := stats()
		if st.Completed < c0+5 || len(st.History) < 5 {
			return false
		}
		for _, h := range st.History[:5] {
			if h.Status != checkpoint.StatusCompleted || incremental && h.CheckpointedSize > h.StateSize/100 {
				return false
			}
		}
		return true
	})
	src.release <- struct{}{}
	wait(func() bool { return seen.Load() == int64(keys+changed) })
	last := checkpoint.ID(stats().Triggered + 1)
	wait(func() bool { l := stats().LatestCompleted; return l != nil && l.ID >= last })
	var cp checkpoint.CheckpointStats
	for _, h := range stats().History {
		if h.ID == last {
			cp = h
		}
	}
	var sync, async time.Duration
	for _, st := range cp.Subtasks {
		sync, async = max(sync, st.Metrics.SyncDuration), max(async, st.Metrics.AsyncDuration)
	}
	b.ReportMetric(float64(cp.StateSize)/1e6, "state-MB")
	b.ReportMetric(float64(cp.CheckpointedSize)/1e6, "written-MB")
	b.ReportMetric(float64(sync.Microseconds())/1e3, "sync-ms")
	b.ReportMetric(float64(async.Microseconds())/1e3, "async-ms")
	b.ReportMetric(float64(cp.EndToEnd.Microseconds())/1e3, "e2e-ms")
	if err := e.Job().Cancel(); err != nil {
		b.Fatal(err)
	}
	<-done
}
