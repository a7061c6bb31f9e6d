package weir_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/internal/testutil"
)

// update sets key Key to the value of Phase.
type update struct{ Key, Phase int64 }

// payload is 1 KiB of pseudo-random bytes, a function of key and phase, so
// that it does not compress.
func payload(key, phase int64) []byte {
	r := rand.New(rand.NewPCG(uint64(key), uint64(phase)))
	b := make([]byte, 1024)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// phasedSource emits its phases in order; before each phase after the
// first it waits for release. After the last it blocks until cancelled.
type phasedSource struct {
	phases  [][]update
	release chan struct{}
}

func (s *phasedSource) CreateReader(weir.SourceContext) (weir.SourceReader[update], error) {
	return &phasedReader{s: s}, nil
}

type phasedReader struct {
	s            *phasedSource
	phase, index int
}

func (r *phasedReader) Fetch(ctx context.Context, buf []update) ([]update, [][]byte, error) {
	for r.phase < len(r.s.phases) && r.index == len(r.s.phases[r.phase]) {
		r.phase, r.index = r.phase+1, 0
		if r.phase == len(r.s.phases) {
			break
		}
		select {
		case <-r.s.release:
		case <-ctx.Done():
			return buf, nil, ctx.Err()
		}
	}
	if r.phase == len(r.s.phases) {
		<-ctx.Done()
		return buf, nil, ctx.Err()
	}
	p := r.s.phases[r.phase]
	n := min(cap(buf)-len(buf), len(p)-r.index)
	buf = append(buf, p[r.index:r.index+n]...)
	r.index += n
	return buf, nil, nil
}

func (r *phasedReader) Close() error { return nil }

// blobStore keeps the latest payload per key.
type blobStore struct {
	v    weir.ValueState[[]byte]
	seen *atomic.Int64
}

func (b *blobStore) Open(ctx *weir.OpenContext[int64]) (err error) {
	b.v, err = weir.NewValueState[[]byte](ctx, "blob")
	return err
}

func (b *blobStore) ProcessElement(_ *weir.Context[int64], u update, _ weir.Collector[int64]) error {
	defer b.seen.Add(1)
	return b.v.Update(payload(u.Key, u.Phase))
}

// awaitCond waits up to 60 s for cond.
func awaitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Await(t, 60*time.Second, cond, func() string { return "waiting for " + what })
}

// TestIncrementalCheckpointsUploadWhatChanged: 20 000 keys of 1 KiB each,
// then 1% of them changed. With incremental checkpoints the checkpoints
// after the change write about the change; without, each writes the whole
// state. After the job is cancelled, shared/ holds exactly the files the
// retained checkpoint references: none missing, none left behind.
func TestIncrementalCheckpointsUploadWhatChanged(t *testing.T) {
	const keys, changed = 10_000, 100
	for _, incremental := range []bool{true, false} {
		name := "full"
		if incremental {
			name = "incremental"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			first := make([]update, keys)
			for i := range first {
				first[i] = update{Key: int64(i), Phase: 1}
			}
			second := make([]update, changed)
			for i := range second {
				second[i] = update{Key: int64(i * (keys / changed)), Phase: 2}
			}
			src := &phasedSource{phases: [][]update{first, second}, release: make(chan struct{})}
			e := env(t, "parallelism.default=1", "state.backend.type=pebble",
				"execution.checkpointing.incremental="+map[bool]string{true: "true", false: "false"}[incremental],
				"execution.checkpointing.interval=100ms", "execution.checkpointing.dir="+dir,
				"execution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION",
				"state.backend.rocksdb.writebuffer.size=1mb", "state.backend.rocksdb.localdir="+filepath.Join(dir, "local"))
			var seen atomic.Int64
			s := weir.FromSource(e, weir.Source[update](src), "Updates")
			out := weir.Process(weir.KeyBy(s, func(u update) int64 { return u.Key }), func() weir.KeyedProcessFunction[int64, update, int64] {
				return &blobStore{seen: &seen}
			}).UID("blobs")
			out.SinkTo(discard.New[int64](), "Discard")
			done := make(chan error, 1)
			go func() { done <- e.Execute(context.Background(), "blobs") }()
			stats := func() checkpoint.Stats { s, _ := e.Job().CheckpointStats(); return s }

			awaitCond(t, "the first phase", func() bool { return seen.Load() == keys })
			c0 := stats().Completed
			// Compactions rewrite the first phase's SSTs for a while, and an
			// incremental checkpoint uploads what they write. Start once the
			// LSM has settled: ten checkpoints in a row (a second) that
			// wrote next to nothing.
			awaitCond(t, "the LSM to settle after the first phase", func() bool {
				st := stats()
				if st.Completed < c0+10 || len(st.History) < 10 {
					return false
				}
				for _, h := range st.History[:10] {
					if h.Status != checkpoint.StatusCompleted || incremental && h.CheckpointedSize > h.StateSize/100 {
						return false
					}
				}
				return true
			})
			base := *stats().LatestCompleted
			src.release <- struct{}{}
			awaitCond(t, "the second phase", func() bool { return seen.Load() == keys+changed })
			// The first checkpoint triggered from now on has the change in
			// its flush; its synchronous part captures the files before any
			// compaction the flush starts can finish. (Compactions rewrite
			// SSTs later, and later checkpoints upload what they write: the
			// LSM's write amplification, as with RocksDB.)
			last := checkpoint.ID(stats().Triggered + 1)
			awaitCond(t, "the checkpoint after the second phase", func() bool {
				l := stats().LatestCompleted
				return l != nil && l.ID >= last
			})

			var written int64
			var after []checkpoint.CheckpointStats
			for _, h := range stats().History {
				if h.ID > base.ID && h.ID <= last && h.Status == checkpoint.StatusCompleted {
					written += h.CheckpointedSize
					after = append(after, h)
				}
			}
			t.Logf("state %d bytes; %d checkpoints after the change wrote %d bytes", base.StateSize, len(after), written)
			if base.StateSize < keys*1024 {
				t.Fatalf("state is %d bytes, less than its %d KiB of payload", base.StateSize, keys)
			}
			if incremental {
				if written > base.StateSize/10 {
					t.Fatalf("incremental checkpoints after changing 1%% of keys wrote %d bytes of a %d-byte state", written, base.StateSize)
				}
				if written < changed*1024 {
					t.Fatalf("incremental checkpoints after the change wrote %d bytes, less than the %d changed KiB", written, changed)
				}
			} else {
				for _, h := range after {
					if h.CheckpointedSize < h.StateSize*9/10 {
						t.Fatalf("full checkpoint %d wrote %d of %d bytes", h.ID, h.CheckpointedSize, h.StateSize)
					}
				}
			}

			if err := e.Job().Cancel(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err == nil || !strings.Contains(err.Error(), "cancel") {
				t.Logf("job ended with %v", err)
			}
			checkSharedFiles(t, dir, "blobs", incremental)
			if _, err := os.Stat(filepath.Join(dir, "local")); err == nil {
				entries, _ := os.ReadDir(filepath.Join(dir, "local"))
				if len(entries) != 0 {
					t.Fatalf("local state left behind: %v", entries)
				}
			}
		})
	}
}

// checkSharedFiles checks that the files under <dir>/<job>/shared are
// exactly those the retained checkpoint references.
func checkSharedFiles(t *testing.T, dir, job string, incremental bool) {
	t.Helper()
	st, err := storage.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	infos, err := st.List(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Status != storage.StatusComplete {
		t.Fatalf("retained %+v, want one complete checkpoint", infos)
	}
	u, err := st.SharedFiles(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if incremental && len(u.Referenced) == 0 {
		t.Fatal("the retained incremental checkpoint references no shared file")
	}
	if !incremental && len(u.Stored) != 0 {
		t.Fatalf("full checkpoints left shared files: %v", u.Stored)
	}
	for _, p := range u.Problems() {
		t.Error(p)
	}
}
