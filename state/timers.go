package state

import "fmt"

// TimerQueue holds the timers of one keyed operator in one time domain
// (event or processing time): at most one timer per key and timestamp,
// handed out in timestamp order. Timers persist as a map state (key →
// timestamps), so checkpoints and rescaling carry them with the key's
// group like any state; the ordering heap is rebuilt from it on restore.
// It belongs to the subtask's goroutine, like the backend.
//
// Deletion is lazy: Delete drops the timer from set and store only, and the
// heap entry, now stale, is skipped when it reaches the top (so deleting
// costs no scan of the heap). Stale entries are len(h) - len(set); when
// they outnumber the live timers the heap is rebuilt from set.
type TimerQueue[K comparable] struct {
	b     *KeyedBackend[K]
	store timerStore[K]
	h     timerHeap[K]
	set   map[timer[K]]struct{} // the live timers
}

type timer[K comparable] struct {
	ts  int64
	key K
}

// timerHeap is a binary min-heap by time, typed so that pushing and
// popping a timer does not box it (container/heap works on interfaces).
type timerHeap[K comparable] []timer[K]

func (h *timerHeap[K]) push(t timer[K]) {
	*h = append(*h, t)
	h.up(len(*h) - 1)
}

// remove takes out the timer at index i and returns it.
func (h *timerHeap[K]) remove(i int) timer[K] {
	old := *h
	n := len(old) - 1
	t := old[i]
	old[i] = old[n]
	*h = old[:n]
	if i < n {
		if !h.down(i) {
			h.up(i)
		}
	}
	return t
}

func (h timerHeap[K]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].ts <= h[i].ts {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

// down moves the timer at i down to its place and reports whether it moved.
func (h timerHeap[K]) down(i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].ts < h[l].ts {
			m = r
		}
		if h[i].ts <= h[m].ts {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return i > start
}

// NewTimerQueue registers the timer queue called name (stored as map
// state "_timers/<name>") and loads the timers restored into it.
func NewTimerQueue[K comparable](b *KeyedBackend[K], name string) (*TimerQueue[K], error) {
	ms, err := GetMapState[K, int64, bool](b, "_timers/"+name)
	if err != nil {
		return nil, err
	}
	q := &TimerQueue[K]{b: b, store: ms.(timerStore[K]), set: map[timer[K]]struct{}{}}
	err = q.store.forEach(func(k K, ts int64) error {
		q.add(timer[K]{ts: ts, key: k})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("timers %q: %w", name, err)
	}
	return q, nil
}

// timerStore is the map state timers persist in, on either backend.
// The ordering heap and the dedup set stay in memory on both: timers are
// few next to state (one per key and firing time), as with Flink's heap
// timer service for RocksDB.
type timerStore[K comparable] interface {
	MapState[int64, bool]
	forEach(fn func(k K, ts int64) error) error
}

// forEach calls fn with every (key, user key) of the heap map table.
func (t *mapTable[K, UK, UV]) forEach(fn func(k K, uk UK) error) error {
	for i := range t.groups {
		for k, in := range t.read(i) {
			for uk := range in.m {
				if err := fn(k, uk); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (q *TimerQueue[K]) add(t timer[K]) bool {
	if _, dup := q.set[t]; dup {
		return false
	}
	q.set[t] = struct{}{}
	q.h.push(t)
	return true
}

// Register adds a timer at ts for the current key; a second one for the
// same key and time is a no-op.
func (q *TimerQueue[K]) Register(ts int64) error {
	if q.add(timer[K]{ts: ts, key: q.b.cur}) {
		return q.store.Put(ts, true)
	}
	return nil
}

// Delete removes the current key's timer at ts, if any.
func (q *TimerQueue[K]) Delete(ts int64) error {
	t := timer[K]{ts: ts, key: q.b.cur}
	if _, ok := q.set[t]; !ok {
		return nil
	}
	delete(q.set, t)
	if len(q.h) > 2*len(q.set)+64 {
		q.rebuild()
	}
	return q.store.Remove(ts)
}

// rebuild makes the heap hold exactly the live timers.
func (q *TimerQueue[K]) rebuild() {
	q.h = q.h[:0]
	for t := range q.set {
		q.h = append(q.h, t)
	}
	for i := len(q.h)/2 - 1; i >= 0; i-- {
		q.h.down(i)
	}
}

// dropStale removes deleted timers from the top of the heap, so that the
// top, if any, is live. A stale entry equal to a live timer (deleted, then
// registered again) is not dropped: it stands for the live one, and the
// later copy becomes the stale one.
func (q *TimerQueue[K]) dropStale() {
	for len(q.h) > 0 {
		if _, live := q.set[q.h[0]]; live {
			return
		}
		q.h.remove(0)
	}
}

// Next returns the earliest timer's time.
func (q *TimerQueue[K]) Next() (ts int64, ok bool) {
	q.dropStale()
	if len(q.h) == 0 {
		return 0, false
	}
	return q.h[0].ts, true
}

// Pop removes the earliest timer if it is due at upTo, makes its key the
// current key, and returns its time.
func (q *TimerQueue[K]) Pop(upTo int64) (ts int64, ok bool, err error) {
	q.dropStale()
	if len(q.h) == 0 || q.h[0].ts > upTo {
		return 0, false, nil
	}
	t := q.h.remove(0)
	delete(q.set, t)
	if err := q.b.SetCurrentKey(t.key); err != nil {
		return 0, false, err
	}
	return t.ts, true, q.store.Remove(t.ts)
}

// Len is the number of timers.
func (q *TimerQueue[K]) Len() int { return len(q.set) }
