package runtime

import "time"

// aligner tracks the barriers of one subtask's input channels: a state
// machine stepped by the subtask's goroutine, with no I/O, tested alone.
//
// Exactly-once: a channel that delivered barrier n is held back until every
// channel has (or has ended), so the snapshot sees exactly the records
// before the barrier on every input. At-least-once: no channel is held
// back; the checkpoint is taken when the last barrier arrives, and records
// after a barrier on an early channel are part of the state already.
type aligner struct {
	exactlyOnce bool
	ended       []bool // per channel: its input has ended

	current  int64             // checkpoint being aligned; 0 when none
	barrierV CheckpointBarrier // the barrier of current, as first seen
	last     int64             // newest checkpoint aligned or given up
	seen     []bool            // per channel: its barrier of current came
	firstAt  time.Time
	blocking []int // channels held back for current
}

func newAligner(n int, exactlyOnce bool) *aligner {
	return &aligner{exactlyOnce: exactlyOnce, ended: make([]bool, n), seen: make([]bool, n)}
}

// alignResult says what the subtask must do after a step.
type alignResult struct {
	block      bool              // hold the channel back
	complete   int64             // checkpoint whose barriers are all in: snapshot now
	barrier    CheckpointBarrier // of complete
	alignStart time.Time         // when complete's first barrier came
	aborted    int64             // checkpoint given up because a newer one began
	release    []int             // channels to let go
}

// barrier records barrier b on channel ch.
func (a *aligner) barrier(ch int, b CheckpointBarrier, now time.Time) alignResult {
	var r alignResult
	id := b.ID
	if id <= a.last || id < a.current {
		return r // a barrier of a checkpoint already aligned or given up
	}
	if id > a.current {
		if a.current != 0 {
			r.aborted = a.current
			r.release = a.reset()
		}
		a.current, a.firstAt, a.barrierV = id, now, b
	}
	if !a.seen[ch] {
		a.seen[ch] = true
		if a.exactlyOnce {
			r.block = true
			a.blocking = append(a.blocking, ch)
		}
	}
	if a.done() {
		a.complete(&r)
		r.block = false
		if a.exactlyOnce && len(r.release) > 0 && r.release[len(r.release)-1] == ch {
			r.release = r.release[:len(r.release)-1] // never blocked
		}
	}
	return r
}

// end records the end of channel ch's input.
func (a *aligner) end(ch int) alignResult {
	var r alignResult
	if a.ended[ch] {
		return r
	}
	a.ended[ch] = true
	if a.current != 0 && a.done() {
		a.complete(&r)
	}
	return r
}

// abort gives up checkpoint id if it is being aligned.
func (a *aligner) abort(id int64) []int {
	if a.current != id || id == 0 {
		return nil
	}
	a.last = max(a.last, id)
	return a.reset()
}

// complete ends the alignment of the current checkpoint, whose barriers
// are all in, telling r to take it and to let its channels go.
func (a *aligner) complete(r *alignResult) {
	r.complete, r.barrier, r.alignStart = a.current, a.barrierV, a.firstAt
	a.last = a.current
	r.release = append(r.release, a.reset()...)
}

func (a *aligner) done() bool {
	for i, seen := range a.seen {
		if !seen && !a.ended[i] {
			return false
		}
	}
	return true
}

func (a *aligner) reset() []int {
	rel := a.blocking
	a.blocking = nil
	a.current = 0
	clear(a.seen)
	return rel
}
