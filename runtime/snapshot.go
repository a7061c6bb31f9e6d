package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/internal/keygroup"
)

// CheckpointBarrier travels in-band with the records: every record before
// it belongs to checkpoint ID, every record after it to the next.
type CheckpointBarrier struct {
	ID        int64
	Timestamp time.Time
}

func (CheckpointBarrier) event() {}

// StatefulOperator is implemented by an operator with state that must
// survive failures.
//
// SnapshotState is the synchronous part of checkpoint id: it runs on the
// subtask's goroutine between two records and must capture an immutable view
// of the state in time that does not grow with the state's size. The
// returned snapshot is written out asynchronously while records flow again.
type StatefulOperator interface {
	SnapshotState(id int64) (OperatorSnapshot, error)
}

// CheckpointListener is implemented by an operator that acts when a
// checkpoint completes (a two-phase-commit sink commits then). It runs on
// the subtask's goroutine.
type CheckpointListener interface {
	NotifyCheckpointComplete(id int64) error
}

// OperatorSnapshot is what one operator captured for one checkpoint.
type OperatorSnapshot struct {
	// Keyed is the keyed state, written by the asynchronous part; nil if the
	// operator keeps none.
	Keyed     KeyedSnapshot
	KeyGroups keygroup.Range
	// Lists are operator list states (source positions, sink
	// committables): small, stored inline in the checkpoint's metadata.
	Lists []ListSnapshot
}

// KeyedSnapshot is an immutable view of keyed state. WriteTo may run on any
// goroutine, concurrently with the operator; it writes one section per key
// group and returns each section's offset. Release frees the view.
type KeyedSnapshot interface {
	WriteSections(w io.Writer) (offsets []int64, size int64, err error)
	Release()
}

// ListSnapshot is one operator list state: entries are redistributed
// among subtasks by Mode when the parallelism changes.
type ListSnapshot struct {
	Name    string
	Mode    checkpoint.Distribution
	Entries [][]byte
}

// OperatorRestore is the state an operator instance starts from.
type OperatorRestore struct {
	// Keyed holds every keyed state file that covers some of this
	// subtask's key groups.
	Keyed []KeyedRestore
	// Lists holds, per list state name, the entries redistributed to this
	// subtask (a non-nil, possibly empty slice for every name the operator
	// ever stored).
	Lists map[string][][]byte
}

// KeyedRestore is one keyed state file: the groups it covers, the offset of
// each group's section, and its bytes.
type KeyedRestore struct {
	KeyGroups keygroup.Range
	Offsets   []int64
	Data      []byte
}

// CheckpointStorage is where a job's checkpoints go; the executor's caller
// binds it to one job and one location.
type CheckpointStorage interface {
	WriteState(ctx context.Context, id int64, name string, data []byte) (checkpoint.FileRef, error)
	ReadState(ctx context.Context, ref checkpoint.FileRef) ([]byte, error)
	WriteMetadata(ctx context.Context, cp *checkpoint.CompletedCheckpoint) error
	Discard(ctx context.Context, id int64) error
}

// ErrCorruptCheckpoint marks checkpoint content that does not decode.
var ErrCorruptCheckpoint = errors.New("corrupt checkpoint")

// Source and sink operator list state names.
const (
	sourcePositionState   = "source-position"
	sinkCommittablesState = "sink-committables"
)

// taskCheckpointer is a subtask's part in checkpoints.
type taskCheckpointer struct {
	key      checkpoint.SubtaskKey
	uids     []string // per operator of the chain
	storage  CheckpointStorage
	messages chan<- any // acks and declines, to the coordinator's driver
	aligner  *aligner   // nil for sources
	last     int64      // newest checkpoint taken
	// awaiting holds triggers of checkpoints whose barrier has not reached
	// this (non-source) subtask yet: if the input ends first, the subtask
	// takes them with its final state.
	awaiting []CheckpointBarrier
}

// triggered handles the coordinator's trigger of checkpoint b, on the
// subtask's goroutine.
func (t *subtask) triggered(ctx context.Context, b CheckpointBarrier) error {
	if t.ended || t.gate == nil {
		return t.checkpoint(ctx, b, time.Time{})
	}
	t.ckpt.awaiting = append(t.ckpt.awaiting, b)
	return nil
}

// takeAwaiting takes, once the input has ended, the checkpoints triggered
// whose barrier never came.
func (t *subtask) takeAwaiting(ctx context.Context) error {
	for _, b := range t.ckpt.awaiting {
		if err := t.checkpoint(ctx, b, time.Time{}); err != nil {
			return err
		}
	}
	t.ckpt.awaiting = nil
	return nil
}

// checkpoint takes checkpoint b on the subtask's goroutine: it forwards the
// barrier, takes every operator's synchronous snapshot, and hands the
// writing to a goroutine the subtask owns.
func (t *subtask) checkpoint(ctx context.Context, b CheckpointBarrier, alignStart time.Time) error {
	c := t.ckpt
	if b.ID <= c.last {
		return nil
	}
	c.last = b.ID
	if !t.ended { // after the end of the input, downstream expects nothing more
		for _, w := range t.writers {
			if err := w.BroadcastEvent(b); err != nil {
				return err
			}
		}
	}
	// The synchronous part is the operators' snapshots alone: forwarding
	// the barrier may wait for credit under backpressure, which is not
	// snapshot time.
	start := time.Now()
	snaps := make([]OperatorSnapshot, len(t.ops))
	for i, op := range t.ops {
		so, ok := op.(StatefulOperator)
		if !ok {
			continue
		}
		s, err := so.SnapshotState(b.ID)
		if err != nil {
			for _, done := range snaps[:i] {
				if done.Keyed != nil {
					done.Keyed.Release()
				}
			}
			t.decline(ctx, b.ID, fmt.Errorf("%w: %w", checkpoint.ErrAsyncSnapshot, err))
			return err
		}
		snaps[i] = s
	}
	metrics := checkpoint.SubtaskMetrics{SyncDuration: time.Since(start)}
	if !alignStart.IsZero() {
		metrics.Alignment = start.Sub(alignStart)
	}
	metrics.StartDelay = max(0, alignOrStart(alignStart, start).Sub(b.Timestamp))
	t.async.Add(1)
	go func() {
		defer t.async.Done()
		asyncStart := time.Now()
		states, err := c.write(ctx, b.ID, snaps)
		if err != nil {
			t.decline(ctx, b.ID, fmt.Errorf("%w: %w", checkpoint.ErrAsyncSnapshot, err))
			return
		}
		metrics.AsyncDuration = time.Since(asyncStart)
		for _, s := range states {
			metrics.StateSize += s.Size()
		}
		metrics.CheckpointedSize = metrics.StateSize
		t.send(ctx, &checkpoint.Ack{Checkpoint: checkpoint.ID(b.ID), Task: c.key, States: states, Metrics: metrics, At: time.Now()})
	}()
	return nil
}

func alignOrStart(alignStart, start time.Time) time.Time {
	if alignStart.IsZero() {
		return start
	}
	return alignStart
}

func (t *subtask) decline(ctx context.Context, id int64, cause error) {
	t.logger.Warn("declining checkpoint", "checkpoint", id, "cause", cause)
	t.send(ctx, &checkpoint.Decline{Checkpoint: checkpoint.ID(id), Task: t.ckpt.key, Cause: cause, At: time.Now()})
}

func (t *subtask) send(ctx context.Context, msg any) {
	select {
	case t.ckpt.messages <- msg:
	case <-ctx.Done():
	}
}

// write is the asynchronous part: keyed state to files, list states inline.
func (c *taskCheckpointer) write(ctx context.Context, id int64, snaps []OperatorSnapshot) ([]checkpoint.OperatorSubtaskState, error) {
	states := make([]checkpoint.OperatorSubtaskState, len(snaps))
	var errs []error
	for i, s := range snaps {
		st := checkpoint.OperatorSubtaskState{OperatorUID: c.uids[i], Subtask: c.key.Subtask}
		if s.Keyed != nil {
			var buf bytes.Buffer
			offsets, _, err := s.Keyed.WriteSections(&buf)
			s.Keyed.Release()
			if err == nil {
				var ref checkpoint.FileRef
				name := fmt.Sprintf("%s-%d-keyed", c.uids[i], c.key.Subtask)
				ref, err = c.storage.WriteState(ctx, id, name, buf.Bytes())
				st.Keyed = append(st.Keyed, checkpoint.KeyedStateHandle{
					KeyGroups: checkpoint.KeyGroupRange{Start: s.KeyGroups.Start, End: s.KeyGroups.End},
					File:      ref, Offsets: offsets})
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("operator %s: keyed state: %w", c.uids[i], err))
			}
		}
		if len(s.Lists) > 0 {
			var data []byte
			h := checkpoint.OperatorStateHandle{}
			for _, l := range s.Lists {
				nl := checkpoint.NamedListState{Name: l.Name, Mode: l.Mode, Offsets: make([]int64, 0, len(l.Entries))}
				for _, e := range l.Entries {
					nl.Offsets = append(nl.Offsets, int64(len(data)))
					data = append(data, e...)
				}
				h.States = append(h.States, nl)
			}
			if data == nil {
				data = []byte{}
			}
			h.File = checkpoint.InlineRef(data)
			st.Operator = append(st.Operator, h)
		}
		states[i] = st
	}
	return states, errors.Join(errs...)
}

// restoreFor computes what operator uid's subtask of parallelism p starts
// from in cp, reading keyed state files through storage.
func restoreFor(ctx context.Context, cp *checkpoint.CompletedCheckpoint, storage CheckpointStorage, uid string, subtask, p, maxP int, cache map[string][]byte) (*OperatorRestore, error) {
	r := &OperatorRestore{Lists: map[string][][]byte{}}
	os, ok := cp.Operators[uid]
	if !ok {
		return r, nil
	}
	mine := keygroup.RangeFor(maxP, p, subtask)
	all := map[string][][]byte{}
	modes := map[string]checkpoint.Distribution{}
	var names []string
	for _, st := range os.Subtasks {
		for _, k := range st.Keyed {
			kr := keygroup.Range{Start: k.KeyGroups.Start, End: k.KeyGroups.End}
			if max(kr.Start, mine.Start) >= min(kr.End, mine.End) {
				continue
			}
			data, ok := cache[k.File.Path]
			if !ok || k.File.IsInline() { // inline state has no path to cache by
				var err error
				if data, err = storage.ReadState(ctx, k.File); err != nil {
					return nil, fmt.Errorf("operator %s: %w", uid, err)
				}
				if !k.File.IsInline() {
					cache[k.File.Path] = data
				}
			}
			r.Keyed = append(r.Keyed, KeyedRestore{KeyGroups: kr, Offsets: k.Offsets, Data: data})
		}
		for _, h := range st.Operator {
			data := h.File.Inline
			if data == nil {
				var err error
				if data, err = storage.ReadState(ctx, h.File); err != nil {
					return nil, fmt.Errorf("operator %s: %w", uid, err)
				}
			}
			for _, l := range h.States {
				if _, seen := modes[l.Name]; !seen {
					names = append(names, l.Name)
				}
				modes[l.Name] = l.Mode
				for j, off := range l.Offsets {
					end := int64(len(data))
					if j+1 < len(l.Offsets) {
						end = l.Offsets[j+1]
					} else if next := nextListStart(h.States, l.Name); next >= 0 {
						end = next
					}
					if off < 0 || off > end || end > int64(len(data)) {
						return nil, fmt.Errorf("operator %s: list state %q: entry %d out of bounds: %w", uid, l.Name, j, ErrCorruptCheckpoint)
					}
					all[l.Name] = append(all[l.Name], data[off:end])
				}
			}
		}
	}
	for _, name := range names {
		entries := all[name]
		out := [][]byte{}
		if modes[name] == checkpoint.UnionDistribute {
			out = append(out, entries...)
		} else {
			for i := subtask; i < len(entries); i += p {
				out = append(out, entries[i])
			}
		}
		r.Lists[name] = out
	}
	return r, nil
}

// nextListStart is the offset of the first entry of the list state after
// name in the same file, or -1.
func nextListStart(states []checkpoint.NamedListState, name string) int64 {
	for i, s := range states {
		if s.Name == name {
			for _, n := range states[i+1:] {
				if len(n.Offsets) > 0 {
					return n.Offsets[0]
				}
			}
			return -1
		}
	}
	return -1
}
