package weir_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/internal/testutil"
)

// manualClock makes the jobs of e read processing time from a clock that
// moves only when the test advances it, starting at the Unix epoch.
func manualClock(e *weir.Environment) *testutil.ManualClock {
	c := testutil.NewManualClock(time.Unix(0, 0))
	weir.SetProcessingClock(e, c)
	return c
}

// tick advances clock by d, which fires the job's periodic timers due by
// then (watermark emission, idleness checks), and waits until each of the
// n timers the job keeps has run on its subtask and set itself again: the
// tick has then done its work, and the next one comes at the clock's new
// time plus its interval.
func tick(t *testing.T, clock *testutil.ManualClock, d time.Duration, n int) {
	t.Helper()
	clock.Advance(d)
	testutil.Await(t, 10*time.Second, func() bool { return clock.Pending() >= n },
		func() string {
			return fmt.Sprintf("%d of %d periodic timers set again after the clock moved", clock.Pending(), n)
		})
}
