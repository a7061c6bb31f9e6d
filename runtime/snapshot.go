package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/internal/keygroup"
	"github.com/weirstream/weir/operator"
)

// CheckpointBarrier travels in-band with the records: every record before
// it belongs to checkpoint ID, every record after it to the next.
type CheckpointBarrier struct {
	ID        int64
	Timestamp time.Time
}

// CheckpointStorage is where a job's checkpoints go; the executor's caller
// binds it to one job and one location.
type CheckpointStorage interface {
	WriteState(ctx context.Context, id int64, name string, data []byte) (checkpoint.FileRef, error)
	// WriteStateFrom is WriteState for a stream.
	WriteStateFrom(ctx context.Context, id int64, name string, r io.Reader) (checkpoint.FileRef, error)
	// WriteShared writes a file that later checkpoints may reference too,
	// first uploaded for checkpoint id.
	WriteShared(ctx context.Context, id int64, name string, r io.Reader) (checkpoint.FileRef, error)
	ReadState(ctx context.Context, ref checkpoint.FileRef) ([]byte, error)
	// OpenState streams a file of checkpoint cp.
	OpenState(ctx context.Context, cp int64, ref checkpoint.FileRef) (io.ReadCloser, error)
	WriteMetadata(ctx context.Context, cp *checkpoint.CompletedCheckpoint) error
	Discard(ctx context.Context, id int64) error
}

// ErrCorruptCheckpoint marks checkpoint content that does not decode.
var ErrCorruptCheckpoint = errors.New("corrupt checkpoint")

// taskCheckpointer is a subtask's part in checkpoints.
type taskCheckpointer struct {
	key         checkpoint.SubtaskKey
	incremental bool // execution.checkpointing.incremental
	shared      *sharedFiles
	uids        []string // per operator of the chain
	storage     CheckpointStorage
	messages    chan<- any   // acks and declines, to the coordinator's driver
	aligner     *aligner     // nil for sources
	last        int64        // newest checkpoint taken
	fence       func() error // JobSpec.Fence
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
	if c.fence != nil {
		// A task manager that has not heard from its job manager for
		// longer than the heartbeat timeout may have been declared lost
		// and replaced: it takes no snapshot (a sink would prepare files
		// no one commits).
		if err := c.fence(); err != nil {
			return err
		}
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
	snaps := make([]operator.OperatorSnapshot, len(t.ops))
	for i, op := range t.ops {
		so, ok := op.(operator.StatefulOperator)
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
		states, written, err := c.write(ctx, b.ID, snaps)
		if err != nil {
			t.decline(ctx, b.ID, fmt.Errorf("%w: %w", checkpoint.ErrAsyncSnapshot, err))
			return
		}
		metrics.AsyncDuration = time.Since(asyncStart)
		for _, s := range states {
			metrics.StateSize += s.Size()
		}
		metrics.CheckpointedSize = written
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
// It returns the states and the number of bytes it wrote (less than their
// size when an incremental checkpoint referred to files already uploaded).
func (c *taskCheckpointer) write(ctx context.Context, id int64, snaps []operator.OperatorSnapshot) ([]checkpoint.OperatorSubtaskState, int64, error) {
	states := make([]checkpoint.OperatorSubtaskState, len(snaps))
	var errs []error
	var written int64
	for i, s := range snaps {
		st := checkpoint.OperatorSubtaskState{OperatorUID: c.uids[i], Subtask: c.key.Subtask}
		if s.Keyed != nil {
			h, n, err := c.writeKeyed(ctx, id, i, s)
			s.Keyed.Release()
			written += n
			if err != nil {
				errs = append(errs, fmt.Errorf("operator %s: keyed state: %w", c.uids[i], err))
			} else {
				st.Keyed = append(st.Keyed, h)
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
			written += h.File.Size
			st.Operator = append(st.Operator, h)
		}
		states[i] = st
	}
	return states, written, errors.Join(errs...)
}

// writeKeyed writes operator op's keyed snapshot and returns its handle and
// the bytes written.
func (c *taskCheckpointer) writeKeyed(ctx context.Context, id int64, op int, s operator.OperatorSnapshot) (checkpoint.KeyedStateHandle, int64, error) {
	h := checkpoint.KeyedStateHandle{KeyGroups: checkpoint.KeyGroupRange{Start: s.KeyGroups.Start, End: s.KeyGroups.End}}
	prefix := fmt.Sprintf("%s-%d", c.uids[op], c.key.Subtask)
	switch k := s.Keyed.(type) {
	case operator.SectionSnapshot:
		// The sections stream to storage as they are encoded: held in
		// memory, the encoded snapshot (and a bytes.Buffer's doubling)
		// would add up to twice its size to the heap at every checkpoint,
		// past the heap backend's budget (issue 11 item 9).
		pr, pw := io.Pipe()
		var offsets []int64
		var werr error
		encoded := make(chan struct{})
		go func() {
			defer close(encoded)
			offsets, _, werr = k.WriteSections(ctxWriter{ctx, pw})
			pw.CloseWithError(werr) // nil: the reader sees io.EOF
		}()
		ref, err := c.storage.WriteStateFrom(ctx, id, prefix+"-keyed", pr)
		// Storage that stopped reading early (an error) unblocks the encoder.
		pr.CloseWithError(errStorageStopped)
		<-encoded
		if err != nil {
			return h, ref.Size, err
		}
		if werr != nil {
			return h, ref.Size, werr
		}
		h.File, h.Offsets = ref, offsets
		return h, ref.Size, nil
	case operator.FileSnapshot:
		h.Format = checkpoint.FormatPebble
		var written int64
		immutable := map[string]checkpoint.FileRef{}
		for _, f := range k.Files() {
			var ref checkpoint.FileRef
			reused := false
			if c.incremental && f.Immutable {
				ref, reused = c.shared.lookup(op, f.Name)
			}
			if !reused {
				var err error
				if ref, err = c.upload(ctx, id, prefix, f); err != nil {
					return h, written, fmt.Errorf("%s: %w", f.Name, err)
				}
				written += ref.Size
			}
			if f.Immutable {
				immutable[f.Name] = ref
			}
			h.Files = append(h.Files, checkpoint.NamedFile{Name: f.Name, File: ref})
		}
		if c.incremental {
			c.shared.add(id, op, immutable)
		}
		return h, written, nil
	default:
		return h, 0, fmt.Errorf("keyed snapshot of unknown kind %T", s.Keyed)
	}
}

// errStorageStopped ends the encoding of a keyed snapshot whose storage
// write returned before reading it all (it failed).
var errStorageStopped = errors.New("checkpoint storage stopped reading the keyed snapshot")

// ctxWriter fails writes once ctx is done: a job that failed (over its
// heap budget, say) must not go on filling memory with a snapshot that
// nothing will store.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// upload copies one local file of a operator.FileSnapshot to checkpoint storage:
// to shared/ if it is immutable and the checkpoint incremental, else to the
// checkpoint's own directory.
func (c *taskCheckpointer) upload(ctx context.Context, id int64, prefix string, f operator.SnapshotFile) (checkpoint.FileRef, error) {
	r, err := os.Open(f.Path)
	if err != nil {
		return checkpoint.FileRef{}, err
	}
	defer r.Close()
	if c.incremental && f.Immutable {
		return c.storage.WriteShared(ctx, id, prefix+"-"+f.Name, r)
	}
	return c.storage.WriteStateFrom(ctx, id, prefix+"-db/"+f.Name, r)
}

// sharedFiles remembers, per operator of a chain, which immutable files
// are in checkpoint storage already. Only the files of the newest
// checkpoint known to be complete are reused: a completed checkpoint is
// retained until a newer one completes, and shared files are deleted only
// when no retained checkpoint references them (storage.CollectShared), so
// what the newest complete checkpoint references is safe to refer to
// again. Files uploaded for a checkpoint still in progress are not reused:
// that checkpoint may fail and its files be collected.
type sharedFiles struct {
	mu        sync.Mutex
	confirmed map[int]map[string]checkpoint.FileRef           // by operator, file name
	pending   map[int64]map[int]map[string]checkpoint.FileRef // by checkpoint, operator, file name
}

func (s *sharedFiles) lookup(op int, name string) (checkpoint.FileRef, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.confirmed[op][name]
	return ref, ok
}

func (s *sharedFiles) add(id int64, op int, files map[string]checkpoint.FileRef) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = map[int64]map[int]map[string]checkpoint.FileRef{}
	}
	if s.pending[id] == nil {
		s.pending[id] = map[int]map[string]checkpoint.FileRef{}
	}
	s.pending[id][op] = files
}

// complete makes checkpoint id's files the ones to reuse and forgets
// older pending ones.
func (s *sharedFiles) complete(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pending[id]; ok {
		s.confirmed = p
	}
	for pid := range s.pending {
		if pid <= id {
			delete(s.pending, pid)
		}
	}
}

// restoreFor computes what operator uid's subtask of parallelism p starts
// from in cp, reading keyed state files through storage.
func restoreFor(ctx context.Context, cp *checkpoint.CompletedCheckpoint, storage CheckpointStorage, uid string, subtask, p, maxP int, cache map[string][]byte) (*operator.OperatorRestore, error) {
	r := &operator.OperatorRestore{Lists: map[string][][]byte{}}
	os, ok := cp.Operators[uid]
	if !ok {
		return r, nil
	}
	mine := checkpoint.KeyGroupRangeFor(maxP, p, subtask)
	all := map[string][][]byte{}
	own := map[string][][]byte{}          // this subtask's own entries, by name
	storedBy := map[string]map[int]bool{} // the subtasks that stored each name
	modes := map[string]checkpoint.Distribution{}
	var names []string
	for _, st := range os.Subtasks {
		for _, k := range st.Keyed {
			if k.KeyGroups.Intersect(mine).Len() == 0 {
				continue
			}
			kr := keygroup.Range{Start: k.KeyGroups.Start, End: k.KeyGroups.End}
			kr2 := operator.KeyedRestore{KeyGroups: kr, Format: k.Format, Checkpoint: int64(cp.ID)}
			if k.Format == checkpoint.FormatPebble {
				for _, f := range k.Files {
					ref := f.File
					kr2.Files = append(kr2.Files, operator.RestoreFile{Name: f.Name, Size: ref.Size,
						Open: func(ctx context.Context) (io.ReadCloser, error) { return storage.OpenState(ctx, int64(cp.ID), ref) }})
				}
				r.Keyed = append(r.Keyed, kr2)
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
			kr2.Offsets, kr2.Data = k.Offsets, data
			r.Keyed = append(r.Keyed, kr2)
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
					if st.Subtask == subtask {
						own[l.Name] = append(own[l.Name], data[off:end])
					}
				}
				if storedBy[l.Name] == nil {
					storedBy[l.Name] = map[int]bool{}
				}
				storedBy[l.Name][st.Subtask] = true
			}
		}
	}
	for _, name := range names {
		entries := all[name]
		out := [][]byte{}
		switch {
		case modes[name] == checkpoint.UnionDistribute:
			out = append(out, entries...)
		case p == os.Parallelism:
			// At an unchanged parallelism each subtask gets back exactly
			// what it stored, as Flink's round-robin repartitioner does; a
			// subtask that stored none of this list gets none (absent
			// from Lists): a source that had read nothing yet starts
			// afresh, with the same share of the input as before.
			if !storedBy[name][subtask] {
				continue
			}
			out = append(out, own[name]...)
		default:
			if missing := missingSubtasks(storedBy[name], os.Parallelism); len(missing) > 0 {
				return nil, fmt.Errorf("%w: checkpoint %d: operator %s: list state %q: subtask %s of %d stored none (a source that had read nothing yet when the checkpoint was taken), so it cannot be redistributed to parallelism %d: restore it at parallelism %d, or restore another checkpoint",
					ErrMissingListState, cp.ID, uid, name, strings.Join(missing, ", "), os.Parallelism, p, os.Parallelism)
			}
			for i := subtask; i < len(entries); i += p {
				out = append(out, entries[i])
			}
		}
		r.Lists[name] = out
	}
	return r, nil
}

// ErrMissingListState marks a checkpoint in which some subtasks of an
// operator stored a list state (a source's position) and others stored
// none, restored at another parallelism: what the others held is unknown,
// so redistributing the entries would lose or repeat input.
var ErrMissingListState = errors.New("checkpoint lacks list state of some subtasks")

// missingSubtasks lists, 1-based as logs name subtasks, the subtasks of
// 0..p-1 not in stored.
func missingSubtasks(stored map[int]bool, p int) []string {
	var missing []string
	for i := range p {
		if !stored[i] {
			missing = append(missing, strconv.Itoa(i+1))
		}
	}
	return missing
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
