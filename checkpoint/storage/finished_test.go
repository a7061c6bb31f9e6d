package storage

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
)

// TestFinishedMarker: the marker of a finished job is absent until written
// (ErrNotFound, which is permanent), reads back what was written, lives at
// <job>/_finished, survives the job's checkpoints being discarded, and is
// gone after ClearFinished (which a second call does not mind).
func TestFinishedMarker(t *testing.T) { backends(t, testFinishedMarker) }

func testFinishedMarker(t *testing.T, st *Storage) {
	job := "word count"
	if _, err := st.ReadFinished(ctx, job); !errors.Is(err, ErrNotFound) || !Permanent(err) {
		t.Fatalf("no marker yet: %v, want ErrNotFound", err)
	}
	writeCheckpoint(t, st, job, 4)
	at := time.Date(2026, 12, 3, 10, 40, 44, 123, time.UTC)
	if err := st.MarkFinished(ctx, job, Finished{Job: job, At: at, Checkpoint: 4}); err != nil {
		t.Fatal(err)
	}
	if err := st.Discard(ctx, job, 4); err != nil {
		t.Fatal(err)
	}
	f, err := st.ReadFinished(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if f.Job != job || !f.At.Equal(at) || f.Checkpoint != 4 {
		t.Fatalf("marker reads %+v, want job %q at %v checkpoint 4", f, job, at)
	}
	if p := st.FinishedPath(job); !strings.HasSuffix(p, "word_count/"+FinishedName) {
		t.Fatalf("FinishedPath %q, want .../word_count/_finished", p)
	}
	// The marker is not a checkpoint: the job directory lists none.
	infos, err := st.List(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 0 {
		t.Fatalf("List after the finish: %v, want no checkpoints", infos)
	}
	for i := 0; i < 2; i++ {
		if err := st.ClearFinished(ctx, job); err != nil {
			t.Fatalf("ClearFinished #%d: %v", i+1, err)
		}
	}
	if _, err := st.ReadFinished(ctx, job); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after ClearFinished: %v, want ErrNotFound", err)
	}
}

// TestPermanent: what retrying cannot change is permanent; anything else
// (a storage that cannot be reached) is not, so a restore retries it.
func TestPermanent(t *testing.T) {
	for _, err := range []error{ErrCorrupt, ErrNotFound, ErrIncomplete, ErrNoCheckpoint, ErrNotCheckpoint, ErrUnsupportedScheme, ErrUnsupportedVersion, ErrExists} {
		if !Permanent(fmt.Errorf("chk-%d: %w", checkpoint.ID(3), err)) {
			t.Errorf("%v is not permanent", err)
		}
	}
	if Permanent(errors.New("dial tcp 127.0.0.1:9000: connect: connection refused")) {
		t.Error("a refused connection is permanent")
	}
}
