package runtime

import (
	"fmt"
	"testing"
	"time"
)

func TestAlignerExactlyOnce(t *testing.T) {
	now := time.Unix(0, 0)
	a := newAligner(3, true)
	if r := a.barrier(0, CheckpointBarrier{ID: 1}, now); !r.block || r.complete != 0 {
		t.Fatalf("first barrier: %+v", r)
	}
	if r := a.barrier(2, CheckpointBarrier{ID: 1}, now); !r.block || r.complete != 0 {
		t.Fatalf("second barrier: %+v", r)
	}
	r := a.barrier(1, CheckpointBarrier{ID: 1}, now)
	if r.block || r.complete != 1 || fmt.Sprint(r.release) != "[0 2]" {
		t.Fatalf("last barrier: %+v", r)
	}
	// A late duplicate of an aligned checkpoint is ignored.
	if r := a.barrier(0, CheckpointBarrier{ID: 1}, now); r.block || r.complete != 0 {
		t.Fatalf("stale barrier: %+v", r)
	}
}

func TestAlignerEndedChannelsCount(t *testing.T) {
	now := time.Unix(0, 0)
	a := newAligner(2, true)
	a.end(1)
	if r := a.barrier(0, CheckpointBarrier{ID: 5}, now); r.complete != 5 || r.block {
		t.Fatalf("barrier with the other channel ended: %+v", r)
	}
	b := newAligner(2, true)
	b.barrier(0, CheckpointBarrier{ID: 2}, now)
	if r := b.end(1); r.complete != 2 || fmt.Sprint(r.release) != "[0]" {
		t.Fatalf("end completing an alignment: %+v", r)
	}
}

func TestAlignerNewerBarrierAbortsOlder(t *testing.T) {
	now := time.Unix(0, 0)
	a := newAligner(2, true)
	a.barrier(0, CheckpointBarrier{ID: 1}, now)
	r := a.barrier(1, CheckpointBarrier{ID: 2}, now)
	if r.aborted != 1 || fmt.Sprint(r.release) != "[0]" || !r.block {
		t.Fatalf("newer barrier: %+v", r)
	}
	if r := a.barrier(0, CheckpointBarrier{ID: 1}, now); r.block {
		t.Fatalf("barrier of the aborted checkpoint blocked: %+v", r)
	}
	if r := a.barrier(0, CheckpointBarrier{ID: 2}, now); r.complete != 2 {
		t.Fatalf("completing 2: %+v", r)
	}
}

func TestAlignerAtLeastOnceNeverBlocks(t *testing.T) {
	now := time.Unix(0, 0)
	a := newAligner(2, false)
	if r := a.barrier(1, CheckpointBarrier{ID: 3}, now); r.block || r.complete != 0 {
		t.Fatalf("%+v", r)
	}
	if r := a.barrier(0, CheckpointBarrier{ID: 3}, now); r.block || r.complete != 3 || len(r.release) != 0 {
		t.Fatalf("%+v", r)
	}
}

func TestAlignerAbortFromCoordinator(t *testing.T) {
	now := time.Unix(0, 0)
	a := newAligner(2, true)
	a.barrier(0, CheckpointBarrier{ID: 4}, now)
	if rel := a.abort(4); fmt.Sprint(rel) != "[0]" {
		t.Fatalf("abort released %v", rel)
	}
	if r := a.barrier(1, CheckpointBarrier{ID: 4}, now); r.block || r.complete != 0 {
		t.Fatalf("barrier after abort: %+v", r)
	}
}
