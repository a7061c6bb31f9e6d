package runtime

import (
	"sync"
	"time"

	"github.com/weirstream/weir/operator"
)

// systemClock is the wall clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(t time.Time, f func()) func() bool {
	return time.AfterFunc(time.Until(t), f).Stop
}

// timerService implements operator.ProcessingTimeService for one subtask through
// its mailbox: a timer that comes due puts its work in the mailbox. Close
// stops every pending timer.
type timerService struct {
	clock operator.Clock
	mail  *mailbox
	mu    sync.Mutex
	next  int
	live  map[int]func() bool // each pending timer's stop
	done  bool
}

// newTimerService returns the timer service of the subtask whose mailbox
// is m, reading clock (nil for the system clock).
func newTimerService(m *mailbox, clock operator.Clock) *timerService {
	if clock == nil {
		clock = systemClock{}
	}
	return &timerService{clock: clock, mail: m, live: map[int]func() bool{}}
}

func (s *timerService) Now() time.Time { return s.clock.Now() }

func (s *timerService) At(t time.Time, f func() error) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return func() {}
	}
	id := s.next
	s.next++
	cancelled := false
	s.live[id] = s.clock.AfterFunc(t, func() {
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
		if stop, ok := s.live[id]; ok {
			stop()
			delete(s.live, id)
		}
	}
}

func (s *timerService) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	for id, stop := range s.live {
		stop()
		delete(s.live, id)
	}
}
