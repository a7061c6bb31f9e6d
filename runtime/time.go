package runtime

import (
	"encoding/binary"
	"math"
	"sync"
	"time"
)

// Watermark says event time has reached Time: every record with a
// timestamp at or before Time has been emitted (except late ones). A
// watermark with Idle set says the stream has had no data for a while and
// must not hold event time back downstream until data flows again.
// Watermarks travel in-band, in order with the records.
type Watermark struct {
	Time int64
	Idle bool
}

func (Watermark) event() {}

const (
	// MinWatermark is event time before any watermark.
	MinWatermark int64 = math.MinInt64
	// MaxWatermark ends event time: a source emits it when its input
	// ends, so every event-time timer fires.
	MaxWatermark int64 = math.MaxInt64
)

// RecordContext is the event timestamp of the record being processed. One
// per subtask, shared by its chain: the runtime sets it before handing a
// record to the head, an operator that assigns or changes timestamps sets
// it before emitting, and writers carry it across the network.
type RecordContext struct {
	Timestamp    int64
	HasTimestamp bool
}

// appendTimestamp frames a record's timestamp: uvarint 0 for none, else
// zigzag(ts)+1.
func appendTimestamp(dst []byte, rc *RecordContext) []byte {
	if !rc.HasTimestamp {
		return append(dst, 0)
	}
	z := uint64(rc.Timestamp<<1) ^ uint64(rc.Timestamp>>63)
	return binary.AppendUvarint(dst, z+1)
}

// ProcessingTimeService schedules work on the subtask's goroutine.
type ProcessingTimeService interface {
	Now() time.Time
	// At runs f on the subtask's goroutine at t or soon after; the
	// returned function cancels it if it has not run yet.
	At(t time.Time, f func() error) (cancel func())
}

// timerService implements ProcessingTimeService for one subtask through
// its mailbox. Close stops every pending timer.
type timerService struct {
	mail *mailbox
	mu   sync.Mutex
	next int
	live map[int]*time.Timer
	done bool
}

func newTimerService(m *mailbox) *timerService {
	return &timerService{mail: m, live: map[int]*time.Timer{}}
}

func (s *timerService) Now() time.Time { return time.Now() }

func (s *timerService) At(t time.Time, f func() error) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return func() {}
	}
	id := s.next
	s.next++
	cancelled := false
	s.live[id] = time.AfterFunc(time.Until(t), func() {
		s.mu.Lock()
		delete(s.live, id)
		s.mu.Unlock()
		s.mail.Put(func() error {
			if cancelled {
				return nil
			}
			return f()
		})
	})
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		cancelled = true // read by the mail, on the subtask goroutine: cancel is called there too
		if tm, ok := s.live[id]; ok {
			tm.Stop()
			delete(s.live, id)
		}
	}
}

func (s *timerService) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	for id, tm := range s.live {
		tm.Stop()
		delete(s.live, id)
	}
}
