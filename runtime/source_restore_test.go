package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
)

// splitSource is a replayable source whose subtask i of p owns split
// "s<i>" on a fresh start, and the splits of its entries on a restore. Its
// readers return nothing until cancelled (a source slow to start, as under
// CPU load), and it records what each CreateReader was given.
type splitSource struct {
	noStart bool // the readers do not implement connector.StartPositioner

	mu       sync.Mutex
	restored map[int][][]byte // by subtask; nil entry: a fresh start
}

func (s *splitSource) CreateReader(ctx connector.SourceContext) (connector.SourceReader[string], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.restored == nil {
		s.restored = map[int][][]byte{}
	}
	s.restored[ctx.Subtask] = ctx.Restored
	splits := ctx.Restored
	if splits == nil {
		splits = [][]byte{fmt.Appendf(nil, "s%d", ctx.Subtask)}
	}
	r := &idleReader{splits: splits}
	if s.noStart {
		return plainIdleReader{r}, nil
	}
	return r, nil
}

// given is what subtask's reader was given: "fresh", or its entries.
func (s *splitSource) given(subtask int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.restored[subtask]
	switch {
	case !ok:
		return "not created"
	case e == nil:
		return "fresh"
	}
	return fmt.Sprintf("%q", e)
}

type idleReader struct{ splits [][]byte }

func (r *idleReader) Fetch(ctx context.Context, buf []string) ([]string, [][]byte, error) {
	<-ctx.Done()
	return buf, nil, ctx.Err()
}
func (r *idleReader) StartPosition() [][]byte { return slices.Clone(r.splits) }
func (r *idleReader) Close() error            { return nil }

type plainIdleReader struct{ r *idleReader }

func (p plainIdleReader) Fetch(ctx context.Context, buf []string) ([]string, [][]byte, error) {
	return p.r.Fetch(ctx, buf)
}
func (p plainIdleReader) Close() error { return nil }

// openSource opens subtask i of p of src, restored from r (nil: fresh).
// openedSource is a source operator as the runtime drives it.
type openedSource interface {
	operator.Operator
	operator.StatefulOperator
}

func openSource(t *testing.T, src connector.Source[string], i, p int, r *operator.OperatorRestore) openedSource {
	t.Helper()
	node := &operator.SourceNode[string]{Source: src}
	octx := &operator.Context{Context: t.Context(), Node: &graph.Node{Name: "Src", UID: "src"}, Subtask: i, Parallelism: p,
		Logger: slog.New(slog.DiscardHandler), Record: &operator.RecordContext{}, Restore: r}
	_, op, err := node.Build(octx, operator.Output[string](&sliceOutput[string]{}))
	if err != nil {
		t.Fatal(err)
	}
	so := op.(openedSource)
	if err := so.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := so.Close(); err != nil {
			t.Error(err)
		}
	})
	return so
}

// checkpointOf is the completed checkpoint 1 of operator "src" whose
// subtasks took snaps, written as the runtime writes list states.
func checkpointOf(t *testing.T, snaps []operator.OperatorSnapshot) *checkpoint.CompletedCheckpoint {
	t.Helper()
	os := &checkpoint.OperatorState{Parallelism: len(snaps), MaxParallelism: 128}
	for i, s := range snaps {
		c := &taskCheckpointer{key: checkpoint.SubtaskKey{Subtask: i}, uids: []string{"src"}}
		states, _, err := c.write(t.Context(), 1, []operator.OperatorSnapshot{s})
		if err != nil {
			t.Fatal(err)
		}
		os.Subtasks = append(os.Subtasks, states...)
	}
	return &checkpoint.CompletedCheckpoint{ID: 1, Operators: map[string]*checkpoint.OperatorState{"src": os}}
}

// restoreAll restores every subtask of src at parallelism p from cp and
// returns what each reader was given.
func restoreAll(t *testing.T, src *splitSource, cp *checkpoint.CompletedCheckpoint, p int) []string {
	t.Helper()
	var got []string
	for i := range p {
		r, err := restoreFor(t.Context(), cp, nil, "src", i, p, 128, map[string][]byte{})
		if err != nil {
			t.Fatal(err)
		}
		openSource(t, src, i, p, r)
		got = append(got, src.given(i))
	}
	return got
}

// A checkpoint taken before the sources returned their first batch (the
// first checkpoint under CPU load) must still hold every split: restored
// from it, the job reads all of its input again, at the same parallelism
// and at another one. Before connector.StartPositioner, the checkpoint held no
// position and the restored subtasks were given none: they read nothing
// and the job ended at once, "successfully", with an empty output.
func TestSourceCheckpointBeforeFirstBatchHoldsItsSplits(t *testing.T) {
	src := &splitSource{}
	var snaps []operator.OperatorSnapshot
	for i := range 2 {
		s, err := openSource(t, src, i, 2, nil).SnapshotState(1)
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	cp := checkpointOf(t, snaps)
	if got, want := restoreAll(t, src, cp, 2), []string{`["s0"]`, `["s1"]`}; !slices.Equal(got, want) {
		t.Fatalf("restored at parallelism 2, the readers were given %q, want %q", got, want)
	}
	if got, want := restoreAll(t, src, cp, 3), []string{`["s0"]`, `["s1"]`, `[]`}; !slices.Equal(got, want) {
		t.Fatalf("restored at parallelism 3, the readers were given %q, want %q", got, want)
	}
}

// A checkpoint in which one source subtask stored a position and another
// none (its reader, without connector.StartPositioner, had returned nothing yet):
// at the same parallelism each subtask gets back what it stored, and the
// one that stored nothing starts afresh with its own split. Before, the
// entries were dealt round-robin: subtask 1's position went to subtask 0,
// subtask 1 was given nothing and ended at once, and split s0 was lost.
func TestRestoreGivesEachSourceSubtaskItsOwnPosition(t *testing.T) {
	src := &splitSource{noStart: true}
	fresh, err := openSource(t, src, 0, 2, nil).SnapshotState(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh.Lists) != 0 {
		t.Fatalf("a reader without connector.StartPositioner stored %v before its first batch", fresh.Lists)
	}
	read := operator.OperatorSnapshot{Lists: []operator.ListSnapshot{{Name: operator.SourcePositionState, Mode: checkpoint.SplitDistribute, Entries: [][]byte{[]byte("s1@40")}}}}
	cp := checkpointOf(t, []operator.OperatorSnapshot{fresh, read})
	if got, want := restoreAll(t, src, cp, 2), []string{"fresh", `["s1@40"]`}; !slices.Equal(got, want) {
		t.Fatalf("the readers were given %q, want %q", got, want)
	}
}

// The same checkpoint cannot be restored at another parallelism: what
// subtask 1 would have read is not in it. The restore says so, and how to
// get on, instead of dealing out the one position and losing the rest.
func TestRestoreRefusesMissingSourcePositionAtOtherParallelism(t *testing.T) {
	read := operator.OperatorSnapshot{Lists: []operator.ListSnapshot{{Name: operator.SourcePositionState, Mode: checkpoint.SplitDistribute, Entries: [][]byte{[]byte("s1@40")}}}}
	cp := checkpointOf(t, []operator.OperatorSnapshot{{}, read})
	_, err := restoreFor(t.Context(), cp, nil, "src", 0, 3, 128, map[string][]byte{})
	if !errors.Is(err, ErrMissingListState) {
		t.Fatalf("restore at parallelism 3: %v, want ErrMissingListState", err)
	}
	for _, words := range []string{"checkpoint 1", "operator src", `"source-position"`, "subtask 1 of 2 stored none", "restore it at parallelism 2"} {
		if !strings.Contains(err.Error(), words) {
			t.Errorf("error %q does not say %q", err, words)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is more than one line", err)
	}
}
